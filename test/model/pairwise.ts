// A greedy pairwise covering array: rows (cells) such that for any two dimensions, every pair of
// their values appears together in at least one row. Each row is built value by value, picking
// the value that covers the most pairs not covered yet; the best of a few candidate rows is kept.
// A seeded generator makes the array the same on every run for the same dimensions.

export type Dimensions = Record<string, readonly unknown[]>;
export type Row<D extends Dimensions> = { [K in keyof D]: D[K][number] };

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const pairKey = (a: number, va: number, b: number, vb: number) => `${a}:${va}|${b}:${vb}`;

/** Rows covering every pair of values of every two dimensions. */
export function pairwise<D extends Dimensions>(dimensions: D, seed: number, candidates = 24): Array<Row<D>> {
  const names = Object.keys(dimensions);
  const sizes = names.map((name) => dimensions[name]!.length);
  const uncovered = new Set<string>();
  for (let a = 0; a < names.length; a++) {
    for (let b = a + 1; b < names.length; b++) {
      for (let va = 0; va < sizes[a]!; va++) for (let vb = 0; vb < sizes[b]!; vb++) uncovered.add(pairKey(a, va, b, vb));
    }
  }
  const random = prng(seed);
  const rows: number[][] = [];
  const gain = (row: Array<number | undefined>, dim: number, value: number) => {
    let count = 0;
    for (let other = 0; other < names.length; other++) {
      const chosen = row[other];
      if (other === dim || chosen === undefined) continue;
      const key = other < dim ? pairKey(other, chosen, dim, value) : pairKey(dim, value, other, chosen);
      if (uncovered.has(key)) count++;
    }
    return count;
  };
  const covers = (row: number[]) => {
    let count = 0;
    for (let a = 0; a < names.length; a++) for (let b = a + 1; b < names.length; b++) if (uncovered.has(pairKey(a, row[a]!, b, row[b]!))) count++;
    return count;
  };
  while (uncovered.size > 0) {
    let best: number[] | undefined;
    let bestCount = -1;
    for (let c = 0; c < candidates; c++) {
      const row: Array<number | undefined> = new Array(names.length).fill(undefined);
      // Start from an uncovered pair, so that every row makes progress.
      const seedPair = [...uncovered][Math.floor(random() * uncovered.size)]!;
      for (const part of seedPair.split('|')) {
        const [dim, value] = part.split(':').map(Number) as [number, number];
        row[dim] = value;
      }
      const order = names.map((_, i) => i).sort(() => random() - 0.5);
      for (const dim of order) {
        if (row[dim] !== undefined) continue;
        let bestValue = 0;
        let bestGain = -1;
        for (let value = 0; value < sizes[dim]!; value++) {
          const g = gain(row, dim, value) + random() * 0.5;
          if (g > bestGain) {
            bestGain = g;
            bestValue = value;
          }
        }
        row[dim] = bestValue;
      }
      const count = covers(row as number[]);
      if (count > bestCount) {
        bestCount = count;
        best = row as number[];
      }
    }
    const row = best!;
    for (let a = 0; a < names.length; a++) for (let b = a + 1; b < names.length; b++) uncovered.delete(pairKey(a, row[a]!, b, row[b]!));
    rows.push(row);
  }
  return rows.map((row) => Object.fromEntries(names.map((name, i) => [name, dimensions[name]![row[i]!]])) as Row<D>);
}

/** Every pair of values of two dimensions that `rows` does not cover (empty when the array is complete). */
export function missingPairs<D extends Dimensions>(dimensions: D, rows: ReadonlyArray<Row<D>>): string[] {
  const names = Object.keys(dimensions);
  const missing: string[] = [];
  for (let a = 0; a < names.length; a++) {
    for (let b = a + 1; b < names.length; b++) {
      for (const va of dimensions[names[a]!]!) {
        for (const vb of dimensions[names[b]!]!) {
          if (!rows.some((row) => Object.is(row[names[a]!], va) && Object.is(row[names[b]!], vb))) missing.push(`${names[a]}=${String(va)} × ${names[b]}=${String(vb)}`);
        }
      }
    }
  }
  return missing;
}
