// `npm test`: finds which database servers answer, creates the test databases, then runs every
// test file with node's test runner once per run, each file looping over the reachable targets
// (Sequelize major x dialect). Under CI=true an unreachable server fails the run instead of being skipped.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { probeServers } from '../test/support/servers.cjs';

const ci = process.env.CI === 'true' || process.env.CI === '1';
const only = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));

const { targets, unreachable } = await probeServers();
for (const { server, reason } of unreachable) {
  const banner = `!!! ${server} is NOT reachable (${reason}): its tests are SKIPPED !!!`;
  console.error(`\n${'!'.repeat(banner.length)}\n${banner}\n${'!'.repeat(banner.length)}\n`);
}
if (ci && unreachable.length > 0) {
  console.error('CI=true: every database server must be reachable; failing the run.');
  process.exit(1);
}
console.log(`test targets: ${targets.join(', ')}`);

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'support' ? [] : findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}
const files = findTests('test')
  .filter((file) => only.length === 0 || only.some((part) => file.includes(part)))
  .sort();

const child = spawn(
  process.execPath,
  [
    '--import', 'tsx', '--test',
    '--test-reporter', 'spec', '--test-reporter-destination', 'stdout',
    '--test-reporter', './test/support/target-summary.mjs', '--test-reporter-destination', 'stdout',
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, SSS_TARGETS: targets.join(',') } },
);
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
