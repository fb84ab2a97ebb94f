/**
 * The command line's arguments: a small parser of its own, so that every mistake gets one line that
 * names it (never a parser's raw text), and the usage text.
 */

export const COMMANDS = ['create-table', 'prune', 'stats', 'hash-sids', 'migration'] as const;
export type Command = (typeof COMMANDS)[number];

/** The dialects `migration --dialect` takes. */
export const DIALECTS = ['postgres', 'mysql', 'mariadb', 'sqlite', 'mssql', 'db2', 'oracle', 'snowflake'] as const;
export type MigrationDialect = (typeof DIALECTS)[number];

export const USAGE = `Usage: sequelize-session-store <command> [options]

Commands:
  create-table   create the session table and its index on the expiry, if missing
  prune          delete expired sessions now, in batches (progress on stderr)
  stats          count live sessions, expired rows and destroy markers (--json for monitoring)
  hash-sids      replace stored session ids by their digests, once, when turning on hashSids
  migration      print a sequelize-cli migration that creates the table (no database needed)

Options:
  --url <url>        postgres://user:pass@host/db, mysql://…, mariadb://…, sqlite:path/to/file.sqlite
                     (or the DATABASE_URL variable); an SQLite file must exist, except for create-table
  --table <name>     the session table (default: express_session)
  --columns <list>   column names when they differ, as the store's \`columns\` option:
                     sid=<column>,sess=<column>,expire=<column> (any of the three)
  --preset <name>    the layout of another store's table, as the store's \`preset\` option:
                     connect-pg-simple, connect-session-sequelize, express-mysql-session, connect-session-knex
  --secret <secret>  hash-sids: the hashSids secret (or SESSION_SID_SECRET)
  --json             stats: one JSON object on stdout
  --dialect <name>   migration: fix the column types to ${DIALECTS.join(', ')}
                     (default: chosen when the migration runs)
  -h, --help         this text
  -V, --version      the version

Exit codes: 0 done, 1 the database failed, 2 a wrong argument.`;

/** A mistake in the arguments: one line, exit code 2. */
export class UsageError extends Error {}

export interface Arguments {
  readonly help: boolean;
  readonly version: boolean;
  readonly command: Command | undefined;
  readonly url: string | undefined;
  readonly table: string | undefined;
  readonly columns: { sid?: string; sess?: string; expire?: string } | undefined;
  readonly preset: string | undefined;
  readonly secret: string | undefined;
  readonly json: boolean;
  readonly dialect: MigrationDialect | undefined;
}

type ValueOption = 'url' | 'table' | 'columns' | 'preset' | 'secret' | 'dialect';
const VALUE_OPTIONS: readonly ValueOption[] = ['url', 'table', 'columns', 'preset', 'secret', 'dialect'];
const FLAGS = ['json', 'help', 'version'] as const;
const SHORT: Record<string, 'help' | 'version'> = { '-h': 'help', '-V': 'version', '-v': 'version' };

/** The commands an option applies to, when not all of them. */
const ONLY_FOR: Partial<Record<ValueOption | 'json', readonly Command[]>> = {
  url: ['create-table', 'prune', 'stats', 'hash-sids'],
  preset: ['create-table', 'prune', 'stats', 'hash-sids'],
  secret: ['hash-sids'],
  json: ['stats'],
  dialect: ['migration'],
};

/** Edit distance, to suggest the option a typo meant. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function suggest(word: string, candidates: readonly string[]): string {
  const best = candidates
    .map((candidate) => ({ candidate, cost: distance(word, candidate) }))
    .sort((a, b) => a.cost - b.cost)[0];
  return best && best.cost <= Math.max(2, Math.floor(word.length / 3)) ? best.candidate : '';
}

/** `sid=a,sess=b,expire=c`, any subset, into the store's `columns` option. */
function parseColumns(text: string): { sid?: string; sess?: string; expire?: string } {
  const columns: Record<string, string> = {};
  for (const part of text.split(',')) {
    const match = /^\s*(\w+)\s*=\s*(\S(?:.*\S)?)\s*$/.exec(part);
    if (!match) throw new UsageError(`--columns takes sid=<column>,sess=<column>,expire=<column>, not "${text}"`);
    const [, role, column] = match as unknown as [string, string, string];
    if (role !== 'sid' && role !== 'sess' && role !== 'expire') {
      throw new UsageError(`--columns: unknown column role "${role}" (expected sid, sess or expire)`);
    }
    if (columns[role] !== undefined) throw new UsageError(`--columns names ${role} twice`);
    columns[role] = column;
  }
  return columns;
}

