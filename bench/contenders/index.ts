/** Every contender, in the order the tables list them. */
import { connectSessionSequelize } from './connect-session-sequelize.js';
import { connectPgSimple, expressMysqlSession, memoryStore } from './peers.js';
import { rawFloor } from './raw-floor.js';
import { baselines, thisStoreV6, thisStoreV6Get, thisStoreV6GetMerge, thisStoreV6Merge, thisStoreV6Read, thisStoreV7 } from './this-store.js';
import type { Contender } from './types.js';

export const CONTENDERS: readonly Contender[] = [
  thisStoreV6, thisStoreV6Read, thisStoreV6Merge, thisStoreV6Get, thisStoreV6GetMerge, thisStoreV7, ...baselines, connectSessionSequelize, rawFloor,
  connectPgSimple, expressMysqlSession, memoryStore,
];

export const byId = (id: string): Contender => {
  const found = CONTENDERS.find((c) => c.id === id);
  if (!found) throw new Error(`Unknown contender ${id}`);
  return found;
};

export type { Contender, Opened, OpenOptions } from './types.js';
