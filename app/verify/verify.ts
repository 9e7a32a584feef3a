import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'pg';
import { readCompactionManifest, readCompactionState } from '../../lambdas/compact/compact';
import { type DuckSession, openDuck, sqlString } from '../../lambdas/kernel/duckdb/duckdb';
import { readIngestState } from '../../lambdas/kernel/lake/documents/ingest-state';
import { readIngestManifest, readTransformManifest } from '../../lambdas/kernel/lake/documents/manifests';
import { readTransformState } from '../../lambdas/kernel/lake/documents/transform-state';
import type { LakeStore } from '../../lambdas/kernel/lake/lake-store';
import {
  type ColumnDef,
  ident,
  type LogicalType,
  type SourceTableDef,
  sourceTable,
  type WarehouseTableDef,
  warehouseTables,
} from '../../lambdas/kernel/schema';
import { readRawSql } from '../../lambdas/transform/batch/inputs';

/** Where a count or checksum was measured. */
export type Zone = 'source' | 'raw' | 'lake' | 'warehouse';

/** One reconciliation check of one star table across the zones that hold it. */
export interface VerifyCheck {
  readonly table: string;
  /**
   * `current rows`: rows in their current state (facts: latest version of each source row,
   * not deleted; dimensions: every member); `current checksum`: an order-independent hash
   * of those rows' content, rendered the same way on PostgreSQL and DuckDB; `history rows`:
   * fact versions; `source keys missing`: source rows absent from the dimension.
   */
  readonly check: 'current rows' | 'current checksum' | 'history rows' | 'source keys missing';
  readonly values: Readonly<Partial<Record<Zone, string>>>;
  readonly ok: boolean;
}

/** What {@link verifyPipeline} found. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly checks: readonly VerifyCheck[];
  /** Fact files in the curated zone that no committed batch wrote (a reader would see them). */
  readonly strayFiles: readonly string[];
}

/** Collaborators of {@link verifyPipeline}: both databases, the lake, scratch space. */
export interface VerifyDeps {
  readonly source: Client;
  readonly warehouse: Client;
  readonly lake: LakeStore;
  /** Scratch folder for copies of remote lake objects. */
  readonly workDir: string;
}

/** Source columns a fact column is computed from, where the name differs (DESIGN §5). */
const RENAMED: Readonly<Record<string, string>> = { sales_staff_id: 'staff_id' };
/** Fact lineage, not source content. */
const LINEAGE = new Set(['observed_at', 'is_deleted']);
/** The unit separator between rendered values; a NULL renders as `\N`. */
const SEP = 'chr(31)';

/**
 * Reconciles source ↔ raw ↔ curated ↔ warehouse per star table, reading only: current-state
 * row counts and content checksums (facts: the source row's current values mapped to fact
 * columns — same-named columns, `sales_staff_id` ← `staff_id`, created/last_updated date and
 * time from the timestamps, text dates as dates), fact history counts (lake vs warehouse;
 * raw versions as information), and that every source key has its dimension row. A pure
 * function of its clients, so the CLI (`totes verify`) and a Lambda can both run it.
 *
 * @example
 * const report = await verifyPipeline({ source, warehouse, lake, workDir: '/tmp' });
 * if (!report.ok) process.exitCode = 3;
 */
export async function verifyPipeline(deps: VerifyDeps): Promise<VerifyReport> {
  await mkdir(deps.workDir, { recursive: true });
  const work = await mkdtemp(join(deps.workDir, 'verify-'));
  const duck = await openDuck({ memoryLimit: '1GB', tempDirectory: join(work, 'duckdb') });
  try {
    const reader = new LakeReader(deps.lake, duck, work);
    const checks: VerifyCheck[] = [];
    const strayFiles: string[] = [];
    for (const table of warehouseTables) {
      if (table.kind === 'fact') {
        const files = await reader.factFiles(table);
        strayFiles.push(...files.stray);
        checks.push(...(await verifyFact(deps, reader, table, files.paths)));
      } else {
        checks.push(...(await verifyDimension(deps, reader, table)));
      }
    }
    return { ok: checks.every((c) => c.ok) && strayFiles.length === 0, checks, strayFiles };
  } finally {
    duck.close();
    await rm(work, { recursive: true, force: true });
  }
}

