/** Creating the session table and its index on `expire`, when the store is asked to. */
import type { SessionModel } from './model.js';
import type { SequelizeCompat } from './sequelize-compat.js';

interface QueryInterfaceLike {
  showIndex(table: unknown): Promise<Array<{ name?: string; fields?: Array<{ attribute?: string }> }>>;
  addIndex(table: unknown, fields: string[], options: { name: string }): Promise<unknown>;
}

const ALREADY_EXISTS = new Set(['42P07', 'ER_DUP_KEYNAME']);

/** Creates the table if missing (never altering an existing one) and makes sure `expire` is indexed. */
export async function ensureTable(compat: SequelizeCompat, session: SessionModel): Promise<void> {
  // An adopted table exists as another store made it: only its index may be missing.
  if (!session.adopted) await session.model.sync();
  // The created model declares its index; a user's model or an adopted table may not, and pruning needs one.
  if (session.created) return;
  const queryInterface = compat.queryInterface as QueryInterfaceLike;
  const table = compat.tableOf(session.model);
  const expire = session.expireColumn;
  const indexes = await queryInterface.showIndex(table);
  if (indexes.some((index) => index.fields?.[0]?.attribute === expire)) return;
  const name = `${compat.tableNameOf(session.model)}_${expire}`.slice(0, 60);
  try {
    await queryInterface.addIndex(table, [expire], { name });
  } catch (error) {
    // Another instance created it meanwhile.
    const parent = (error as { parent?: { code?: string; message?: string } }).parent;
    if (!(ALREADY_EXISTS.has(String(parent?.code)) || /already exists/i.test(String(parent?.message)))) throw error;
  }
}