/** Something that reads as a URL (`scheme:`…), which must follow --url rather than stand alone. */
const looksLikeUrl = (text: string) => /^[a-z][a-z0-9+.-]*:/i.test(text);

/** Parses the arguments; throws a {@link UsageError} with one line for any mistake. */
export function parseArguments(argv: readonly string[]): Arguments {
  const values: Partial<Record<ValueOption, string>> = {};
  const flags = { json: false, help: false, version: false };
  const positionals: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (SHORT[arg]) {
      flags[SHORT[arg]] = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option ${arg} (see --help)`);
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals === -1 ? undefined : equals);
    const inline = equals === -1 ? undefined : arg.slice(equals + 1);
    if ((FLAGS as readonly string[]).includes(name)) {
      if (inline !== undefined) throw new UsageError(`option --${name} takes no value`);
      flags[name as (typeof FLAGS)[number]] = true;
      continue;
    }
    if (!(VALUE_OPTIONS as readonly string[]).includes(name)) {
      const guess = suggest(name, [...VALUE_OPTIONS, ...FLAGS]);
      throw new UsageError(`unknown option --${name}${guess ? ` (did you mean --${guess}?)` : ''}; see --help`);
    }
    const option = name as ValueOption;
    let value = inline;
    if (value === undefined) {
      const next = argv[index + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) throw new UsageError(`option --${option} needs a value`);
      value = next;
      index++;
    }
    if (value === '') throw new UsageError(`option --${option} needs a value`);
    if (values[option] !== undefined) throw new UsageError(`option --${option} is given twice`);
    values[option] = value;
  }

  const [first, ...rest] = positionals;
  if (flags.help || flags.version) {
    return { ...flags, command: undefined, url: undefined, table: undefined, columns: undefined, preset: undefined, secret: undefined, dialect: undefined };
  }
  if (first === undefined) throw new UsageError(`missing command (${COMMANDS.join(', ')}); see --help`);
  if (!(COMMANDS as readonly string[]).includes(first)) {
    // Never echo what may be a URL with a password in it.
    if (looksLikeUrl(first)) throw new UsageError('a database URL goes after --url, and the command first: sequelize-session-store stats --url <url>');
    const guess = suggest(first, COMMANDS);
    throw new UsageError(`unknown command "${first}"${guess ? ` (did you mean ${guess}?)` : ` (commands: ${COMMANDS.join(', ')})`}`);
  }
  const command = first as Command;
  if (rest.length > 0) {
    const extra = rest[0]!;
    if (looksLikeUrl(extra)) throw new UsageError(`a database URL goes after --url: sequelize-session-store ${command} --url <url>`);
    throw new UsageError(`unexpected argument "${extra}" after ${command}`);
  }
  for (const [option, commands] of Object.entries(ONLY_FOR)) {
    const given = option === 'json' ? flags.json : values[option as ValueOption] !== undefined;
    if (given && !commands.includes(command)) {
      throw new UsageError(`option --${option} does not apply to ${command} (only to ${commands.join(', ')})`);
    }
  }
  const dialect = values.dialect;
  if (dialect !== undefined && !(DIALECTS as readonly string[]).includes(dialect)) {
    throw new UsageError(`--dialect must be one of ${DIALECTS.join(', ')}, not "${dialect}"`);
  }
  return {
    ...flags,
    command,
    url: values.url,
    table: values.table,
    columns: values.columns === undefined ? undefined : parseColumns(values.columns),
    preset: values.preset,
    secret: values.secret,
    dialect: dialect as MigrationDialect | undefined,
  };
}
