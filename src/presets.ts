/**
 * The tables other session stores create, by the name of the package, so that moving from one
 * is `preset: 'connect-pg-simple'` rather than a table name and three column names.
 */

export interface Preset {
  readonly tableName: string;
  readonly columns: { readonly sid: string; readonly sess: string; readonly expire: string };
}

export const PRESETS = Object.freeze({
  // session(sid varchar, sess json, expire timestamp(6) without time zone), index IDX_session_expire.
  'connect-pg-simple': { tableName: 'session', columns: { sid: 'sid', sess: 'sess', expire: 'expire' } },
  // Sessions(sid varchar(36), expires, data text, createdAt, updatedAt), as its default model defines it.
  'connect-session-sequelize': { tableName: 'Sessions', columns: { sid: 'sid', sess: 'data', expire: 'expires' } },
  // sessions(session_id varchar(128), expires int unsigned: seconds since the epoch, data mediumtext).
  'express-mysql-session': { tableName: 'sessions', columns: { sid: 'session_id', sess: 'data', expire: 'expires' } },
  // sessions(sid varchar(255), sess json or text, expired timestamp or datetime).
  'connect-session-knex': { tableName: 'sessions', columns: { sid: 'sid', sess: 'sess', expire: 'expired' } },
} satisfies Record<string, Preset>);

export type PresetName = keyof typeof PRESETS;

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
