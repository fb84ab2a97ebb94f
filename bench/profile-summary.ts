/** Summarises a .cpuprofile: self time by package/file and the top functions. */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byNode = new Map(profile.nodes.map((n) => [n.id, n]));

function bucket(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.includes('/src/')) return `src/${url.split('/src/')[1]}`;
  if (url.includes('/dist/')) return `dist/${url.split('/dist/')[1]}`;
  if (url.includes('/bench/')) return 'bench';
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

const buckets = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, time] of self) {
  const node = byNode.get(id)!;
  const { url, functionName, lineNumber } = node.callFrame;
  const b = bucket(url, functionName);
  buckets.set(b, (buckets.get(b) ?? 0) + time);
  const f = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^.*\/work\/main\//, '')}:${lineNumber + 1}` : ''}`;
  functions.set(f, (functions.get(f) ?? 0) + time);
}
const pct = (t: number) => `${((100 * t) / total).toFixed(1)}%`.padStart(6);
console.log('self time by package / file:');
for (const [b, t] of [...buckets].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${pct(t)}  ${b}`);
console.log('\ntop functions by self time:');
for (const [f, t] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${pct(t)}  ${f}`);