type Dialect = 'pg' | 'duck';

/** A value as canonical text: the same string on PostgreSQL and DuckDB for the same value. */
function render(expr: string, type: LogicalType, dialect: Dialect): string {
  const pg = dialect === 'pg';
  switch (type) {
    case 'money':
      return pg ? `(${expr})::numeric(10,2)::text` : `CAST(CAST(${expr} AS DECIMAL(10,2)) AS VARCHAR)`;
    case 'date':
      return pg ? `to_char(${expr}, 'YYYY-MM-DD')` : `strftime(CAST(${expr} AS DATE), '%Y-%m-%d')`;
    case 'time':
      // The lake holds times as HH:MM:SS.fff text already.
      return pg ? `to_char(${expr}, 'HH24:MI:SS.MS')` : `CAST(${expr} AS VARCHAR)`;
    case 'timestamp':
      return pg
        ? `to_char(${expr}, 'YYYY-MM-DD HH24:MI:SS.MS')`
        : `strftime(CAST(${expr} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%g')`;
    default:
      return pg ? `(${expr})::text` : `CAST(${expr} AS VARCHAR)`;
  }
}

/** Order-independent checksum of rows rendered by `rowText`: the sum of a 60-bit hash per row. */
function checksumSql(rowText: string, from: string, dialect: Dialect): string {
  const hash =
    dialect === 'pg'
      ? `('x' || substr(md5(${rowText}), 1, 15))::bit(60)::bigint`
      : `CAST(('0x' || substr(md5(${rowText}), 1, 15)) AS BIGINT)`;
  const text = dialect === 'pg' ? '::text' : '::VARCHAR';
  return `SELECT count(*)${text} AS n, coalesce(sum(${hash}), 0)${text} AS checksum FROM ${from}`;
}

const rowText = (values: readonly string[]): string =>
  `concat_ws(${SEP}, ${values.map((v) => `coalesce(${v}, '\\N')`).join(', ')})`;

/** A fact column computed from source columns (`col` quotes a source column name). */
function factValue(
  column: ColumnDef,
  source: SourceTableDef,
  col: (name: string) => string,
  dialect: Dialect,
) {
  const split = /^(created|last_updated)_(date|time)$/.exec(column.name);
  if (split?.[1] && split[2]) {
    const ts = col(split[1] === 'created' ? 'created_at' : 'last_updated');
    const asTs = dialect === 'pg' ? ts : `CAST(${ts} AS TIMESTAMP)`;
    if (split[2] === 'date') return render(asTs, 'date', dialect);
    return dialect === 'pg' ? `to_char(${asTs}, 'HH24:MI:SS.MS')` : `strftime(${asTs}, '%H:%M:%S.%g')`;
  }
  const name = RENAMED[column.name] ?? column.name;
  const sourceColumn = source.columns.find((c) => c.name === name);
  if (!sourceColumn) throw new Error(`fact column ${column.name} has no source column in ${source.name}`);
  // A text date renders as itself: valid ones are YYYY-MM-DD already.
  return sourceColumn.type === 'date_text' ? col(name) : render(col(name), column.type, dialect);
}

const contentColumns = (table: WarehouseTableDef) => table.columns.filter((c) => !LINEAGE.has(c.name));

