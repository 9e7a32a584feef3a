import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'pg';
import { type DuckSession, openDuck, sqlString } from '../../lambdas/kernel/duckdb/duckdb';
import { committedTransformSeq } from '../../lambdas/kernel/lake/documents/manifests';
import type { LakeStore } from '../../lambdas/kernel/lake/lake-store';
import {
  type ColumnDef,
  type ColumnSource,
  ident,
  isVersionColumn,
  lineage,
  sourceColumnOf,
  sourceTable,
  type TableLineage,
  type WarehouseTableDef,
  warehouseTables,
} from '../../lambdas/kernel/schema';
import { type LedgerProof, ledgerRefusal, proveLedger } from '../../lambdas/load/ledger';
import { currencyName } from '../../lambdas/transform/iso4217';
import { explainCheckFailure, TableCheckError } from './errors';
import { type KeyDifference, type KeyedQuery, KeyedTables, type Zone } from './keyed';
import { LakeReader } from './lake-reader';
import {
  checksumSql,
  type Dialect,
  keyHashSql,
  latestVersionsSql,
  pgString,
  render,
  rowText,
  starKey,
  starRowText,
  versionsPerKeySql,
} from './sql';

export type { KeyDifference, Zone } from './keyed';

/** One reconciliation check of one star table across the zones that hold it. */
export interface VerifyCheck {
  readonly table: string;
  /**
   * `current rows`: rows in their current state (facts: latest version of each source row,
   * not deleted; dimensions: every member); `current checksum`: an order-independent hash
   * of those rows' content, rendered the same way on PostgreSQL and DuckDB; `source
   * checksum`: a dimension's members rebuilt from the source's current rows against the
   * lake's (for the keys the source has); `history rows`: fact versions; `source keys
   * missing`: source rows absent from the dimension; `batches loaded` (table
   * `etl.load_log`): the lake's committed transform batch and the last one the warehouse's
   * ledger records, which must be the same batches (see `proveLedger`); `error`: the table
   * could not be checked (see `error`), the other tables were.
   */
  readonly check:
    | 'current rows'
    | 'current checksum'
    | 'source checksum'
    | 'history rows'
    | 'source keys missing'
    | 'batches loaded'
    | 'error';
  readonly values: Readonly<Partial<Record<Zone, string>>>;
  readonly ok: boolean;
  /** For `error`: what failed, where, and what to do. */
  readonly error?: string;
}

/** What is wrong with one table, for people: where it differs first, at which keys, and what to do. */
export interface VerifyFinding {
  readonly table: string;
  /** The first pair of zones (upstream first) that disagree. Absent for an `error`. */
  readonly between?: readonly [Zone, Zone];
  /** The first keys (in key order) whose rows differ between them. */
  readonly keys?: readonly KeyDifference[];
  /** For a table that could not be checked: the place that failed. */
  readonly zone?: Zone;
  /** One line: the difference, its first keys, the next step. */
  readonly message: string;
}

/** What {@link verifyPipeline} found. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly checks: readonly VerifyCheck[];
  /** Fact files in the curated zone that no committed batch wrote (a reader would see them). */
  readonly strayFiles: readonly string[];
  /** One per table that failed a check or could not be checked. */
  readonly findings: readonly VerifyFinding[];
  /** What `totes verify --repair` did before this report was taken (see `verifyAndRepair`). */
  readonly repairs?: readonly string[];
}

/** Collaborators of {@link verifyPipeline}: both databases, the lake, scratch space. */
export interface VerifyDeps {
  readonly source: Client;
  readonly warehouse: Client;
  readonly lake: LakeStore;
  /** Scratch folder for copies of remote lake objects. */
  readonly workDir: string;
  /** How many differing keys a finding names. @default 5 */
  readonly maxKeys?: number;
}

