import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../../kernel/catalog/catalog';
import { type DuckSession, type QueryResult, sqlString } from '../../kernel/duckdb/duckdb';
import type { TransformState } from '../../kernel/lake/documents/transform-state';
import type { LakeStore } from '../../kernel/lake/lake-store';
import type { Log } from '../../kernel/logger';
import { ident } from '../../kernel/schema';
import { RawObjectMissingError, TransformSqlError } from '../errors';
import { type RelationKind, relation, SOURCE_RELATIONS } from './relations';

/** What the transform works with; the CLI and the Lambda pass their own. */
export interface TransformDeps {
  readonly lake: LakeStore;
  readonly catalog: Catalog;
  readonly log: Log;
  /** A local scratch folder (the Lambda's /tmp): raw and state copies, Parquet before upload. */
  readonly workDir: string;
  readonly clock?: () => Date;
  /** Most ingest runs one batch consumes. @default 100 */
  readonly maxIngestRuns?: number;
  /**
   * DuckDB memory limit (buffer-managed memory only: Node and DuckDB's other allocations
   * come on top, so the process peaks around this plus 300–400 MB). @default '450MB'
   */
  readonly memoryLimit?: string;
  /** DuckDB threads. @default 2 */
  readonly threads?: number;
}

/**
 * One batch's DuckDB session and what the batch has built so far: which relations exist,
 * the memory and held files it will commit. The concept modules beside this one (inputs,
 * versions, dimensions, facts, outputs) each add their relations through it.
 *
 * Memory is bounded by working one table at a time: each source table's relations are
 * dropped ({@link dropSourceRelations}) as soon as its outputs are written, so the batch
 * never holds more than one large table (DuckDB spills what exceeds its limit).
 */
export class BatchSession {
  /** Relations already defined (lazy views over lake files are defined once). */
  private readonly defined = new Set<string>();
  /** Source tables whose `ver_t` is a first sight (empty memory, one version per row). */
  readonly firstSight = new Set<string>();
  /** Folder of the files the batch writes before they are uploaded. */
  readonly out: string;
  /** The memory files per source table, as the batch will commit them. */
  readonly current: Record<string, readonly string[]>;
  /** The held-rows file per fact source, as the batch will commit it. */
  readonly held: Record<string, string>;

  constructor(
    readonly deps: TransformDeps,
    readonly duck: DuckSession,
    private readonly work: string,
    readonly state: TransformState,
    readonly seq: number,
    readonly batchId: string,
  ) {
    this.out = join(work, 'out');
    this.current = { ...state.current };
    this.held = { ...state.held };
  }

  /** True when relation `kind` of `table` exists in this batch. */
  has(kind: RelationKind, table: string): boolean {
    return this.defined.has(relation(kind, table));
  }

  /** Records that relation `kind` of `table` now exists. */
  define(kind: RelationKind, table: string): void {
    this.defined.add(relation(kind, table));
  }

  /** Runs statements of one step; a failure names the table and batch. */
  async step(table: string, statements: readonly string[]): Promise<void> {
    for (const sql of statements) await this.query(table, sql);
  }

  /** Runs one statement and returns its rows (`COPY … RETURN_STATS` answers with its files). */
  async query(table: string, sql: string): Promise<QueryResult> {
    const started = Date.now();
    try {
      const result = await this.duck.all(sql);
      this.deps.log.debug('transform step', { table, ms: Date.now() - started, sql: sql.slice(0, 60) });
      return result;
    } catch (cause) {
      throw new TransformSqlError(
        `transform batch ${this.seq} failed on ${table}: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause, context: { table, batchId: this.batchId } },
      );
    }
  }

  /** The number a `SELECT count(*) …` answers. */
  count(sql: string): Promise<number> {
    return this.duck.scalarNumber(sql);
  }

  /** Drops relation `kind` of `table` if it exists (DuckDB's DROP must name the right kind). */
  async drop(kind: RelationKind, table: string): Promise<void> {
    const name = relation(kind, table);
    const kinds = await this.duck.all(
      `SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND table_name = ${sqlString(name)} UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE temporary AND NOT internal AND view_name = ${sqlString(name)}`,
    );
    for (const [k] of kinds.rows) await this.step(name, [`DROP ${String(k)} IF EXISTS ${ident(name)}`]);
    this.defined.delete(name);
  }

  /** Drops every relation of a source table whose outputs are written: frees its memory. */
  async dropSourceRelations(table: string): Promise<void> {
    for (const kind of SOURCE_RELATIONS) await this.drop(kind, table);
  }

  /** A local file with the object's bytes: the object itself in a local lake, else a download. */
  async localCopy(key: string, runId?: string): Promise<string> {
    const context = { key, ...(runId ? { runId } : {}) };
    const inPlace = this.deps.lake.localPath(key);
    if (inPlace !== undefined) {
      try {
        await access(inPlace, constants.R_OK);
      } catch (cause) {
        throw new RawObjectMissingError(
          `${key} is missing from ${this.deps.lake.url}; the lake is incomplete`,
          {
            cause,
            context,
          },
        );
      }
      return inPlace;
    }
    const local = join(this.work, 'in', ...key.split('/'));
    try {
      await this.deps.lake.download(key, local);
    } catch (cause) {
      throw new RawObjectMissingError(`could not download ${key} from ${this.deps.lake.url}`, {
        cause,
        context,
      });
    }
    return local;
  }
}