async function verifyFact(
  deps: VerifyDeps,
  reader: LakeReader,
  table: WarehouseTableDef,
  factPaths: readonly string[],
): Promise<VerifyCheck[]> {
  const source = sourceTable(table.sourceTable ?? '');
  const columns = contentColumns(table);
  const pk = ident(table.naturalKey);

  const sourceRow = rowText(columns.map((c) => factValue(c, source, (n) => ident(n), 'pg')));
  const src = await pgOne(deps.source, checksumSql(sourceRow, ident(source.name), 'pg'));

  const raw = await reader.rawCurrent(source);
  const rawRow = rowText(columns.map((c) => factValue(c, source, (n) => ident(n), 'duck')));
  const rawSums = await duckOne(reader.duck, checksumSql(rawRow, raw.current, 'duck'));

  const factRow = (dialect: Dialect) => rowText(columns.map((c) => render(ident(c.name), c.type, dialect)));
  const latest = (from: string) =>
    `(SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY ${pk} ORDER BY observed_at DESC) AS _v FROM ${from}) x WHERE _v = 1 AND NOT is_deleted) cur`;
  const lakeFrom = factPaths.length
    ? `read_parquet([${factPaths.map(sqlString).join(', ')}], hive_partitioning = false)`
    : undefined;
  const lake = lakeFrom
    ? await duckOne(reader.duck, checksumSql(factRow('duck'), latest(lakeFrom), 'duck'))
    : { n: '0', checksum: '0' };
  const lakeHistory = lakeFrom
    ? await duckOne(reader.duck, `SELECT count(*)::VARCHAR AS n FROM ${lakeFrom}`)
    : { n: '0' };
  const wh = await pgOne(deps.warehouse, checksumSql(factRow('pg'), latest(ident(table.name)), 'pg'));
  const whHistory = await pgOne(deps.warehouse, `SELECT count(*)::text AS n FROM ${ident(table.name)}`);

  const all = { source: src, raw: rawSums, lake, warehouse: wh };
  return [
    check(
      table.name,
      'current rows',
      mapValues(all, (v) => v.n),
    ),
    check(
      table.name,
      'current checksum',
      mapValues(all, (v) => v.checksum),
    ),
    {
      table: table.name,
      check: 'history rows',
      values: { raw: raw.versions, lake: lakeHistory.n, warehouse: whHistory.n },
      // Raw holds re-deliveries too, so it may exceed the facts; never the other way round.
      ok: lakeHistory.n === whHistory.n && Number(raw.versions) >= Number(lakeHistory.n),
    },
  ];
}

async function verifyDimension(
  deps: VerifyDeps,
  reader: LakeReader,
  table: WarehouseTableDef,
): Promise<VerifyCheck[]> {
  const row = (dialect: Dialect) => rowText(table.columns.map((c) => render(ident(c.name), c.type, dialect)));
  const path = await reader.dimensionFile(table.name);
  const lake = path
    ? await duckOne(reader.duck, checksumSql(row('duck'), `read_parquet(${sqlString(path)})`, 'duck'))
    : { n: '0', checksum: '0' };
  const wh = await pgOne(deps.warehouse, checksumSql(row('pg'), ident(table.name), 'pg'));
  const checks = [
    check(table.name, 'current rows', { lake: lake.n, warehouse: wh.n }),
    check(table.name, 'current checksum', { lake: lake.checksum, warehouse: wh.checksum }),
  ];
  const source = DIMENSION_SOURCE[table.name];
  if (source) {
    // Dimensions keep the members of deleted source rows: every source key must be there.
    const { rows } = await deps.source.query<{ k: number }>(
      `SELECT ${ident(source.key)} AS k FROM ${ident(source.table)}`,
    );
    const members = path
      ? new Set(
          (
            await reader.duck.all(`SELECT ${ident(table.naturalKey)} FROM read_parquet(${sqlString(path)})`)
          ).rows.map((r) => Number(r[0])),
        )
      : new Set<number>();
    const missing = rows.filter((r) => !members.has(Number(r.k))).length;
    checks.push({
      table: table.name,
      check: 'source keys missing',
      values: { source: String(rows.length), lake: String(missing) },
      ok: missing === 0,
    });
  }
  return checks;
}

/** The source table whose primary keys are a dimension's members. */
const DIMENSION_SOURCE: Readonly<Record<string, { table: string; key: string }>> = {
  dim_staff: { table: 'staff', key: 'staff_id' },
  dim_location: { table: 'address', key: 'address_id' },
  dim_design: { table: 'design', key: 'design_id' },
  dim_currency: { table: 'currency', key: 'currency_id' },
  dim_counterparty: { table: 'counterparty', key: 'counterparty_id' },
  dim_payment_type: { table: 'payment_type', key: 'payment_type_id' },
  dim_transaction: { table: 'transaction', key: 'transaction_id' },
};

function check(
  table: string,
  name: VerifyCheck['check'],
  values: Partial<Record<Zone, string>>,
): VerifyCheck {
  const distinct = new Set(Object.values(values));
  return { table, check: name, values, ok: distinct.size <= 1 };
}

function mapValues<T>(o: Record<Zone, T>, f: (v: T) => string): Record<Zone, string> {
  return { source: f(o.source), raw: f(o.raw), lake: f(o.lake), warehouse: f(o.warehouse) };
}

