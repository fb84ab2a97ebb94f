// `npm test`: finds which database servers answer, creates the test databases, then runs every
// test file with node's test runner once per execution path (SSS_PATHS=driver or query narrows),
// each file looping over the reachable targets (Sequelize major x dialect). Under CI=true an unreachable server fails the run instead of being skipped.
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

// The whole suite runs twice: statements through the driver (the default), then through
// `sequelize.query` (SEQUELIZE_SESSION_STORE_EXECUTION=query), each with its own per-target summary.
const PATHS = [
  { name: 'driver', env: {} },
  { name: 'query', env: { SEQUELIZE_SESSION_STORE_EXECUTION: 'query' } },
];
const paths = process.env.SSS_PATHS ? PATHS.filter(({ name }) => process.env.SSS_PATHS.split(',').includes(name)) : PATHS;

function run({ name, env }) {
  console.log(`\n=== execution path: ${name} ===`);
  const child = spawn(
    process.execPath,
    [
      '--import', 'tsx', '--test',
      '--test-reporter', 'spec', '--test-reporter-destination', 'stdout',
      '--test-reporter', './test/support/target-summary.mjs', '--test-reporter-destination', 'stdout',
      ...files,
    ],
    { stdio: 'inherit', env: { ...process.env, ...env, SSS_TARGETS: targets.join(','), SSS_PATH: name } },
  );
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1))));
}

const codes = [];
for (const path of paths) codes.push(await run(path));
if (paths.length > 1) console.log(`\nexecution paths: ${paths.map(({ name }, i) => `${name} ${codes[i] === 0 ? 'passed' : 'FAILED'}`).join(', ')}`);
process.exit(codes.some((code) => code !== 0) ? 1 : 0);
