/** Creating the session table and its index on `expire`, when the store is asked to. */
import type { SessionModel } from './model.js';
import type { SequelizeCompat } from './sequelize-compat.js';

interface QueryInterfaceLike {
  showIndex(table: unknown, options: typeof OUTSIDE): Promise<Array<{ name?: string; fields?: Array<{ attribute?: string }> }>>;
  addIndex(table: unknown, fields: string[], options: { name: string } & typeof OUTSIDE): Promise<unknown>;
}

/**
 * Outside any transaction of the application's: with CLS (v7's default, v6 with useCLS) the table
 * would otherwise be created inside the transaction of whichever request came first, and vanish
 * with its rollback while the store believes it exists.
 */
const OUTSIDE = { transaction: null } as const;

const ALREADY_EXISTS = new Set(['42P07', 'ER_DUP_KEYNAME']);

/** Creates the table if missing (never altering an existing one) and makes sure `expire` is indexed. */
export async function ensureTable(compat: SequelizeCompat, session: SessionModel): Promise<void> {
  await session.model.sync(OUTSIDE);
  // The created model declares its index; a user's model may not, and pruning needs one.
  if (session.created) return;
  const queryInterface = compat.queryInterface as QueryInterfaceLike;
  const table = compat.tableOf(session.model);
  const expire = session.expireColumn;
  const indexes = await queryInterface.showIndex(table, OUTSIDE);
  if (indexes.some((index) => index.fields?.[0]?.attribute === expire)) return;
  const name = `${compat.tableNameOf(session.model)}_${expire}`.slice(0, 60);
  try {
    await queryInterface.addIndex(table, [expire], { name, ...OUTSIDE });
  } catch (error) {
    // Another instance created it meanwhile.
    const parent = (error as { parent?: { code?: string; message?: string } }).parent;
    if (!(ALREADY_EXISTS.has(String(parent?.code)) || /already exists/i.test(String(parent?.message)))) throw error;
  }
}
