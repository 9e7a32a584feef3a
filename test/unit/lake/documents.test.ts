import { mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { LocalCatalog } from '../../../lambdas/kernel/catalog/local-catalog';
import { PreconditionFailedError } from '../../../lambdas/kernel/errors';
import {
  readCompactionIntent,
  readCompactionManifest,
  readCompactionState,
} from '../../../lambdas/kernel/lake/documents/compaction';
import {
  type DocumentSpec,
  locate,
  restoreHint,
  serialiseDocument,
  updateDocument,
} from '../../../lambdas/kernel/lake/documents/document';
import {
  committedIngestSeq,
  readIngestManifest,
  readTransformManifest,
  writeTransformManifest,
} from '../../../lambdas/kernel/lake/documents/manifests';
import { readRunHistory, recordRun } from '../../../lambdas/kernel/lake/documents/run-history';
import {
  readTransformIntent,
  readTransformState,
} from '../../../lambdas/kernel/lake/documents/transform-state';
import { LakeDocumentError, LakeStoreError, TransformStateError } from '../../../lambdas/kernel/lake/errors';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';

describe('lake documents', () => {
  let lake: LocalLakeStore;

  beforeEach(async () => {
    lake = new LocalLakeStore(mkdtempSync(join(tmpdir(), 'totes-docs-')));
  });

  const cut = '{"seq": 3, "batchId": "202';
  const readers: readonly [string, string, () => Promise<unknown>][] = [
    ['the transform state', 'state/transform.json', () => readTransformState(lake)],
    ['the transform intent', 'state/transform-intent.json', () => readTransformIntent(lake)],
    ['the ingest run manifest', 'state/ingest-runs/0000000001.json', () => readIngestManifest(lake, 1)],
    [
      'the transform batch manifest',
      'state/transform-batches/0000000002.json',
      () => readTransformManifest(lake, 2),
    ],
    ['the compaction state', 'state/compaction.json', () => readCompactionState(lake)],
    ['the compaction intent', 'state/compaction-intent.json', () => readCompactionIntent(lake)],
    [
      'the compaction record',
      'state/fact-compactions/0000000004.json',
      () => readCompactionManifest(lake, 4),
    ],
    [
      'the catalog pointer',
      'catalog/dim_staff.json',
      () => new LocalCatalog(lake).currentDimension('dim_staff'),
    ],
    ['the run history', 'state/run-history.json', () => readRunHistory(lake)],
    ['the ingest state', 'state/ingest.json', () => committedIngestSeq(lake)],
  ];

  it.each(readers)(
    'names the key, the file and the next step when %s is cut short',
    async (what, key, read) => {
      await lake.put(key, cut);

      const error = await read().then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(LakeDocumentError);
      const message = (error as Error).message;
      expect(message).toContain(`${what} ${key} in ${lake.url} is not valid JSON`);
      expect(message).toContain(join(lake.root, ...key.split('/')));
      // A folder has no object versions to restore from.
      expect(message).not.toContain('bucket');
    },
  );

  it('says which field breaks the contract when the JSON is valid but wrong', async () => {
    await lake.put('state/transform.json', JSON.stringify({ seq: 'three', ingestSeq: 1 }));

    const read = readTransformState(lake);

    await expect(read).rejects.toBeInstanceOf(TransformStateError);
    await expect(read).rejects.toThrow(/does not match its contract \(seq: .*number/);
    await expect(read).rejects.toThrow('restore');
  });

  it('reads a transform state written before delta files (one file per table)', async () => {
    await lake.put(
      'state/transform.json',
      JSON.stringify({
        seq: 1,
        ingestSeq: 1,
        current: { staff: 'state/transform-current/staff/b1.parquet' },
      }),
    );

    const { state } = await readTransformState(lake);

    expect(state.current).toEqual({ staff: ['state/transform-current/staff/b1.parquet'] });
    expect(state.held).toEqual({});
  });

  it('refuses to write a document that breaks its contract', async () => {
    const manifest = { seq: 1, batchId: 'b', ingestSeqs: { from: 0, to: -1 }, facts: [], dimensions: [] };

    await expect(writeTransformManifest(lake, manifest as never)).rejects.toThrow(
      /refusing to write the transform batch manifest state\/transform-batches\/0000000001\.json/,
    );
    expect(await lake.get('state/transform-batches/0000000001.json')).toBeUndefined();
  });

  it('tells a missing manifest that the state says is committed', async () => {
    await expect(readTransformManifest(lake, 7)).rejects.toThrow(
      /the transform batch manifest state\/transform-batches\/0000000007\.json .* is missing, though the state says number 7 is committed/,
    );
  });

  it('words the next step for S3 with the bucket and key to restore', () => {
    const hint = restoreHint({ kind: 's3', where: 's3://totes-curated/lake/state/transform.json' });

    expect(hint).toContain('--bucket totes-curated --prefix lake/state/transform.json');
    expect(hint).toContain("the bucket's object versions");
    expect(restoreHint(locate(lake, 'state/transform.json'))).toBe(
      `restore ${join(lake.root, 'state', 'transform.json')} from a backup copy of the lake folder`,
    );
  });

  describe('read then conditional write', () => {
    const counter: DocumentSpec<{ n: number }> = { what: 'the counter', schema: z.object({ n: z.number() }) };

    it('reads again and decides again when another writer got in between', async () => {
      let calls = 0;
      await updateDocument(lake, 'state/counter.json', counter, async (current) => {
        calls++;
        // The first time, another writer replaces the object after our read.
        if (calls === 1)
          await lake.put('state/counter.json', serialiseDocument(lake, 'k', counter, { n: 10 }));
        return { n: (current?.value.n ?? 0) + 1 };
      });

      expect(calls).toBe(2);
      expect(JSON.parse((await lake.get('state/counter.json'))?.body.toString() ?? '')).toEqual({ n: 11 });
    });

    it('gives up after the attempts it was allowed', async () => {
      const always = updateDocument(
        lake,
        'state/counter.json',
        counter,
        async (current) => {
          await lake.put('state/counter.json', JSON.stringify({ n: (current?.value.n ?? 0) + 100 }));
          return { n: 0 };
        },
        { attempts: 2 },
      );

      await expect(always).rejects.toBeInstanceOf(PreconditionFailedError);
    });

    it('writes nothing when the change leaves the document as it is', async () => {
      const catalog = new LocalCatalog(lake);
      await catalog.switchDimension('dim_staff', 'curated/dim_staff/snapshot=a/');
      const before = await lake.get('catalog/dim_staff.json');
      await catalog.switchDimension('dim_staff', 'curated/dim_staff/snapshot=a/');

      expect((await lake.get('catalog/dim_staff.json'))?.body).toEqual(before?.body);
    });
  });

  it('keeps the last runs, newest first, and starts afresh from a damaged history', async () => {
    const run = (n: number) => ({
      status: 'failed' as const,
      startedAt: `2026-01-0${n}T00:00:00.000Z`,
      finishedAt: `2026-01-0${n}T00:01:00.000Z`,
      stages: [],
      seconds: {},
    });
    await recordRun(lake, run(1));
    await recordRun(lake, run(2));
    expect((await readRunHistory(lake)).map((r) => r.startedAt)).toEqual([
      '2026-01-02T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ]);

    await lake.put('state/run-history.json', '{"runs": [');
    await recordRun(lake, run(3));

    expect((await readRunHistory(lake)).map((r) => r.startedAt)).toEqual(['2026-01-03T00:00:00.000Z']);
  });
});

describe('the folder lake on a file-system error', () => {
  it('names the file it could not read', async () => {
    const lake = new LocalLakeStore(mkdtempSync(join(tmpdir(), 'totes-docs-')));
    // A folder where the state file should be: Node's own message ("EISDIR: illegal operation
    // on a directory, read") names no path.
    await mkdir(join(lake.root, 'state', 'transform.json'), { recursive: true });

    const read = readTransformState(lake);

    await expect(read).rejects.toBeInstanceOf(LakeStoreError);
    await expect(read).rejects.toThrow(
      `cannot read ${join(lake.root, 'state', 'transform.json')}: EISDIR: illegal operation on a directory, read; a folder stands where the lake expects a file`,
    );
  });
});
