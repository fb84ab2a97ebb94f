// Discrepancies the suite finds that are defects already filed and being fixed elsewhere: a cell
// whose failure matches one is reported as a todo naming the defect, not as a failure. Issue 9's
// nine defects are fixed, so the list is empty; it stays for the next ones.
import type { Cell } from './cells.js';

const KNOWN: Array<{ defect: string; applies: (cell: Cell, report: string) => boolean }> = [];

export function knownDefect(cell: Cell, report: string): string | undefined {
  return KNOWN.find(({ applies }) => applies(cell, report))?.defect;
}
