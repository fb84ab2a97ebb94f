// Builds the CommonJS code and its declarations with tsc, then writes the thin ESM wrapper and its
// types from the CommonJS entry's own list (src/index.ts, the one place the public names are
// written), so the store class exists once and `instanceof` holds whether it was imported or required.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

// The values hang off the CommonJS export; the types are the entry's namespace declarations.
const values = Object.keys(require(resolve('dist/index.js'))).filter((name) => name !== 'default');
const types = [...readFileSync('src/index.ts', 'utf8').matchAll(/^\s+export type (\w+)/gm)]
  .map((match) => match[1])
  .filter((name) => !values.includes(name));
const list = (names) => names.map((name) => `  ${name},\n`).join('');
writeFileSync(
  'dist/index.mjs',
  `// The ESM entry: a thin wrapper over the CommonJS build, so both share one class.\nimport cjs from './index.js';\n\nexport const {\n${list(values)}} = cjs;\nexport default cjs;\n`,
);
writeFileSync(
  'dist/index.d.mts',
  `import sequelizeSessionStore from './index.js';\n\nexport {\n${list(values)}} from './index.js';\nexport type {\n${list(types)}} from './index.js';\nexport default sequelizeSessionStore;\n`,
);
chmodSync('dist/cli.js', 0o755);