/**
 * Reconciles source ↔ raw ↔ curated ↔ warehouse per star table, reading only: current-state
 * row counts and content checksums (facts: the source row's current values mapped to fact
 * columns — same-named columns, `sales_staff_id` ← `staff_id`, created/last_updated date and
 * time from the timestamps, text dates as dates; dimensions: their members rebuilt from the
 * source's current rows the way the transform builds them), fact history counts (lake vs
 * warehouse; raw versions as information), and that every source key has its dimension row.
 *
 * Each table is checked on its own: one that cannot be checked (a raw object missing, a source
 * table or column gone, nothing loaded yet) gives an `error` row saying why and what to do,
 * and the others are still checked. For a table that differs, a finding names the first two
 * zones that disagree, the first keys whose rows differ and the next step.
 *
 * A pure function of its clients, so the CLI (`totes verify`) and a Lambda can both run it.
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
    const ctx: Context = {
      deps,
      duck,
      reader: new LakeReader(deps.lake, duck, work),
      keyed: new KeyedTables(duck, work),
      maxKeys: deps.maxKeys ?? 5,
    };
    const checks: VerifyCheck[] = [];
    const findings: VerifyFinding[] = [];
    const strayFiles: string[] = [];
    for (const table of warehouseTables) {
      try {
        const result =
          table.kind === 'fact' ? await verifyFact(ctx, table) : await verifyDimension(ctx, table);
        checks.push(...result.checks);
        strayFiles.push(...result.stray);
        if (result.finding) findings.push(result.finding);
        if (result.stray.length > 0) findings.push(strayFinding(table, result.stray));
      } catch (error) {
        const failure =
          error instanceof TableCheckError
            ? error
            : explainCheckFailure('lake', table.name, table.sourceTable, error);
        checks.push({ table: table.name, check: 'error', values: {}, ok: false, error: failure.message });
        findings.push({
          table: table.name,
          zone: failure.zone,
          message: `could not be checked: ${failure.message}`,
        });
      }
    }
    const ledger = await verifyLedger(deps);
    checks.push(ledger.check);
    if (ledger.finding) findings.push(ledger.finding);
    return { ok: checks.every((c) => c.ok) && strayFiles.length === 0, checks, strayFiles, findings };
  } finally {
    duck.close();
    await rm(work, { recursive: true, force: true });
  }
}

interface Context {
  readonly deps: VerifyDeps;
  readonly duck: DuckSession;
  readonly reader: LakeReader;
  readonly keyed: KeyedTables;
  readonly maxKeys: number;
}

interface TableResult {
  readonly checks: VerifyCheck[];
  readonly stray: readonly string[];
  readonly finding?: VerifyFinding;
}

/** Runs `work` against `zone`, turning a failure into a {@link TableCheckError} that says what to do. */
async function on<T>(zone: Zone, table: WarehouseTableDef, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw explainCheckFailure(zone, table.name, lineage(table.name).from, error);
  }
}

/**
 * A fact column's value computed from its source row (lineage.ts), rendered as the star
 * column renders; `col` quotes a column of the source row.
 */
function sourceValue(
  column: ColumnDef,
  source: ColumnSource,
  col: (name: string) => string,
  dialect: Dialect,
) {
  switch (source.kind) {
    case 'column':
      // A text date renders as itself: valid ones are YYYY-MM-DD already.
      return sourceColumnOf(source)?.type === 'date_text'
        ? col(source.column)
        : render(col(source.column), column.type, dialect);
    case 'date_of':
    case 'time_of': {
      const ts = dialect === 'pg' ? col(source.column) : `CAST(${col(source.column)} AS TIMESTAMP)`;
      if (source.kind === 'date_of') return render(ts, 'date', dialect);
      return dialect === 'pg' ? `to_char(${ts}, 'HH24:MI:SS.MS')` : `strftime(${ts}, '%H:%M:%S.%g')`;
    }
    default:
      throw new RangeError(
        `verify cannot compute a ${source.kind} column (${column.name}) from a source row`,
      );
  }
}

/** The content columns of a fact with their lineage: every column but the version's own. */
function contentColumns(table: WarehouseTableDef): { column: ColumnDef; source: ColumnSource }[] {
  const l = lineage(table.name);
  return table.columns.flatMap((column) => {
    const source = l.columns.find((c) => c.name === column.name)?.source;
    return source && !isVersionColumn(source) ? [{ column, source }] : [];
  });
}

