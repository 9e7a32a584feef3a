import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { openLocalAthena } from '../../../app/analytics/local-athena';
import { LakeReader } from '../../../app/verify/lake-reader';
import { LocalCatalog } from '../../../lambdas/kernel/catalog/local-catalog';
import { openDuck } from '../../../lambdas/kernel/duckdb/duckdb';
import { readTransformManifest } from '../../../lambdas/kernel/lake/documents/manifests';
import {
  type DimensionPart,
  readTransformState,
  type TransformState,
} from '../../../lambdas/kernel/lake/documents/transform-state';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';
import {
  dimensionSnapshotPrefix,
  TRANSFORM_BATCH_PREFIXES,
  TRANSFORM_STATE_KEY,
} from '../../../lambdas/kernel/lake/layout';
import { S3LakeStore } from '../../../lambdas/kernel/lake/s3-lake-store';
import { MAX_PART_ROWS, PART_ROWS } from '../../../lambdas/transform/batch/snapshot-parts';
import { generatedRows } from '../../support/generated-source';
import { RawFixture, type SourceRow } from '../../support/raw-fixtures';
import { type LocalS3Server, startLocalS3 } from '../lake/s3-server';
import { query, runTransform } from './helpers';

const DIM = 'dim_transaction';
const at = (minute: number) => new Date(Date.UTC(2024, 10, 16, 9, minute, 0, 0));
/** Members of the first snapshot: more than MAX_PART_ROWS, so it is written as several files. */
const MEMBERS = 400_000;
const template = generatedRows('transaction')[0] as SourceRow;
const transaction = (id: number, purchaseOrder: number | null = null): SourceRow => ({
  ...template,
  transaction_id: id,
  transaction_type: 'SALE',
  sales_order_id: null,
  purchase_order_id: purchaseOrder,
});
const ids = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** What a lake was asked to write under `prefix`: uploaded files and copies (their targets). */
class RecordingLake implements LakeStore {
  readonly uploads: string[] = [];
  readonly copies: { from: string; to: string }[] = [];
  readonly reads: string[] = [];
  readonly url: string;
  /** Throws instead of writing a key that starts with this (a crash before the commit). */
  failOn?: string;

  constructor(private readonly inner: LakeStore) {
    this.url = inner.url;
  }
  put: LakeStore['put'] = (key, body) => this.guard(key, () => this.inner.put(key, body));
  putIf: LakeStore['putIf'] = (key, body, condition) =>
    this.guard(key, () => this.inner.putIf(key, body, condition));
  get: LakeStore['get'] = (key) => this.inner.get(key);
  download: LakeStore['download'] = (key, path) => {
    this.reads.push(key);
    return this.inner.download(key, path);
  };
  upload: LakeStore['upload'] = (path, key) => {
    this.uploads.push(key);
    return this.guard(key, () => this.inner.upload(path, key));
  };
  copy: LakeStore['copy'] = (from, to) => {
    this.copies.push({ from, to });
    return this.inner.copy(from, to);
  };
  list: LakeStore['list'] = (prefix) => this.inner.list(prefix);
  delete: LakeStore['delete'] = (key) => this.inner.delete(key);
  localPath: LakeStore['localPath'] = (key) => {
    const path = this.inner.localPath(key);
    if (path !== undefined) this.reads.push(key);
    return path;
  };
  snapshotUploads = (): string[] => this.uploads.filter((k) => k.startsWith(`curated/${DIM}/`));
  snapshotReads = (): string[] => this.reads.filter((k) => k.startsWith(`curated/${DIM}/`));

  private async guard<T>(key: string, write: () => Promise<T>): Promise<T> {
    if (this.failOn !== undefined && key.startsWith(this.failOn))
      throw new Error(`crash before writing ${key}`);
    return write();
  }
}

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of keys) out.push(key);
  return out;
}

