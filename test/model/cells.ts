// The configuration matrix of the model suite: the dimensions each target is varied over, and a
// pairwise covering array of them per target (every pair of values of any two dimensions appears
// in some cell of every target). The arrays are deterministic: the same cells on every run.
import { hashSeed, missingPairs, pairwise } from './pairwise.js';
import type { Target } from '../support/targets.js';

/** Process time zones; each runs in its own test file (a process of its own). */
export const PROCESS_ZONES = ['UTC', 'Asia/Kolkata', 'America/Los_Angeles'] as const;
export type ProcessZone = (typeof PROCESS_ZONES)[number];

export function dimensionsFor(target: Target) {
  const network = target.dialect !== 'sqlite';
  return {
    sess: target.dialect === 'postgres' ? ['TEXT', 'STRING', 'JSON', 'JSONB'] : ['TEXT', 'STRING', 'JSON'],
    hashSids: ['off', 'sha256', 'hmac'],
    encryption: [false, true],
    touchAfter: [0, 10 * 60_000],
    absolute: [false, true],
    extras: ['none', 'seed', 'returning'],
    // SQLite has no session time zone (Sequelize ignores the option there). On MySQL/MariaDB an
    // offset binds times as wall-clock text and a named zone through FROM_UNIXTIME; Sequelize hands
    // the server a named zone as the offset it has when connecting, so one without summer time.
    timezone:
      target.dialect === 'sqlite' ? ['+00:00']
      : target.dialect === 'postgres' ? ['+00:00', '+05:30', 'America/New_York']
      : ['+00:00', '+05:30', '-08:00', 'Asia/Kolkata'],
    processZone: [...PROCESS_ZONES],
    appTransactions: [false, true],
    pool: ['default', 'small'],
    define: ['none', 'global'],
    debug: [false, true],
    faults: network ? [false, true] : [false],
    merge: [false, true],
  } as const;
}

type Dims = ReturnType<typeof dimensionsFor>;
export type CellConfig = { [K in keyof Dims]: Dims[K][number] };

export interface Cell extends CellConfig {
  readonly id: string;
  readonly target: Target;
}

const cellName = (config: CellConfig) =>
  [
    config.sess,
    `hash=${config.hashSids}`,
    config.encryption ? 'enc' : 'plain',
    `touchAfter=${config.touchAfter}`,
    config.absolute ? 'absolute' : 'no-absolute',
    `extras=${config.extras}`,
    `timezone=${config.timezone}`,
    `TZ=${config.processZone}`,
    config.appTransactions ? 'app-tx' : 'no-tx',
    `pool=${config.pool}`,
    `define=${config.define}`,
    config.debug ? 'DEBUG=*' : 'no-debug',
    config.faults ? 'faults' : 'healthy',
    config.merge ? 'merge' : 'whole',
  ].join(' ');

/** The cells of one target (all process zones), in a fixed order. */
export function cellsFor(target: Target): Cell[] {
  const dimensions = dimensionsFor(target) as unknown as Record<string, readonly unknown[]>;
  const rows = pairwise(dimensions, hashSeed(target.id));
  const missing = missingPairs(dimensions, rows);
  if (missing.length > 0) throw new Error(`the covering array of ${target.id} misses ${missing.join(', ')}`);
  return rows.map((row, index) => {
    const config = row as unknown as CellConfig;
    return { ...config, target, id: `${target.id}#${index}` , toString: () => cellName(config) };
  });
}

export const describeCell = (cell: Cell): string => `${cell.id} ${cellName(cell)}`;