/** No rows, in the shape of a keyed query. */
const NO_KEYS = 'SELECT CAST(NULL AS VARCHAR) AS k, CAST(NULL AS BIGINT) AS h WHERE false';

async function verifyFact(ctx: Context, table: WarehouseTableDef): Promise<TableResult> {
  const { deps, reader } = ctx;
  const source = sourceTable(lineage(table.name).from ?? '');
  const columns = contentColumns(table);
  const pk = ident(table.naturalKey);
  const key = (dialect: Dialect) => render(pk, 'int', dialect);
  const files = await on('lake', table, () => reader.factFiles(table));

  const sourceRow = rowText(columns.map((c) => sourceValue(c.column, c.source, ident, 'pg')));
  const src = await on('source', table, () =>
    pgOne(deps.source, checksumSql(sourceRow, ident(source.name), 'pg')),
  );
  const raw = await on('raw', table, () => reader.rawCurrent(source));
  const rawRow = rowText(columns.map((c) => sourceValue(c.column, c.source, ident, 'duck')));
  const rawSums = await on('raw', table, () => duckOne(ctx.duck, checksumSql(rawRow, raw.current, 'duck')));

  const factRow = (dialect: Dialect) =>
    rowText(columns.map(({ column }) => render(ident(column.name), column.type, dialect)));
  const lakeFrom = files.paths.length
    ? `read_parquet([${files.paths.map(sqlString).join(', ')}], hive_partitioning = false)`
    : undefined;
  const lake = lakeFrom
    ? await on('lake', table, () =>
        duckOne(ctx.duck, checksumSql(factRow('duck'), latestVersionsSql(table, lakeFrom), 'duck')),
      )
    : { n: '0', checksum: '0' };
  const lakeHistory = lakeFrom
    ? await on('lake', table, () => duckOne(ctx.duck, `SELECT count(*)::VARCHAR AS n FROM ${lakeFrom}`))
    : { n: '0' };
  const wh = await on('warehouse', table, () =>
    pgOne(deps.warehouse, checksumSql(factRow('pg'), latestVersionsSql(table, ident(table.name)), 'pg')),
  );
  const whHistory = await on('warehouse', table, () =>
    pgOne(deps.warehouse, `SELECT count(*)::text AS n FROM ${ident(table.name)}`),
  );

  const all = { source: src, raw: rawSums, lake, warehouse: wh };
  const checks: VerifyCheck[] = [
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
  if (checks.every((c) => c.ok)) return { checks, stray: files.stray };

  const current: Record<Zone, KeyedQuery> = {
    source: {
      zone: 'source',
      client: deps.source,
      sql: keyHashSql(key('pg'), sourceRow, ident(source.name), 'pg'),
    },
    raw: { zone: 'raw', sql: keyHashSql(key('duck'), rawRow, raw.current, 'duck') },
    lake: {
      zone: 'lake',
      sql: lakeFrom
        ? keyHashSql(key('duck'), factRow('duck'), latestVersionsSql(table, lakeFrom), 'duck')
        : NO_KEYS,
    },
    warehouse: {
      zone: 'warehouse',
      client: deps.warehouse,
      sql: keyHashSql(key('pg'), factRow('pg'), latestVersionsSql(table, ident(table.name)), 'pg'),
    },
  };
  const order: Zone[] = ['source', 'raw', 'lake', 'warehouse'];
  const differs = (a: Zone, b: Zone) => all[a].n !== all[b].n || all[a].checksum !== all[b].checksum;
  const at = order.findIndex((z, i) => i + 1 < order.length && differs(z, order[i + 1] as Zone));
  if (at >= 0) {
    const a = order[at] as Zone;
    const b = order[at + 1] as Zone;
    const keys = await diff(ctx, table, current[a], current[b]);
    return { checks, stray: files.stray, finding: finding(table, 'current rows', [a, b], keys) };
  }
  if (lakeHistory.n === whHistory.n) {
    return {
      checks,
      stray: files.stray,
      finding: {
        table: table.name,
        between: ['raw', 'lake'],
        message: `the lake holds ${lakeHistory.n} fact versions but the committed raw objects only ${raw.versions} rows: the curated zone was not built from this raw zone. Next: rebuild the curated zone from the raw zone (README, operator runbook)`,
      },
    };
  }
  const keys = await diff(
    ctx,
    table,
    { zone: 'lake', sql: lakeFrom ? versionsPerKeySql(key('duck'), pk, lakeFrom) : NO_KEYS },
    {
      zone: 'warehouse',
      client: deps.warehouse,
      sql: versionsPerKeySql(key('pg'), pk, ident(table.name)),
    },
  );
  return { checks, stray: files.stray, finding: finding(table, 'history rows', ['lake', 'warehouse'], keys) };
}

async function verifyDimension(ctx: Context, table: WarehouseTableDef): Promise<TableResult> {
  const { deps, keyed } = ctx;
  // The whole snapshot folder, as Athena reads it: a stray file there is counted, and reported.
  const files = await on('lake', table, () => ctx.reader.dimensionFiles(table.name));
  const lakeName = `k_lake_${table.name}`;
  const lakeQuery: KeyedQuery = {
    zone: 'lake',
    sql: files
      ? keyHashSql(
          starKey(table, 'duck'),
          starRowText(table.columns, 'duck'),
          `read_parquet([${files.paths.map((p) => sqlString(p)).join(', ')}], hive_partitioning = false)`,
          'duck',
        )
      : NO_KEYS,
  };
  await on('lake', table, () => keyed.materialise(lakeQuery, lakeName));
  const lake = await keyed.totals(lakeName);
  const wh = await on('warehouse', table, () =>
    pgOne(deps.warehouse, checksumSql(starRowText(table.columns, 'pg'), ident(table.name), 'pg')),
  );
  const checks = [
    check(table.name, 'current rows', { lake: lake.n, warehouse: wh.n }),
    check(table.name, 'current checksum', { lake: lake.checksum, warehouse: wh.checksum }),
  ];
  let finding: VerifyFinding | undefined;
  const members = lineage(table.name);
  if (members.from !== undefined) {
    // Dimensions keep the members of deleted source rows: compared on the source's keys only.
    const sourceName = `k_src_${table.name}`;
    const from = await on('source', table, () => sourceDimensionFrom(deps.source, table, members));
    await on('source', table, () =>
      keyed.materialise(
        {
          zone: 'source',
          client: deps.source,
          sql: keyHashSql(starKey(table, 'pg'), starRowText(table.columns, 'pg'), from, 'pg'),
        },
        sourceName,
      ),
    );
    const src = await keyed.totals(sourceName);
    const lakeOfSource = await keyed.totals(lakeName, sourceName);
    const missing = await keyed.missing(sourceName, lakeName);
    const sourceChecks = [
      check(table.name, 'source checksum', { source: src.checksum, lake: lakeOfSource.checksum }),
      {
        table: table.name,
        check: 'source keys missing' as const,
        values: { source: src.n, lake: String(missing) },
        ok: missing === 0,
      },
    ];
    checks.push(...sourceChecks);
    if (sourceChecks.some((c) => !c.ok)) {
      const keys = (await keyed.differences(sourceName, lakeName, ctx.maxKeys * 4))
        .filter((k) => k.kind !== 'extra')
        .slice(0, ctx.maxKeys);
      finding = finding ?? dimensionFinding(table, ['source', 'lake'], keys);
    }
  }
  if (!finding && checks.some((c) => !c.ok)) {
    const whName = `k_wh_${table.name}`;
    await on('warehouse', table, () =>
      keyed.materialise(
        {
          zone: 'warehouse',
          client: deps.warehouse,
          sql: keyHashSql(starKey(table, 'pg'), starRowText(table.columns, 'pg'), ident(table.name), 'pg'),
        },
        whName,
      ),
    );
    const keys = await keyed.differences(lakeName, whName, ctx.maxKeys);
    finding = dimensionFinding(table, ['lake', 'warehouse'], keys);
  }
  return { checks, stray: files?.stray ?? [], ...(finding ? { finding } : {}) };
}

/**
 * The members of a dimension rebuilt from the source's current rows by its lineage (the
 * transform's joins and columns), as a PostgreSQL FROM item with the dimension's columns.
 */
async function sourceDimensionFrom(
  source: Client,
  table: WarehouseTableDef,
  l: TableLineage,
): Promise<string> {
  const from = l.from ?? '';
  const iso = (column: string) => ident(`iso4217_${column}`);
  const lookups: { table: string; column: string }[] = [];
  const select = l.columns.map(({ name, source: s }) => {
    if (s.kind === 'column') return `${ident(s.table)}.${ident(s.column)} AS ${ident(name)}`;
    if (s.kind === 'iso4217_name') {
      lookups.push(s);
      return `${iso(s.column)}.name AS ${ident(name)}`;
    }
    throw new RangeError(`verify cannot compute a ${s.kind} column (${table.name}.${name}) from the source`);
  });
  const joins = l.joins.map(
    (j) => `JOIN ${ident(j.table)} ON ${ident(j.table)}.${ident(j.column)} = ${ident(from)}.${ident(j.on)}`,
  );
  let cte = '';
  for (const s of lookups) {
    joins.push(
      `LEFT JOIN iso4217 AS ${iso(s.column)} ON ${iso(s.column)}.code = upper(trim(${ident(s.table)}.${ident(s.column)}))`,
    );
  }
  if (lookups.length > 0) {
    // The transform's ISO 4217 names, for the codes this source has (COPY takes no parameters).
    const codes = new Set<string>();
    for (const s of lookups) {
      const { rows } = await source.query<{ code: string }>(
        `SELECT DISTINCT upper(trim(${ident(s.column)})) AS code FROM ${ident(s.table)} WHERE ${ident(s.column)} IS NOT NULL`,
      );
      for (const r of rows) codes.add(r.code);
    }
    const names = [...codes].flatMap((code) => {
      const name = currencyName(code);
      return name === undefined ? [] : [`(${pgString(code)}, ${pgString(name)})`];
    });
    cte = `WITH iso4217 (code, name) AS (${names.length ? `VALUES ${names.join(', ')}` : 'SELECT NULL::text, NULL::text WHERE false'}) `;
  }
  return `(${cte}SELECT ${select.join(', ')} FROM ${ident(from)} ${joins.join(' ')}) d`;
}

/** The first differing keys between two zones, compared in DuckDB. */
async function diff(
  ctx: Context,
  table: WarehouseTableDef,
  a: KeyedQuery,
  b: KeyedQuery,
): Promise<KeyDifference[]> {
  const name = (q: KeyedQuery) => `d_${q.zone}_${table.name}`;
  await on(a.zone, table, () => ctx.keyed.materialise(a, name(a)));
  await on(b.zone, table, () => ctx.keyed.materialise(b, name(b)));
  return ctx.keyed.differences(name(a), name(b), ctx.maxKeys);
}

const LEDGER = 'etl.load_log';

/**
 * The warehouse's ledger against the lake's committed batches (and the facts' `batch_seq`):
 * the same batches, up to the last one; a ledger that is behind just needs a load.
 */
async function verifyLedger(deps: VerifyDeps): Promise<{ check: VerifyCheck; finding?: VerifyFinding }> {
  let proof: LedgerProof;
  try {
    proof = await proveLedger(deps.warehouse, deps.lake, await committedTransformSeq(deps.lake));
  } catch (error) {
    const zone: Zone = error instanceof Error && 'code' in error ? 'warehouse' : 'lake';
    const failure = explainCheckFailure(zone, LEDGER, undefined, error);
    return {
      check: { table: LEDGER, check: 'error', values: {}, ok: false, error: failure.message },
      finding: { table: LEDGER, zone, message: `could not be checked: ${failure.message}` },
    };
  }
  const values = { lake: String(proof.committedSeq), warehouse: String(proof.ledgerSeq) };
  const ok = proof.verdict === 'consistent' && proof.ledgerSeq === proof.committedSeq;
  const check: VerifyCheck = { table: LEDGER, check: 'batches loaded', values, ok };
  if (ok) return { check };
  const between: [Zone, Zone] = ['lake', 'warehouse'];
  const message =
    proof.verdict === 'consistent'
      ? `the warehouse has loaded transform batch ${proof.ledgerSeq} of the lake's ${proof.committedSeq}. Next: run \`totes load\``
      : proof.verdict === 'diverged'
        ? `the lake's transform batches after ${proof.agreedSeq} are not the ones the warehouse loaded (state/transform.json restored to an earlier version?). Next: run \`totes load\`: it takes the warehouse back to batch ${proof.agreedSeq} and loads the lake's batches from there`
        : ledgerRefusal(proof, deps.lake.url).message;
  return { check, finding: { table: LEDGER, between, message } };
}

/** Fact (or snapshot) files no committed batch accounts for, and what to do about them. */
function strayFinding(table: WarehouseTableDef, stray: readonly string[]): VerifyFinding {
  const shown = stray.slice(0, 3).join(', ');
  if (table.kind === 'dimension') {
    return {
      table: table.name,
      message: `${stray.length} file(s) in the committed snapshot folder of ${table.name} are not among the files the transform state names (${shown}${stray.length > 3 ? ', …' : ''}); Athena reads them too. Next: \`totes verify --repair\` removes them`,
    };
  }
  return {
    table: table.name,
    message: `${stray.length} fact file(s) under curated/${table.name}/ belong to no committed batch (${shown}${stray.length > 3 ? ', …' : ''}): left by a batch that never committed, by a compaction that did not finish, or abandoned when the transform state was restored to an earlier version; Athena reads them too. Next: \`totes verify --repair\` removes them`,
  };
}

/** What to do when `a` and `b` disagree. */
function nextStep(table: WarehouseTableDef, [a]: readonly [Zone, Zone]): string {
  if (a === 'source') {
    return 'run `totes run` to capture them; if they stay, the run names a source table it skips (its capture point waits until it is readable)';
  }
  if (a === 'raw') {
    return `run \`totes run\` to transform every ingest run; a difference that stays is explained by rows in quarantine/${lineage(table.name).from ?? ''}/ of the lake`;
  }
  return 'run `totes load`; if it still differs, rebuild the warehouse from the lake with `totes verify --repair`';
}

const describeKeys = (
  table: WarehouseTableDef,
  keys: readonly KeyDifference[],
  [a, b]: readonly [Zone, Zone],
) =>
  keys.length === 0
    ? 'no single key differs (the difference is in the totals)'
    : `first differing ${table.naturalKey}: ${keys
        .map(
          (k) =>
            `${k.key}${k.kind === 'missing' ? ` (not in ${b})` : k.kind === 'extra' ? ` (not in ${a})` : ''}`,
        )
        .join(', ')}`;

function finding(
  table: WarehouseTableDef,
  what: 'current rows' | 'history rows',
  between: readonly [Zone, Zone],
  keys: readonly KeyDifference[],
): VerifyFinding {
  const subject = what === 'current rows' ? 'current rows' : 'fact versions';
  return {
    table: table.name,
    between,
    keys,
    message: `${subject} differ between ${between[0]} and ${between[1]}; ${describeKeys(table, keys, between)}. Next: ${nextStep(table, between)}`,
  };
}

function dimensionFinding(
  table: WarehouseTableDef,
  between: readonly [Zone, Zone],
  keys: readonly KeyDifference[],
): VerifyFinding {
  return {
    table: table.name,
    between,
    keys,
    message: `members differ between ${between[0]} and ${between[1]}; ${describeKeys(table, keys, between)}. Next: ${nextStep(table, between)}`,
  };
}

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