/** Copies every object of the folder lake `from` that `to` lacks (the raw zone and ingest state, for an S3 lake). */
async function sync(from: LakeStore, to: LakeStore): Promise<void> {
  const there = new Set(await collect(to.list('')));
  for await (const key of from.list('')) {
    if (key.startsWith('state/ingest') || !there.has(key)) {
      const object = await from.get(key);
      if (object) await to.put(key, object.body);
    }
  }
}

const parts = (state: TransformState): readonly DimensionPart[] => state.dimensionParts?.[DIM] ?? [];

/** Members of the committed snapshot as the folder holds them: rows, distinct keys, lowest and highest key. */
async function folderTotals(
  root: string,
  state: TransformState,
): Promise<{ n: number; keys: number; lo: number; hi: number }> {
  const folder = `${root}/${state.dimensions[DIM]}*.parquet`;
  const [row] = await query(
    `SELECT count(*) AS n, count(DISTINCT transaction_id) AS keys, min(transaction_id) AS lo, max(transaction_id) AS hi FROM read_parquet('${folder}', hive_partitioning = false)`,
  );
  return { n: Number(row?.n), keys: Number(row?.keys), lo: Number(row?.lo), hi: Number(row?.hi) };
}

describe('a dimension snapshot of several key-range files', () => {
  let fx: RawFixture;

  beforeEach(async () => {
    fx = await RawFixture.create();
    await fx.commitRun(
      { transaction: ids(1, MEMBERS).map((id) => ({ op: 'c', row: transaction(id) })) },
      at(0),
    );
  });

  afterEach(async () => {
    await fx.cleanup();
  });

  it('writes a big first snapshot as files of at most MAX_PART_ROWS members, in key order', async () => {
    await runTransform(fx);
    const { state } = await readTransformState(fx.lake);
    const files = parts(state);

    expect(files.length).toBe(Math.floor(MEMBERS / PART_ROWS));
    expect(files.length).toBeGreaterThan(1);
    expect(files.every((p) => p.rows <= MAX_PART_ROWS && p.rows >= PART_ROWS)).toBe(true);
    expect(files.reduce((n, p) => n + p.rows, 0)).toBe(MEMBERS);
    expect(files[0]?.from).toBeUndefined();
    expect(await collect(fx.lake.list(state.dimensions[DIM] ?? '-'))).toEqual(files.map((p) => p.key));
    expect(await folderTotals(fx.lake.root, state)).toEqual({
      n: MEMBERS,
      keys: MEMBERS,
      lo: 1,
      hi: MEMBERS,
    });
    // The first snapshot is all new: the load upserts its files, every one.
    const manifest = await readTransformManifest(fx.lake, 1);
    expect(manifest.dimensionChanges?.map((o) => o.key)).toEqual(files.map((p) => p.key));
    // Verify reads the folder as Athena does, and names a file there the state does not.
    const stray = `${state.dimensions[DIM]}part-99999.parquet`;
    await fx.lake.copy(files[0]?.key ?? '', stray);
    const duck = await openDuck({ memoryLimit: '256MB', threads: 1 });
    try {
      const read = await new LakeReader(fx.lake, duck, fx.dir).dimensionFiles(DIM);
      expect(read?.paths).toHaveLength(files.length + 1);
      expect(read?.stray).toEqual([stray]);
    } finally {
      duck.close();
    }
  });

  it('rewrites only the file 10 new members fall in, copies the others, and readers see every member once', async () => {
    await runTransform(fx);
    const before = (await readTransformState(fx.lake)).state;
    const lake = new RecordingLake(fx.lake);
    await fx.commitRun(
      { transaction: ids(MEMBERS + 1, MEMBERS + 10).map((id) => ({ op: 'c', row: transaction(id) })) },
      at(1),
    );

    const result = await runTransform(fx, { lake });
    const { state } = await readTransformState(fx.lake);
    const [old, now] = [parts(before), parts(state)];

    expect(result.dimensions).toEqual({ [DIM]: MEMBERS + 10 });
    // One snapshot file written (the last range) and the changes file; the rest copied.
    expect(lake.snapshotUploads()).toEqual([now[now.length - 1]?.key]);
    expect(lake.copies.map((c) => c.from)).toEqual(old.slice(0, -1).map((p) => p.key));
    expect(lake.copies.map((c) => c.to)).toEqual(now.slice(0, -1).map((p) => p.key));
    // Only the rewritten file of the old snapshot was read.
    expect(lake.snapshotReads()).toEqual([old[old.length - 1]?.key]);
    expect(now.map((p) => p.rows)).toEqual([
      ...old.slice(0, -1).map((p) => p.rows),
      (old.at(-1)?.rows ?? 0) + 10,
    ]);
    for (const [i, copied] of now.slice(0, -1).entries()) {
      expect(await readFile(fx.lake.localPath(copied.key))).toEqual(
        await readFile(fx.lake.localPath(old[i]?.key ?? '')),
      );
    }
    // One folder, one complete snapshot: the folder, local Athena and the catalog agree.
    expect(state.dimensions[DIM]).toBe(dimensionSnapshotPrefix(DIM, result.batchId ?? ''));
    expect(await new LocalCatalog(fx.lake).currentDimension(DIM)).toBe(state.dimensions[DIM]);
    expect(await collect(fx.lake.list(state.dimensions[DIM] ?? '-'))).toEqual(now.map((p) => p.key));
    expect(await folderTotals(fx.lake.root, state)).toEqual({
      n: MEMBERS + 10,
      keys: MEMBERS + 10,
      lo: 1,
      hi: MEMBERS + 10,
    });
    const athena = await openLocalAthena(fx.lake);
    try {
      const { rows } = await athena.runQuery(
        `SELECT count(*), count(DISTINCT transaction_id) FROM ${DIM} WHERE transaction_id > ${MEMBERS - 5}`,
      );
      expect(rows.map((r) => r.map(Number))).toEqual([[15, 15]]);
    } finally {
      athena.close();
    }
    // The load upserts only the 10 changed members.
    const manifest = await readTransformManifest(fx.lake, 2);
    expect(manifest.dimensionChanges?.map((o) => o.rows)).toEqual([10]);
    expect(manifest.dimensions.map((o) => o.key)).toEqual(now.map((p) => p.key));
  });

  it('rewrites each file a changed member falls in, and the new values replace the old ones', async () => {
    await runTransform(fx);
    const old = parts((await readTransformState(fx.lake)).state);
    const lake = new RecordingLake(fx.lake);
    await fx.commitRun(
      {
        transaction: [7, 8, MEMBERS - 1].map((id) => ({ op: 'u', row: transaction(id, 4242) })),
      },
      at(1),
    );

    await runTransform(fx, { lake });
    const { state } = await readTransformState(fx.lake);
    const now = parts(state);

    expect(lake.snapshotUploads()).toEqual([now[0]?.key, now[now.length - 1]?.key]);
    expect(lake.copies.map((c) => c.from)).toEqual(old.slice(1, -1).map((p) => p.key));
    expect(now.map((p) => p.from)).toEqual(old.map((p) => p.from));
    const changed = await query(
      `SELECT transaction_id FROM read_parquet('${fx.lake.root}/${state.dimensions[DIM]}*.parquet') WHERE purchase_order_id = 4242 ORDER BY 1`,
    );
    expect(changed.map((r) => r.transaction_id)).toEqual([7, 8, MEMBERS - 1]);
    expect(await folderTotals(fx.lake.root, state)).toEqual({
      n: MEMBERS,
      keys: MEMBERS,
      lo: 1,
      hi: MEMBERS,
    });
  });

  it('splits the last file once new members grow it past MAX_PART_ROWS', async () => {
    await runTransform(fx);
    const old = parts((await readTransformState(fx.lake)).state);
    const last = old[old.length - 1] as DimensionPart;
    const added = MAX_PART_ROWS - last.rows + 1;
    await fx.commitRun(
      { transaction: ids(MEMBERS + 1, MEMBERS + added).map((id) => ({ op: 'c', row: transaction(id) })) },
      at(1),
    );

    await runTransform(fx);
    const { state } = await readTransformState(fx.lake);
    const now = parts(state);

    expect(now.length).toBe(old.length + 1);
    expect(now.slice(0, -2).map((p) => p.rows)).toEqual(old.slice(0, -1).map((p) => p.rows));
    expect(now.slice(-2).every((p) => p.rows <= MAX_PART_ROWS && p.rows >= PART_ROWS)).toBe(true);
    expect(await folderTotals(fx.lake.root, state)).toEqual({
      n: MEMBERS + added,
      keys: MEMBERS + added,
      lo: 1,
      hi: MEMBERS + added,
    });
  });

  it('splits the one snapshot file of an older state on its next change', async () => {
    await runTransform(fx);
    const { state: written } = await readTransformState(fx.lake);
    const legacy = 'curated/dim_transaction/snapshot=older/part-0.parquet';
    await mkdir(dirname(fx.lake.localPath(legacy)), { recursive: true });
    await query(
      `COPY (SELECT * FROM read_parquet('${fx.lake.root}/${written.dimensions[DIM]}*.parquet')) TO '${fx.lake.localPath(legacy)}' (FORMAT parquet)`,
    );
    const { dimensionParts: _, ...older } = {
      ...written,
      dimensions: { ...written.dimensions, [DIM]: legacy },
    };
    await fx.lake.put(TRANSFORM_STATE_KEY, JSON.stringify(older));
    await fx.commitRun({ transaction: [{ op: 'c', row: transaction(MEMBERS + 1) }] }, at(1));

    await runTransform(fx);
    const { state } = await readTransformState(fx.lake);

    expect(parts(state).length).toBe(Math.floor((MEMBERS + 1) / PART_ROWS));
    expect(await folderTotals(fx.lake.root, state)).toEqual({
      n: MEMBERS + 1,
      keys: MEMBERS + 1,
      lo: 1,
      hi: MEMBERS + 1,
    });
  });

  it('leaves the committed snapshot in place when the batch dies before its commit, and the rerun removes the half', async () => {
    await runTransform(fx);
    const before = (await readTransformState(fx.lake)).state;
    await fx.commitRun({ transaction: [{ op: 'c', row: transaction(MEMBERS + 1) }] }, at(1));
    const lake = new RecordingLake(fx.lake);
    lake.failOn = 'state/transform-batches/';

    await expect(runTransform(fx, { lake })).rejects.toThrow(/crash before writing/);
    const crashed = lake.copies[0]?.to ?? '';
    expect(crashed).not.toBe('');
    expect(await fx.lake.get(crashed)).toBeDefined();
    expect((await readTransformState(fx.lake)).state).toEqual(before);
    expect(await new LocalCatalog(fx.lake).currentDimension(DIM)).toBe(before.dimensions[DIM]);

    const rerun = await runTransform(fx);
    const { state } = await readTransformState(fx.lake);
    expect(await fx.lake.get(crashed)).toBeUndefined();
    expect(state.dimensions[DIM]).toBe(dimensionSnapshotPrefix(DIM, rerun.batchId ?? ''));
    expect(await folderTotals(fx.lake.root, state)).toEqual({
      n: MEMBERS + 1,
      keys: MEMBERS + 1,
      lo: 1,
      hi: MEMBERS + 1,
    });
    // Nothing of the crashed batch is left under any prefix a batch writes.
    const crashedBatch = /snapshot=([^/]+)\//.exec(crashed)?.[1] ?? '-';
    for (const prefix of TRANSFORM_BATCH_PREFIXES) {
      expect((await collect(fx.lake.list(prefix))).filter((k) => k.includes(crashedBatch))).toEqual([]);
    }
  });
});

