import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3LakeError } from '../../../lambdas/kernel/lake/errors';
import { RoutedLakeStore } from '../../../lambdas/kernel/lake/routed-lake-store';
import { S3LakeStore } from '../../../lambdas/kernel/lake/s3-lake-store';
import { describeLakeStoreContract } from '../../support/lake-contract';
import { type LocalS3Server, startLocalS3 } from './s3-server';

const MiB = 1024 * 1024;
const BUCKET = 'lake';

let server: LocalS3Server;

beforeAll(async () => {
  server = await startLocalS3([BUCKET, 'raw-zone', 'curated-zone']);
});

afterAll(async () => {
  await server?.stop();
});

const uniquePrefix = (): string => `t-${randomBytes(5).toString('hex')}`;

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of keys) out.push(key);
  return out;
}

/** The S3 operations a client sends, in order (the real HTTP calls, not mocks). */
function recordOperations(client: S3Client): string[] {
  const operations: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      operations.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'recordOperations' },
  );
  return operations;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** `size` bytes of varied content, as a stream of 1 MiB chunks, and their hash. */
function bigStream(size: number): { stream: Readable; hash: string } {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < size; offset += MiB) chunks.push(randomBytes(Math.min(MiB, size - offset)));
  return { stream: Readable.from(chunks), hash: sha256(Buffer.concat(chunks)) };
}

describeLakeStoreContract(
  'S3LakeStore over HTTP (local S3 server)',
  async () => ({ store: new S3LakeStore(server.client(), { bucket: BUCKET, prefix: uniquePrefix() }) }),
  // The server accepts If-None-Match/If-Match on PUT but does not enforce them; the
  // conditional behaviour is covered against SDK mocks in test/unit/lake.
  { conditionalWrites: false },
);

describe('S3LakeStore over HTTP', () => {
  let scratch: string;

  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 's3-lake-'));
  });

  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('streams a large body as a multipart upload in parts of more than 5 MiB', async () => {
    const client = server.client();
    const operations = recordOperations(client);
    const lake = new S3LakeStore(client, { bucket: BUCKET, prefix: uniquePrefix(), partSizeBytes: 6 * MiB });
    const { stream, hash } = bigStream(13 * MiB);

    await lake.put('raw/sales_order/ingest_date=2024-11-15/big.jsonl.gz', stream);

    expect(operations.filter((op) => op === 'UploadPart')).toHaveLength(3);
    expect(operations).toContain('CreateMultipartUpload');
    expect(operations).toContain('CompleteMultipartUpload');
    const stored = await lake.get('raw/sales_order/ingest_date=2024-11-15/big.jsonl.gz');
    expect(stored?.body.length).toBe(13 * MiB);
    expect(sha256(stored?.body ?? Buffer.alloc(0))).toBe(hash);
  });

  it('uploads a large file in parts and downloads it back byte for byte', async () => {
    const client = server.client();
    const operations = recordOperations(client);
    const lake = new S3LakeStore(client, { bucket: BUCKET, prefix: uniquePrefix() });
    const content = randomBytes(11 * MiB);
    const source = join(scratch, 'part.parquet');
    await writeFile(source, content);

    await lake.upload(source, 'curated/fact_sales_order/dt=2024-11-15/batch-0.parquet');
    const target = join(scratch, 'back', 'part.parquet');
    await lake.download('curated/fact_sales_order/dt=2024-11-15/batch-0.parquet', target);

    expect(operations.filter((op) => op === 'UploadPart')).toHaveLength(2);
    expect(sha256(await readFile(target))).toBe(sha256(content));
  });

  it('lists past 1,000 keys by following continuation tokens', async () => {
    const client = server.client();
    const lake = new S3LakeStore(client, { bucket: BUCKET, prefix: uniquePrefix() });
    const keys = Array.from({ length: 1_050 }, (_, i) => `state/keys/t/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key) => lake.put(key, 'k')));
    }
    const operations = recordOperations(client);

    const listed = await collect(lake.list('state/keys/'));

    expect(listed).toEqual(keys);
    expect(operations.filter((op) => op === 'ListObjectsV2').length).toBeGreaterThanOrEqual(2);
  });

  it('keeps lakes under different prefixes of one bucket apart', async () => {
    const a = new S3LakeStore(server.client(), { bucket: BUCKET, prefix: `${uniquePrefix()}/lake` });
    const b = new S3LakeStore(server.client(), { bucket: BUCKET, prefix: uniquePrefix() });
    await a.put('raw/t/1.gz', 'a');
    await b.put('raw/t/2.gz', 'b');

    expect(await collect(a.list(''))).toEqual(['raw/t/1.gz']);
    expect(await collect(b.list('raw/'))).toEqual(['raw/t/2.gz']);
    expect(await a.get('raw/t/2.gz')).toBeUndefined();
  });

  it('says which key and bucket a download of a missing object was for', async () => {
    const lake = new S3LakeStore(server.client(), { bucket: BUCKET, prefix: uniquePrefix() });

    const error = await lake.download('raw/none.gz', join(scratch, 'none.gz')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(S3LakeError);
    expect((error as S3LakeError).context).toMatchObject({ key: 'raw/none.gz', bucket: BUCKET });
  });

  it('names a missing bucket and what to do about it', async () => {
    const lake = new S3LakeStore(server.client(), { bucket: 'no-such-bucket', prefix: '' });

    const error = await lake.put('state/x.json', 'x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(S3LakeError);
    expect((error as S3LakeError).message).toMatch(/create bucket "no-such-bucket" or correct LAKE_URL/);
    expect((error as S3LakeError).context).toMatchObject({ code: 'NoSuchBucket', key: 'state/x.json' });
    expect((error as S3LakeError).cause).toBeDefined();
  });

  it('reaches an S3-compatible endpoint built from options alone', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    try {
      const prefix = uniquePrefix();
      const lake = S3LakeStore.fromOptions({
        bucket: BUCKET,
        prefix: `/${prefix}/`,
        endpoint: server.endpoint,
      });
      await lake.put('state/x.json', '{}');

      expect(lake.url).toBe(`s3://${BUCKET}/${prefix}`);
      expect((await lake.get('state/x.json'))?.body.toString()).toBe('{}');
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });
});

describe('RoutedLakeStore over two buckets', () => {
  it('sends raw/ keys to the raw bucket and every other key to the curated bucket', async () => {
    const prefix = uniquePrefix();
    const raw = new S3LakeStore(server.client(), { bucket: 'raw-zone', prefix });
    const curated = new S3LakeStore(server.client(), { bucket: 'curated-zone', prefix });
    const lake = new RoutedLakeStore(raw, curated);

    await lake.put('raw/sales_order/ingest_date=2024-11-15/r1.jsonl.gz', 'rows');
    await lake.put('curated/dim_staff/snapshot=r1/part-0.parquet', 'dim');
    await lake.putIf('state/ingest.json', '{}', { ifNoneMatch: '*' });

    expect(await collect(raw.list(''))).toEqual(['raw/sales_order/ingest_date=2024-11-15/r1.jsonl.gz']);
    expect(await collect(curated.list(''))).toEqual([
      'curated/dim_staff/snapshot=r1/part-0.parquet',
      'state/ingest.json',
    ]);
    expect(await collect(lake.list(''))).toEqual([
      'curated/dim_staff/snapshot=r1/part-0.parquet',
      'raw/sales_order/ingest_date=2024-11-15/r1.jsonl.gz',
      'state/ingest.json',
    ]);
    expect((await lake.get('raw/sales_order/ingest_date=2024-11-15/r1.jsonl.gz'))?.body.toString()).toBe(
      'rows',
    );
  });
});
