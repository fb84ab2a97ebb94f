// Runs the model suite's cells of one process time zone: for each target, each cell of its
// pairwise covering array whose process zone is this one, random command sequences (fast-check
// model-based testing) against the real stores and the reference model. Each test file calls this
// with its own zone, so that each zone runs in a process of its own.
//
// Environment: SSS_MODEL_SEED (the base seed; fresh each run otherwise), SSS_MODEL_RUNS (sequences
// per cell), SSS_MODEL_COMMANDS (longest sequence), SSS_MODEL_CELL (run only this cell id, e.g.
// v6-postgres#3), SSS_MODEL_PATH (replay one failing case, with its seed), SSS_MODEL_SHRINK=1
// (shrink a failure to a shorter command list; slow).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { targets } from '../support/targets.js';
import { within } from '../support/tcp-proxy.js';
import { cellsFor, describeCell, type Cell, type ProcessZone } from './cells.js';
import { freezeClock, releaseClock } from './clock.js';
import { BURST_SID_COUNT, commandArbitraries, type ModelState, type Real } from './commands.js';
import { hashSeed } from './pairwise.js';
import { ReferenceModel } from './reference.js';
import { CellSystem, SLACK, modelConfig, openStore, usesOwnModel } from './system.js';
import { knownDefect } from './known.js';

const baseSeed = process.env.SSS_MODEL_SEED === undefined ? randomBytes(4).readInt32LE() : Number(process.env.SSS_MODEL_SEED);
// The whole suite runs once per execution path (scripts/test.mjs): fewer sequences on the second.
const executionPath = process.env.SSS_PATH ?? 'driver';
const runsPerCell = Number(process.env.SSS_MODEL_RUNS ?? (executionPath === 'query' ? 1 : 2));
const maxCommands = Number(process.env.SSS_MODEL_COMMANDS ?? 50);
const onlyCell = process.env.SSS_MODEL_CELL;
const replayPath = process.env.SSS_MODEL_PATH;
const shrink = process.env.SSS_MODEL_SHRINK === '1';

/** The UTC offset, in minutes, that the zone has on 15 January (no daylight saving in any of ours then). */
const WINTER_OFFSETS: Record<ProcessZone, number> = { UTC: 0, 'Asia/Kolkata': -330, 'America/Los_Angeles': 480 };

interface Totals {
  cells: number;
  sequences: number;
  commands: number;
  faults: number;
  timeouts: number;
  debugLines: number;
  ms: number;
}

export function runCells(zone: ProcessZone, file: string): void {
  process.env.TZ = zone;
  assert.equal(new Date(2026, 0, 15).getTimezoneOffset(), WINTER_OFFSETS[zone], `the process runs in ${zone}`);
  const totals = new Map<string, Totals>();
  const startedAll = performance.now();
  console.log(`model suite, TZ=${zone}, ${executionPath} path: base seed ${baseSeed} (replay with SSS_MODEL_SEED=${baseSeed}), ${runsPerCell} sequences per cell, up to ${maxCommands} commands each`);

  for (const target of targets()) {
    const all = cellsFor(target);
    const cells = all.filter((cell) => cell.processZone === zone && (onlyCell === undefined || cell.id === onlyCell));
    const total: Totals = { cells: 0, sequences: 0, commands: 0, faults: 0, timeouts: 0, debugLines: 0, ms: 0 };
    totals.set(target.id, total);
    describe(`${target.tag} model-based suite (TZ=${zone}), ${cells.length} of the target's ${all.length} cells`, () => {
      for (const cell of cells) {
        it(describeCell(cell), async (t) => {
          const started = performance.now();
          const result = await runCell(cell, total, file);
          total.cells++;
          total.ms += performance.now() - started;
          if (result !== undefined) {
            const known = knownDefect(cell, result);
            if (known) {
              t.todo(`known defect (issue 9): ${known}`);
              console.log(`  ${cell.id}: known defect ${known}:\n${result}`);
              return;
            }
            assert.fail(result);
          }
        });
      }
    });
  }

  after(() => {
    const wall = ((performance.now() - startedAll) / 1000).toFixed(1);
    let out = `\nModel suite, TZ=${zone}, ${executionPath} path (base seed ${baseSeed}), wall time ${wall} s:\n`;
    const sum = { cells: 0, sequences: 0, commands: 0, faults: 0, timeouts: 0, debugLines: 0 };
    for (const [id, { cells, sequences, commands, faults, timeouts, debugLines, ms }] of totals) {
      sum.debugLines += debugLines;
      sum.timeouts += timeouts;
      out += `  ${id.padEnd(12)} ${String(cells).padStart(3)} cells ${String(sequences).padStart(4)} sequences ${String(commands).padStart(6)} commands (${faults} faults, ${timeouts} transient failures tolerated) ${(ms / 1000).toFixed(1).padStart(6)} s\n`;
      sum.cells += cells;
      sum.sequences += sequences;
      sum.commands += commands;
      sum.faults += faults;
    }
    out += `  ${'all'.padEnd(12)} ${String(sum.cells).padStart(3)} cells ${String(sum.sequences).padStart(4)} sequences ${String(sum.commands).padStart(6)} commands (${sum.faults} faults, ${sum.timeouts} transient failures tolerated); ${sum.debugLines} lines of the store's debug channel checked for leaks\n`;
    console.log(out);
  });
}

