// Builds the CommonJS code and its declarations with tsc, then adds the thin ESM wrapper, so the
// store class exists once and `instanceof` holds whether it was imported or required.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
copyFileSync('src/index.mjs', 'dist/index.mjs');
copyFileSync('src/index.d.mts', 'dist/index.d.mts');
chmodSync('dist/cli.js', 0o755);
