import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import type { Client } from 'pg';
import { AnalystRoleMissingError } from './errors';

/** The read-only group role of warehouse-sql/007_analyst_role.sql. */
export const ANALYST_ROLE = 'totes_analyst';

/** The login user `totes up` and `totes sql` create on the embedded server. */
export const LOCAL_ANALYST_USER = 'analyst';

/** A login in the analyst role: its user name and password. */
export interface AnalystLogin {
  readonly user: string;
  readonly password: string;
}

/**
 * Creates (or updates) the login user `login.user` as a member of {@link ANALYST_ROLE}, with
 * the password given and every transaction read-only by default. Needs a role that may
 * create roles (the embedded server's superuser) and a migrated warehouse.
 *
 * @throws {AnalystRoleMissingError} when the warehouse has not been migrated yet.
 */
export async function ensureAnalystLogin(admin: Client, login: AnalystLogin): Promise<void> {
  const { rows } = await admin.query<{ group_exists: boolean; user_exists: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS group_exists,
            EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2) AS user_exists`,
    [ANALYST_ROLE, login.user],
  );
  if (!rows[0]?.group_exists) {
    throw new AnalystRoleMissingError(
      `the warehouse has no ${ANALYST_ROLE} role yet: run "totes load" (or "totes run") once to migrate it`,
      { context: { role: ANALYST_ROLE } },
    );
  }
  // Role names and passwords cannot be bound as parameters: both are quoted by pg itself.
  const user = admin.escapeIdentifier(login.user);
  const password = admin.escapeLiteral(login.password);
  if (!rows[0]?.user_exists) {
    await admin
      .query(`CREATE ROLE ${user} LOGIN PASSWORD ${password} IN ROLE ${ANALYST_ROLE}`)
      .catch((error) => {
        // Another process created it in the meantime (roles are server-wide): set it below.
        if ((error as { code?: string }).code !== '42710') throw error;
      });
  }
  await admin.query(`ALTER ROLE ${user} LOGIN PASSWORD ${password}`);
  await admin.query(`GRANT ${ANALYST_ROLE} TO ${user}`);
  await admin.query(`ALTER ROLE ${user} SET default_transaction_read_only = on`);
}

/** One line of a libpq password file. */
export interface PassEntry {
  readonly host: string;
  /** `*` for any. */
  readonly port: string;
  readonly database: string;
  readonly user: string;
  readonly password: string;
}

/** libpq's escaping in a password file: `\` and `:` take a backslash. */
const escapePass = (value: string): string => value.replace(/([\\:])/g, '\\$1');

/** The fields of one password-file line, unescaped; undefined for a comment or a malformed line. */
function parsePassLine(line: string): PassEntry | undefined {
  if (line.startsWith('#') || line.trim() === '') return undefined;
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === '\\' && i + 1 < line.length) current += line[++i];
    else if (ch === ':') {
      fields.push(current);
      current = '';
    } else current += ch;
  }
  fields.push(current);
  if (fields.length !== 5) return undefined;
  const [host, port, database, user, password] = fields as [string, string, string, string, string];
  return { host, port, database, user, password };
}

/**
 * Writes a libpq password file (the format psql, DBeaver's PostgreSQL driver and every
 * libpq tool read through `PGPASSFILE`), readable by its owner only, as libpq requires.
 */
export async function writePassFile(path: string, entries: readonly PassEntry[]): Promise<void> {
  const lines = entries.map((e) =>
    [e.host, e.port, e.database, e.user, e.password].map((f) => (f === '*' ? f : escapePass(f))).join(':'),
  );
  await writeFile(
    path,
    `# Written by totes up / totes sql for the embedded PostgreSQL. Use: export PGPASSFILE=${path}\n${lines.join('\n')}\n`,
    { mode: 0o600 },
  );
  await chmod(path, 0o600);
}

/** The entries of a password file; none when it does not exist. */
export async function readPassFile(path: string): Promise<PassEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text.split('\n').flatMap((line) => parsePassLine(line) ?? []);
}

/**
 * The password of the local analyst user: the one already in the password file at `path`, so
 * tools configured earlier keep working, or a new random one.
 */
export async function localAnalystPassword(path: string): Promise<string> {
  const known = (await readPassFile(path)).find((e) => e.user === LOCAL_ANALYST_USER);
  return known?.password ?? randomBytes(18).toString('base64url');
}

/** `url` with another user and password (or none). */
export function withCredentials(url: string, user: string, password?: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = password === undefined ? '' : encodeURIComponent(password);
  return parsed.toString();
}