async function pgOne(client: Client, sql: string): Promise<{ n: string; checksum: string }> {
  const { rows } = await client.query<{ n: string; checksum: string }>(sql);
  return { n: String(rows[0]?.n ?? '0'), checksum: String(rows[0]?.checksum ?? '0') };
}

async function duckOne(duck: DuckSession, sql: string): Promise<{ n: string; checksum: string }> {
  const { columns, rows } = await duck.all(sql);
  const row = rows[0] ?? [];
  const at = (name: string) => String(row[columns.indexOf(name)] ?? '0');
  return { n: at('n'), checksum: at('checksum') };
}

/** Reads committed lake objects into DuckDB (in place for a local lake, else downloaded). */
class LakeReader {
  private downloads = 0;

  constructor(
    private readonly lake: LakeStore,
    readonly duck: DuckSession,
    private readonly work: string,
  ) {}

  private async local(key: string): Promise<string> {
    const inPlace = this.lake.localPath(key);
    if (inPlace !== undefined) return inPlace;
    const path = join(this.work, 'in', `${this.downloads++}-${key.split('/').pop() ?? 'object'}`);
    await this.lake.download(key, path);
    return path;
  }

  /**
   * Every fact file under `curated/<fact>/`, and the stray ones: written by no committed batch
   * or compaction, or replaced by a committed compaction and not deleted yet (a reader would
   * count their rows twice).
   */
  async factFiles(table: WarehouseTableDef): Promise<{ paths: string[]; stray: string[] }> {
    const { state } = await readTransformState(this.lake);
    const committed = new Set<string>();
    for (let s = 1; s <= state.seq; s++) {
      for (const o of (await readTransformManifest(this.lake, s)).facts) committed.add(o.key);
    }
    const compaction = (await readCompactionState(this.lake)).state;
    for (let s = 1; s <= compaction.seq; s++) {
      for (const c of (await readCompactionManifest(this.lake, s)).compactions) {
        committed.add(c.key);
        for (const key of c.replaced) committed.delete(key);
      }
    }
    const paths: string[] = [];
    const stray: string[] = [];
    for await (const key of this.lake.list(`curated/${table.name}/`)) {
      if (!key.endsWith('.parquet')) continue;
      if (!committed.has(key)) stray.push(key);
      paths.push(await this.local(key));
    }
    return { paths, stray };
  }

  /** The committed snapshot file of a dimension, if any. */
  async dimensionFile(dim: string): Promise<string | undefined> {
    const { state } = await readTransformState(this.lake);
    const key = state.dimensions[dim];
    return key === undefined ? undefined : this.local(key);
  }

  /**
   * `raw_cur_<t>`: the current state of a source table according to the committed raw
   * objects (the latest version of each key, deleted ones dropped); and the versions count.
   */
  async rawCurrent(table: SourceTableDef): Promise<{ current: string; versions: string }> {
    const { state } = await readIngestState(this.lake);
    const files: { path: string; seq: number }[] = [];
    for (let s = 1; s <= state.seq; s++) {
      for (const o of (await readIngestManifest(this.lake, s)).objects) {
        if (o.table === table.name && o.rows > 0) files.push({ path: await this.local(o.key), seq: s });
      }
    }
    const name = ident(`raw_cur_${table.name}`);
    if (files.length === 0) {
      await this.duck.exec(
        `CREATE OR REPLACE TEMP TABLE ${name} AS SELECT ${table.columns.map((c) => `NULL::VARCHAR AS ${ident(c.name)}`).join(', ')} LIMIT 0`,
      );
      return { current: name, versions: '0' };
    }
    await this.duck.exec(readRawSql(table, files));
    const raw = ident(`raw_${table.name}`);
    const pk = ident(table.primaryKey);
    await this.duck.exec(
      `CREATE OR REPLACE TEMP TABLE ${name} AS SELECT * EXCLUDE (_v) FROM (SELECT *, row_number() OVER (PARTITION BY ${pk} ORDER BY _seq DESC) AS _v FROM ${raw}) WHERE _v = 1 AND _op <> 'd'`,
    );
    const versions = await this.duck.scalarNumber(`SELECT count(*) FROM ${raw}`);
    return { current: name, versions: String(versions) };
  }
}