/** Runs one cell's command sequences; resolves to undefined, or the failure report. */
async function runCell(cell: Cell, total: Totals, file: string): Promise<string | undefined> {
  const system = await CellSystem.open(cell);
  const seed = (baseSeed + hashSeed(cell.id)) | 0;
  freezeClock();
  try {
    const arbitraries = commandArbitraries({ extrasColumns: usesOwnModel(cell), faults: cell.faults, merge: cell.merge });
    await fc.assert(
      fc.asyncProperty(fc.commands(arbitraries, { maxCommands, size: 'max' }), async (cmds) => {
        total.sequences++;
        const token = `tok${randomBytes(6).toString('hex')}`;
        const table = system.newTable();
        const emitted: unknown[] = [];
        const real: Real = {
          system,
          table,
          stores: [0, 1].map((i) => openStore(system.storeOptions(i, table), emitted)),
          emitted,
          messages: [],
          sids: Array.from({ length: BURST_SID_COUNT }, (_, i) => `sid${i}-${token}`),
          token,
          commands: 0,
          faults: 0,
          timeouts: 0,
          timeoutsInARow: 0,
        };
        const model: ModelState = { ref: new ReferenceModel(modelConfig(cell), 2) };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          await closeAll(real);
          checkLeaks(real, system);
        } finally {
          total.commands += real.commands;
          total.faults += real.faults;
          total.timeouts += real.timeouts;
          await system.cutConnections();
          for (const store of real.stores) await within(store.close(), 2_000);
          await system.dropTable(table).catch(() => {});
        }
      }),
      {
        seed,
        numRuns: runsPerCell,
        endOnFailure: !shrink,
        ...(replayPath === undefined ? {} : { path: replayPath }),
      },
    );
    return undefined;
  } catch (error) {
    const cause = (error as { cause?: unknown })?.cause;
    const message = `${String((error as Error)?.message ?? error)}${cause === undefined ? '' : `\nCause: ${(cause as Error)?.stack ?? String(cause)}`}`;
    const path = /path: "([^"]*)"/.exec(message)?.[1] ?? '?';
    return (
      `${message}\n\nReplay: SSS_ONLY=${cell.target.id} SSS_MODEL_CELL=${cell.id} SSS_MODEL_SEED=${baseSeed} SSS_MODEL_PATH=${path} ` +
      `node scripts/test.mjs ${file}`
    );
  } finally {
    releaseClock();
    total.debugLines += system.debugLines.filter((line) => line.namespace.startsWith('sequelize-session-store')).length;
    await system.close();
  }
}

/** close() of every store settles within operationTimeout (+ slack), even after a fault. */
async function closeAll(real: Real): Promise<void> {
  const limit = real.system.operationTimeout + SLACK;
  for (const [i, store] of real.stores.entries()) {
    if ((await within(store.close(), limit)) === 'timeout') throw new Error(`close() of instance ${i} still pending after ${limit} ms`);
  }
}

/** No session id or session content in the store's debug output or in any error message. */
function checkLeaks(real: Real, system: CellSystem): void {
  const secrets = [real.token, ...real.sids];
  for (const message of real.messages) {
    const leaked = secrets.find((secret) => message.includes(secret));
    if (leaked) throw new Error(`an error message holds a session id or contents: ${message}`);
  }
  for (const line of system.debugLines) {
    if (!line.namespace.startsWith('sequelize-session-store')) continue;
    if (secrets.some((secret) => line.text.includes(secret))) throw new Error(`the debug channel printed a session id or contents: ${line.text}`);
  }
}
