import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'pg';
import type { Log } from '../../lambdas/kernel/logger';
import { ident, type SourceTableDef, sourceTables } from '../../lambdas/kernel/schema';
import { dropSourceDdl, sourceDdl } from '../../lambdas/kernel/schema/source-ddl';
import { copyLines } from './copy';
import { CopyRowFormatter } from './copy-text';
import {
  SeedConflictError,
  SnapshotFolderError,
  SnapshotIntegrityError,
  SourceError,
  SourceSchemaError,
} from './errors';
import { FlatJsonReader } from './flat-json';

/** Progress of a long seed, reported as it goes (the CLI draws a bar from it). */
export interface SeedProgress {
  readonly table: string;
  /** Rows of `table` sent so far. */
  readonly rows: number;
  /** Work done and total in the seed's own unit (bytes of snapshot files, or rows generated). */
  readonly done: number;
  readonly total: number;
}

/** Options of {@link seedFromSnapshot}. */
export interface SnapshotSeedOptions {
  /**
   * `false` (default): plain bulk load; fails with {@link SeedConflictError} if a row's key
   * is already there. `true`: insert new rows and overwrite existing ones with the file's
   * values, `last_updated` included exactly as in the file.
   * @default false
   */
  readonly upsert?: boolean;
  readonly log?: Log;
  readonly onProgress?: (progress: SeedProgress) => void;
}

/** What loading one table of a snapshot did. */
export interface TableSeedResult {
  readonly table: string;
  readonly file: string;
  /** Rows in the file. */
  readonly rows: number;
  /** Rows that were not in the table before. */
  readonly inserted: number;
  /** Existing rows whose values changed (upsert only; an identical row is left untouched). */
  readonly updated: number;
}

/** What {@link seedFromSnapshot} loaded, in load order, and the tables the folder lacks. */
export interface SnapshotSeedResult {
  readonly tables: readonly TableSeedResult[];
  readonly missing: readonly string[];
}

/** A table file found in a snapshot folder. */
export interface SnapshotFile {
  readonly table: SourceTableDef;
  readonly path: string;
  readonly bytes: number;
}

/**
 * Creates the `totesys` schema (enums, 11 tables, keys) unless it is already complete.
 * `reset: true` drops it first, data included. Returns whether it had to create it.
 *
 * @throws {SourceSchemaError} when only some of the tables exist (and `reset` is not set).
 */
export async function createSourceSchema(
  client: Client,
  options: { reset?: boolean } = {},
): Promise<'created' | 'existing'> {
  if (options.reset) for (const sql of dropSourceDdl()) await client.query(sql);
  const existing = await existingTables(client);
  if (existing.length === sourceTables.length) return 'existing';
  if (existing.length > 0) {
    throw new SourceSchemaError(
      `the source database has only some totesys tables (${existing.join(', ')}); drop them or seed with --reset`,
      { context: { existing } },
    );
  }
  await inTransaction(client, async () => {
    for (const sql of sourceDdl()) await client.query(sql);
  });
  return 'created';
}

