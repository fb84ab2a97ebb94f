// A node:test reporter that counts passed, failed and skipped tests per target (the `[v6 sqlite]`
// tag of a suite name) and prints the table at the end of the run, then each failed test by its
// whole name with the first lines of its error: CI's log keeps only its tail, and several runs
// follow each other there.
const TAG = /^\[(v\d [a-z0-9]+)\]/;

export default async function* targetSummary(source) {
  const counts = new Map();
  const stacks = new Map();
  const failures = [];
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
    else {
      row.fail++;
      const names = [...stack.slice(0, data.nesting), data.name].join(' > ');
      failures.push(`  ${data.file ?? '?'}: ${names}\n${firstLines(data.details?.error)}`);
    }
    counts.set(target, row);
  }
  const rows = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
  const path = process.env.SSS_PATH ? `, execution path ${process.env.SSS_PATH}` : '';
  let out = `\nTests per target (Sequelize major, dialect${path}):\n`;
  for (const [target, { pass, fail, skip }] of rows) {
    out += `  ${(process.env.SSS_PATH ? `${target} ${process.env.SSS_PATH}` : target).padEnd(19)} ${String(pass).padStart(4)} passed  ${String(fail).padStart(3)} failed  ${String(skip).padStart(3)} skipped\n`;
  }
  if (failures.length > 0) out += `\nFailed tests${path} (${failures.length}):\n${failures.join('\n')}\n`;
  yield out;
}

/** The error's message (and its cause's: the test runner wraps what the test threw), cut short. */
function firstLines(error) {
  const seen = [];
  for (let e = error; e && seen.length < 3; e = e.cause) {
    const message = String(e.message ?? e);
    if (!seen.includes(message)) seen.push(message);
  }
  const lines = seen.join('\n').split('\n').filter((line) => line.trim() !== '');
  return lines.slice(0, 12).map((line) => `      ${line.slice(0, 300)}`).join('\n');
}