describe('a dimension snapshot of several files on S3 (local S3 server)', () => {
  let server: LocalS3Server;
  let fx: RawFixture;

  beforeAll(async () => {
    server = await startLocalS3(['lake']);
  });

  afterAll(async () => {
    await server?.stop();
  });

  beforeEach(async () => {
    fx = await RawFixture.create();
  });

  afterEach(async () => {
    await fx.cleanup();
  });

  /** The S3 operations a client sends and the keys they name, in order. */
  function recordOperations(client: S3Client): { op: string; key: string }[] {
    const operations: { op: string; key: string }[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string };
        operations.push({ op: String(context.commandName).replace(/Command$/, ''), key: input.Key ?? '' });
        return next(args);
      },
      { step: 'initialize', name: 'recordOperations' },
    );
    return operations;
  }

  it('copies the unchanged files server-side and downloads only the file the change falls in', async () => {
    const client = server.client();
    const s3 = new S3LakeStore(client, { bucket: 'lake', prefix: 'dims' });
    await fx.commitRun(
      { transaction: ids(1, MEMBERS).map((id) => ({ op: 'c', row: transaction(id) })) },
      at(0),
    );
    await sync(fx.lake, s3);
    await runTransform(fx, { lake: s3 });
    const before = (await readTransformState(s3)).state;
    await fx.commitRun(
      { transaction: ids(MEMBERS + 1, MEMBERS + 10).map((id) => ({ op: 'c', row: transaction(id) })) },
      at(1),
    );
    await sync(fx.lake, s3);
    const operations = recordOperations(client);

    await runTransform(fx, { lake: s3 });
    const { state } = await readTransformState(s3);
    const [old, now] = [parts(before), parts(state)];
    const onSnapshots = operations.filter((o) => o.key.startsWith(`dims/curated/${DIM}/`));

    expect(onSnapshots.filter((o) => o.op === 'CopyObject').map((o) => o.key)).toEqual(
      now.slice(0, -1).map((p) => `dims/${p.key}`),
    );
    expect(onSnapshots.filter((o) => o.op === 'GetObject').map((o) => o.key)).toEqual([
      `dims/${old.at(-1)?.key}`,
    ]);
    expect(onSnapshots.filter((o) => o.op === 'PutObject').map((o) => o.key)).toEqual([
      `dims/${now.at(-1)?.key}`,
    ]);
    // Every file of the new folder, read back from S3: every member exactly once.
    const keys = await collect(s3.list(state.dimensions[DIM] ?? '-'));
    expect(keys).toEqual(now.map((p) => p.key));
    for (const [i, key] of keys.entries()) await s3.download(key, `${fx.dir}/back/${i}.parquet`);
    const [row] = await query(
      `SELECT count(*) AS n, count(DISTINCT transaction_id) AS k FROM read_parquet('${fx.dir}/back/*.parquet')`,
    );
    expect([Number(row?.n), Number(row?.k)]).toEqual([MEMBERS + 10, MEMBERS + 10]);
  });

  it('downloads each snapshot file once when a fact reference needs the whole dimension too', async () => {
    const client = server.client();
    const s3 = new S3LakeStore(client, { bucket: 'lake', prefix: 'refs' });
    await fx.commitRun(
      { transaction: ids(1, MEMBERS).map((id) => ({ op: 'c', row: transaction(id) })) },
      at(0),
    );
    await sync(fx.lake, s3);
    await runTransform(fx, { lake: s3 });
    const old = parts((await readTransformState(s3)).state);
    const payment = { ...(generatedRows('payment')[0] as SourceRow), transaction_id: MEMBERS + 1 };
    await fx.commitRun(
      {
        transaction: [{ op: 'c', row: transaction(MEMBERS + 1) }],
        payment: [{ op: 'c', row: payment }],
      },
      at(1),
    );
    await sync(fx.lake, s3);
    const operations = recordOperations(client);

    await runTransform(fx, { lake: s3 });
    const gets = operations
      .filter((o) => o.op === 'GetObject' && o.key.startsWith(`refs/curated/${DIM}/`))
      .map((o) => o.key)
      .sort();

    expect(gets).toEqual(old.map((p) => `refs/${p.key}`).sort());
  });
});
