// A node:test reporter that counts passed, failed and skipped tests per target (the `[v6 sqlite]`
// tag of a suite name) and prints the table at the end of the run.
const TAG = /^\[(v\d [a-z0-9]+)\]/;

export default async function* targetSummary(source) {
  const counts = new Map();
  const stacks = new Map();
  for await (const event of source) {
    const data = event.data;
    if (event.type === 'test:start') {
      const stack = stacks.get(data.file) ?? [];
      stack[data.nesting] = data.name;
      stack.length = data.nesting + 1;
      stacks.set(data.file, stack);
      continue;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (data.details?.type === 'suite') continue;
    const stack = stacks.get(data.file) ?? [];
    let target = 'other';
    for (let level = 0; level <= data.nesting; level++) {
      const name = level === data.nesting ? data.name : stack[level];
      const match = name && TAG.exec(name);
      if (match) { target = match[1]; break; }
    }
    const row = counts.get(target) ?? { pass: 0, fail: 0, skip: 0 };
    if (data.skip || data.todo) row.skip++;
    else if (event.type === 'test:pass') row.pass++;
    else row.fail++;
    counts.set(target, row);
  }
  const rows = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
  const path = process.env.SSS_PATH ? `, execution path ${process.env.SSS_PATH}` : '';
  let out = `\nTests per target (Sequelize major, dialect${path}):\n`;
  for (const [target, { pass, fail, skip }] of rows) {
    out += `  ${(process.env.SSS_PATH ? `${target} ${process.env.SSS_PATH}` : target).padEnd(19)} ${String(pass).padStart(4)} passed  ${String(fail).padStart(3)} failed  ${String(skip).padStart(3)} skipped\n`;
  }
  yield out;
}
