import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { PreconditionFailedError } from '../../../lambdas/kernel/errors';
import { S3LakeError } from '../../../lambdas/kernel/lake/errors';
import { S3LakeStore } from '../../../lambdas/kernel/lake/s3-lake-store';

const s3 = mockClient(S3Client);

beforeEach(() => {
  s3.reset();
});

const lake = (): S3LakeStore =>
  new S3LakeStore(new S3Client({ region: 'eu-west-2' }), { bucket: 'b', prefix: 'lake' });

function serviceError(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of keys) out.push(key);
  return out;
}

describe('S3LakeStore conditional writes (SDK mock)', () => {
  it('creates with If-None-Match: * under the prefix and returns the ETag', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"e1"' });

    const version = await lake().putIf('state/lease.json', '{}', { ifNoneMatch: '*' });

    expect(version).toBe('"e1"');
    const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ Bucket: 'b', Key: 'lake/state/lease.json', IfNoneMatch: '*' });
    expect(input?.IfMatch).toBeUndefined();
  });

  it('replaces with If-Match: <etag> the version that was read', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"e2"' });

    await lake().putIf('state/ingest.json', '{}', { ifMatch: '"e1"' });

    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({ IfMatch: '"e1"' });
  });

  it('turns 412 Precondition Failed into PreconditionFailedError naming the key and bucket', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('PreconditionFailed', 412));

    const error = await lake()
      .putIf('state/ingest.json', '{}', { ifMatch: '"old"' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect((error as PreconditionFailedError).context).toEqual({ key: 'state/ingest.json', bucket: 'b' });
    expect((error as PreconditionFailedError).cause).toBeInstanceOf(S3ServiceException);
  });

  it('turns 409 ConditionalRequestConflict (a concurrent conditional write won) into PreconditionFailedError', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('ConditionalRequestConflict', 409));

    await expect(lake().putIf('state/lease.json', '{}', { ifNoneMatch: '*' })).rejects.toThrow(
      PreconditionFailedError,
    );
  });

  it('reports any other failure of a conditional write as an S3LakeError, not a lost race', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('AccessDenied', 403));

    const error = await lake()
      .putIf('state/lease.json', '{}', { ifNoneMatch: '*' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(S3LakeError);
    expect(error).not.toBeInstanceOf(PreconditionFailedError);
    expect((error as S3LakeError).message).toMatch(/AccessDenied.*policy/);
  });
});

describe('S3LakeStore reads and listings (SDK mock)', () => {
  it('returns undefined for NoSuchKey', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: { httpStatusCode: 404 } }));

    expect(await lake().get('state/ingest.json')).toBeUndefined();
  });

  it('returns the body and ETag of an object', async () => {
    // The SDK mixes byte helpers into the HTTP response stream; the store only uses this one.
    const body = Object.assign(Readable.from([Buffer.from('hello')]), {
      transformToByteArray: async () => new Uint8Array(Buffer.from('hello')),
    }) as unknown as GetObjectCommandOutput['Body'];
    s3.on(GetObjectCommand, { Bucket: 'b', Key: 'lake/state/x.json' }).resolves({ Body: body, ETag: '"v"' });

    expect(await lake().get('state/x.json')).toEqual({ body: Buffer.from('hello'), version: '"v"' });
  });

  it('follows NextContinuationToken across pages and strips the prefix', async () => {
    s3.on(ListObjectsV2Command, { Bucket: 'b', Prefix: 'lake/raw/', ContinuationToken: undefined }).resolves({
      Contents: [{ Key: 'lake/raw/a' }, { Key: 'lake/raw/b' }],
      IsTruncated: true,
      NextContinuationToken: 'page-2',
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: 'page-2' }).resolves({
      Contents: [{ Key: 'lake/raw/c' }],
      IsTruncated: false,
    });

    expect(await collect(lake().list('raw/'))).toEqual(['raw/a', 'raw/b', 'raw/c']);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(2);
  });

  it('wraps a failed listing in an S3LakeError with the prefix as key', async () => {
    s3.on(ListObjectsV2Command).rejects(serviceError('NoSuchBucket', 404));

    const error = await collect(lake().list('raw/')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(S3LakeError);
    expect((error as S3LakeError).context).toMatchObject({
      key: 'raw/',
      bucket: 'b',
      operation: 'ListObjectsV2',
    });
  });
});

describe('S3LakeStore.fromOptions', () => {
  it('uses path-style addressing with a custom endpoint and virtual-hosted style without one', async () => {
    const custom = S3LakeStore.fromOptions({ bucket: 'b', prefix: '', endpoint: 'http://127.0.0.1:9000' });
    const aws = S3LakeStore.fromOptions({ bucket: 'b', prefix: 'p/', region: 'eu-west-2' });

    // biome-ignore lint/complexity/useLiteralKeys: reading the private client is the point of this test
    expect(custom['client'].config.forcePathStyle).toBe(true);
    // biome-ignore lint/complexity/useLiteralKeys: as above
    expect(aws['client'].config.forcePathStyle).toBe(false);
    expect(custom.url).toBe('s3://b');
    expect(aws.url).toBe('s3://b/p');
    expect(aws.localPath()).toBeUndefined();
  });
});
