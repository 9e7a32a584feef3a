import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckSession } from '../../lambdas/kernel/duckdb/duckdb';
import { readCompactionManifest, readCompactionState } from '../../lambdas/kernel/lake/documents/compaction';
import { locate, restoreHint } from '../../lambdas/kernel/lake/documents/document';
import { readIngestState } from '../../lambdas/kernel/lake/documents/ingest-state';
import {
  type IngestManifest,
  readIngestManifest,
  readTransformManifest,
} from '../../lambdas/kernel/lake/documents/manifests';
import { readTransformState, type TransformState } from '../../lambdas/kernel/lake/documents/transform-state';
import type { LakeStore } from '../../lambdas/kernel/lake/lake-store';
import { curatedTablePrefix, snapshotFolderOf } from '../../lambdas/kernel/lake/layout';
import { ident, type SourceTableDef, type WarehouseTableDef } from '../../lambdas/kernel/schema';
import { readRawSql } from '../../lambdas/transform/batch/inputs';
import { committedParts } from '../../lambdas/transform/batch/snapshot-parts';
import { TableCheckError } from './errors';

/**
 * Reads committed lake objects into DuckDB (in place for a local lake, else downloaded). The
 * lake's documents are read once and shared by every table's check; an object a committed
 * document names but the lake lacks is a {@link TableCheckError} naming it and how to restore it.
 */
export class LakeReader {
  private downloads = 0;
  private ingestManifests?: Promise<readonly IngestManifest[]>;
  private transformState?: Promise<TransformState>;
  private committedFacts?: Promise<ReadonlySet<string>>;

  constructor(
    private readonly lake: LakeStore,
    readonly duck: DuckSession,
    private readonly work: string,
  ) {}

  /** A local path of the object under `key`, which must exist. */
  private async local(key: string, what: string, table: string, zone: 'raw' | 'lake'): Promise<string> {
    const missing = (cause?: unknown) =>
      new TableCheckError(
        `${what} ${key} is missing from ${this.lake.url}: the lake is damaged; ${restoreHint(locate(this.lake, key))}`,
        zone,
        { cause, context: { table, key } },
      );
    const inPlace = this.lake.localPath(key);
    if (inPlace !== undefined) {
      await access(inPlace).catch((error: unknown) => {
        throw missing(error);
      });
      return inPlace;
    }
    const path = join(this.work, 'in', `${this.downloads++}-${key.split('/').pop() ?? 'object'}`);
    if ((await this.lake.get(key)) === undefined) throw missing();
    await this.lake.download(key, path);
    return path;
  }

  private state(): Promise<TransformState> {
    this.transformState ??= readTransformState(this.lake).then((s) => s.state);
    return this.transformState;
  }

  /** Keys of the fact files committed batches wrote, less those a committed compaction replaced. */
  private committed(): Promise<ReadonlySet<string>> {
    this.committedFacts ??= (async () => {
      const state = await this.state();
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
      return committed;
    })();
    return this.committedFacts;
  }

  /**
   * Every fact file under `curated/<fact>/`, and the stray ones: written by no committed batch
   * or compaction, or replaced by a committed compaction and not deleted yet (a reader would
   * count their rows twice).
   */
  async factFiles(table: WarehouseTableDef): Promise<{ paths: string[]; stray: string[] }> {
    const committed = await this.committed();
    const paths: string[] = [];
    const stray: string[] = [];
    const listed = new Set<string>();
    for await (const key of this.lake.list(curatedTablePrefix(table.name))) {
      if (!key.endsWith('.parquet')) continue;
      listed.add(key);
      if (!committed.has(key)) stray.push(key);
      paths.push(await this.local(key, 'fact file', table.name, 'lake'));
    }
    const prefix = curatedTablePrefix(table.name);
    const lost = [...committed].find((key) => key.startsWith(prefix) && !listed.has(key));
    if (lost) await this.local(lost, 'fact file of a committed batch', table.name, 'lake');
    return { paths, stray };
  }

  /**
   * The files of a dimension's committed snapshot folder, which readers (Athena) read whole,
   * and the stray ones: in the folder but not among the files the transform state names (a
   * reader would count their members twice). `undefined` before the first snapshot.
   */
  async dimensionFiles(dim: string): Promise<{ paths: string[]; stray: string[] } | undefined> {
    const state = await this.state();
    const entry = state.dimensions[dim];
    if (entry === undefined) return undefined;
    const committed = new Set(committedParts(state, dim).map((p) => p.key));
    const paths: string[] = [];
    const stray: string[] = [];
    const listed = new Set<string>();
    for await (const key of this.lake.list(snapshotFolderOf(entry))) {
      if (!key.endsWith('.parquet')) continue;
      listed.add(key);
      if (!committed.has(key)) stray.push(key);
      paths.push(await this.local(key, 'dimension snapshot file', dim, 'lake'));
    }
    const lost = [...committed].find((key) => !listed.has(key));
    if (lost !== undefined) await this.local(lost, 'committed dimension snapshot file', dim, 'lake');
    return { paths, stray };
  }

  /**
   * `raw_cur_<t>`: the current state of a source table according to the committed raw
   * objects (the latest version of each key, deleted ones dropped); and the versions count.
   */
  async rawCurrent(table: SourceTableDef): Promise<{ current: string; versions: string }> {
    this.ingestManifests ??= (async () => {
      const { state } = await readIngestState(this.lake);
      const manifests: IngestManifest[] = [];
      for (let s = 1; s <= state.seq; s++) manifests.push(await readIngestManifest(this.lake, s));
      return manifests;
    })();
    const files: { path: string; seq: number }[] = [];
    for (const manifest of await this.ingestManifests) {
      for (const o of manifest.objects) {
        if (o.table !== table.name || o.rows === 0) continue;
        const what = `raw object of ingest run ${manifest.seq}`;
        files.push({ path: await this.local(o.key, what, table.name, 'raw'), seq: manifest.seq });
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