async function existingTables(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c
       WHERE c.relkind = 'r' AND c.relname = ANY($1) AND pg_table_is_visible(c.oid)`,
    [sourceTables.map((t) => t.name)],
  );
  return rows.map((r) => r.name).sort();
}

/**
 * Finds the table files of a snapshot folder: `<table>.jsonl` (JSON Lines) or `<table>.json`
 * (a JSON array, or JSON Lines too), returned in load (foreign key) order. Tables without a
 * file are simply absent: partial snapshots are normal.
 *
 * @throws {SnapshotFolderError} when the folder has no table file, or two for one table.
 */
export async function snapshotFiles(dir: string): Promise<SnapshotFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new SnapshotFolderError(`cannot read the snapshot folder ${dir}; check the path`, {
      cause,
      context: { dir },
    });
  }
  const found: SnapshotFile[] = [];
  for (const table of sourceTables) {
    const candidates = [`${table.name}.jsonl`, `${table.name}.json`].filter((n) => names.includes(n));
    if (candidates.length > 1) {
      throw new SnapshotFolderError(`${dir} has both ${candidates.join(' and ')}; keep one file per table`, {
        context: { dir, table: table.name },
      });
    }
    const name = candidates[0];
    if (name === undefined) continue;
    const path = join(dir, name);
    found.push({ table, path, bytes: (await stat(path)).size });
  }
  if (found.length === 0) {
    throw new SnapshotFolderError(
      `${dir} holds no totesys table file; expected files like sales_order.jsonl or sales_order.json`,
      { context: { dir } },
    );
  }
  return found;
}

/**
 * Loads every table file of a snapshot folder (formats of `shared/totesys-data`) into an
 * existing source schema, in one transaction, with `COPY FROM STDIN`. Timestamps keep their
 * milliseconds, money its exact cents; afterwards every serial sequence is moved past the
 * largest id so new rows get fresh keys.
 *
 * @example
 * await createSourceSchema(client);
 * await seedFromSnapshot(client, '/work/shared/totesys-data/aranparrish-2024-05-21');
 * await seedFromSnapshot(client, '/work/shared/totesys-data/aidan-mooney-2024-11-15/jsonl', { upsert: true });
 */
export async function seedFromSnapshot(
  client: Client,
  dir: string,
  options: SnapshotSeedOptions = {},
): Promise<SnapshotSeedResult> {
  const files = await snapshotFiles(dir);
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  const missing = sourceTables.filter((t) => !files.some((f) => f.table === t)).map((t) => t.name);
  const results: TableSeedResult[] = [];
  let done = 0;
  await inTransaction(client, async () => {
    for (const file of files) {
      const progress = (rows: number, bytes: number) =>
        options.onProgress?.({ table: file.table.name, rows, done: done + bytes, total });
      const result = await loadTable(client, file, options.upsert ?? false, progress);
      options.log?.info('seeded table', { ...result });
      results.push(result);
      done += file.bytes;
    }
    await resetSequences(
      client,
      files.map((f) => f.table),
    );
  });
  return { tables: results, missing };
}

async function loadTable(
  client: Client,
  file: SnapshotFile,
  upsert: boolean,
  progress: (rows: number, bytes: number) => void,
): Promise<TableSeedResult> {
  const { table } = file;
  const columns = table.columns.map((c) => c.name);
  const lines = snapshotLines(file, progress);
  try {
    if (!upsert) {
      const rows = await copyLines(client, table.name, columns, lines);
      return { table: table.name, file: file.path, rows, inserted: rows, updated: 0 };
    }
    const stage = `stage_${table.name}`;
    await client.query(`CREATE TEMP TABLE ${ident(stage)} (LIKE ${ident(table.name)}) ON COMMIT DROP`);
    const rows = await copyLines(client, stage, columns, lines);
    const { inserted, updated } = await upsertFromStage(client, table, stage);
    await client.query(`DROP TABLE ${ident(stage)}`);
    return { table: table.name, file: file.path, rows, inserted, updated };
  } catch (error) {
    throw explainLoadError(error, file);
  }
}

async function* snapshotLines(
  file: SnapshotFile,
  progress: (rows: number, bytes: number) => void,
): AsyncGenerator<string> {
  const reader = new FlatJsonReader(file.path);
  const formatter = new CopyRowFormatter(file.table, file.path);
  let bytes = 0;
  let index = 0;
  for await (const chunk of createReadStream(file.path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = chunk as string;
    bytes += Buffer.byteLength(text);
    for (const record of reader.push(text)) yield formatter.line(record, ++index);
    progress(index, bytes);
  }
  reader.end();
}

/**
 * Applies staged rows: new keys are inserted, existing rows take every value of the file —
 * `last_updated` included, so an in-place change keeps its old timestamp exactly as the
 * real source does. Rows identical to the file are not rewritten (no new row version).
 */
async function upsertFromStage(
  client: Client,
  table: SourceTableDef,
  stage: string,
): Promise<{ inserted: number; updated: number }> {
  const columns = table.columns.map((c) => ident(c.name));
  const others = table.columns.filter((c) => c.name !== table.primaryKey).map((c) => ident(c.name));
  const target = ident(table.name);
  const sql = `WITH applied AS (
      INSERT INTO ${target} AS t (${columns.join(', ')})
      SELECT ${columns.join(', ')} FROM ${ident(stage)}
      ON CONFLICT (${ident(table.primaryKey)}) DO UPDATE
        SET ${others.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
        WHERE (${others.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${others.map((c) => `EXCLUDED.${c}`).join(', ')})
      RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated
    FROM applied`;
  const { rows } = await client.query<{ inserted: number; updated: number }>(sql);
  return rows[0] ?? { inserted: 0, updated: 0 };
}

/**
 * Moves the serial sequence of each table past its largest id, so rows inserted later
 * (by totesys or `simulateChanges`) do not collide with loaded ones.
 */
export async function resetSequences(
  client: Client,
  tables: readonly SourceTableDef[] = sourceTables,
): Promise<void> {
  for (const table of tables) {
    const pk = ident(table.primaryKey);
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(${pk}), 1), max(${pk}) IS NOT NULL)
         FROM ${ident(table.name)}`,
      [ident(table.name), table.primaryKey],
    );
  }
}

function explainLoadError(error: unknown, file: SnapshotFile): unknown {
  if (error instanceof SourceError) return error;
  const code = (error as { code?: unknown }).code;
  const detail = error instanceof Error ? error.message : String(error);
  const context = { table: file.table.name, file: file.path };
  if (code === '23505') {
    return new SeedConflictError(
      `${file.table.name}: rows of ${file.path} already exist in the source (${detail}); seed with --reset to start over or --upsert to overwrite them`,
      { cause: error, context },
    );
  }
  if (code === '23503') {
    return new SnapshotIntegrityError(
      `${file.table.name}: rows of ${file.path} reference rows that are neither in the snapshot nor in the database (${detail}); add the referenced table's file to the folder`,
      { cause: error, context },
    );
  }
  return error;
}

/** Runs `work` in a transaction: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(client: Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
