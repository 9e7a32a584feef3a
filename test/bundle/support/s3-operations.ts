/**
 * Maps a path-style S3 REST request to its API operation and the IAM actions S3 authorises
 * it with (Amazon S3 "Actions, resources and condition keys" and the API reference).
 */

/** One IAM check an S3 request needs. */
export interface S3Check {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

/** What a request is, for authorisation and the report. */
export interface S3Operation {
  readonly operation: string;
  readonly bucket: string;
  readonly key?: string;
  readonly checks: readonly S3Check[];
  /** The KMS work S3 does for it on an SSE-KMS bucket. */
  readonly kms: 'encrypt' | 'decrypt' | 'encrypt-and-decrypt' | 'none';
}

const objectArn = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;

/**
 * @param path the URL path, e.g. `/bucket/state/ingest.json` (percent-encoded)
 * @param query the query parameters
 * @param headers lower-case request headers
 */
export function s3Operation(
  method: string,
  path: string,
  query: URLSearchParams,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): S3Operation {
  const [, rawBucket = '', ...rest] = path.split('/');
  const bucket = decodeURIComponent(rawBucket);
  const key = rest.length > 0 && rest.join('/') !== '' ? decodeURIComponent(rest.join('/')) : undefined;
  const has = (name: string) => query.has(name);
  const versioned = has('versionId');
  if (!bucket)
    return {
      operation: 'ListBuckets',
      bucket,
      checks: [{ action: 's3:ListAllMyBuckets', resource: '*' }],
      kms: 'none',
    };

  if (key === undefined) {
    const on = (operation: string, action: string, context?: Record<string, string>): S3Operation => ({
      operation,
      bucket,
      checks: [{ action, resource: bucketArn(bucket), ...(context ? { context } : {}) }],
      kms: 'none',
    });
    if (method === 'GET' || method === 'HEAD') {
      if (has('versions')) return on('ListObjectVersions', 's3:ListBucketVersions', listContext(query));
      if (has('uploads')) return on('ListMultipartUploads', 's3:ListBucketMultipartUploads');
      if (has('location')) return on('GetBucketLocation', 's3:GetBucketLocation');
      for (const sub of [
        'policy',
        'encryption',
        'versioning',
        'lifecycle',
        'tagging',
        'acl',
        'cors',
        'logging',
      ]) {
        if (has(sub)) return on(`GetBucket${sub}`, `s3:Get${s3Sub(sub)}`);
      }
      if (method === 'HEAD') return on('HeadBucket', 's3:ListBucket');
      return on(
        query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects',
        's3:ListBucket',
        listContext(query),
      );
    }
    if (method === 'POST' && has('delete')) {
      // The keys are in the body: the gateway adds one s3:DeleteObject check per key.
      return { operation: 'DeleteObjects', bucket, checks: [], kms: 'none' };
    }
    if (method === 'PUT' && [...query.keys()].length === 0) return on('CreateBucket', 's3:CreateBucket');
    if (method === 'DELETE' && [...query.keys()].length === 0) return on('DeleteBucket', 's3:DeleteBucket');
    const sub = [...query.keys()][0] ?? '';
    return on(`${method} bucket ?${sub}`, `s3:${method === 'DELETE' ? 'Delete' : 'Put'}${s3Sub(sub)}`);
  }

  const object = (operation: string, action: string, kms: S3Operation['kms'] = 'none'): S3Operation => ({
    operation,
    bucket,
    key,
    checks: [{ action, resource: objectArn(bucket, key) }],
    kms,
  });
  switch (method) {
    case 'GET':
      if (has('uploadId')) return object('ListParts', 's3:ListMultipartUploadParts');
      if (has('tagging'))
        return object('GetObjectTagging', versioned ? 's3:GetObjectVersionTagging' : 's3:GetObjectTagging');
      if (has('acl')) return object('GetObjectAcl', versioned ? 's3:GetObjectVersionAcl' : 's3:GetObjectAcl');
      if (has('attributes'))
        return object(
          'GetObjectAttributes',
          versioned ? 's3:GetObjectVersionAttributes' : 's3:GetObjectAttributes',
        );
      return object('GetObject', versioned ? 's3:GetObjectVersion' : 's3:GetObject', 'decrypt');
    case 'HEAD':
      return object('HeadObject', versioned ? 's3:GetObjectVersion' : 's3:GetObject');
    case 'PUT': {
      if (has('partNumber') && has('uploadId')) {
        const copy = headerValue(headers, 'x-amz-copy-source');
        if (copy)
          return withCopySource(object('UploadPartCopy', 's3:PutObject', 'encrypt-and-decrypt'), copy);
        return object('UploadPart', 's3:PutObject', 'encrypt-and-decrypt');
      }
      if (has('tagging'))
        return object('PutObjectTagging', versioned ? 's3:PutObjectVersionTagging' : 's3:PutObjectTagging');
      if (has('acl')) return object('PutObjectAcl', versioned ? 's3:PutObjectVersionAcl' : 's3:PutObjectAcl');
      if (has('retention')) return object('PutObjectRetention', 's3:PutObjectRetention');
      if (has('legal-hold')) return object('PutObjectLegalHold', 's3:PutObjectLegalHold');
      const copy = headerValue(headers, 'x-amz-copy-source');
      if (copy) return withCopySource(object('CopyObject', 's3:PutObject', 'encrypt-and-decrypt'), copy);
      return object('PutObject', 's3:PutObject', 'encrypt');
    }
    case 'POST':
      if (has('uploads')) return object('CreateMultipartUpload', 's3:PutObject', 'encrypt-and-decrypt');
      if (has('uploadId')) return object('CompleteMultipartUpload', 's3:PutObject', 'encrypt-and-decrypt');
      if (has('restore')) return object('RestoreObject', 's3:RestoreObject');
      return object(`POST object ?${[...query.keys()].join('&')}`, 's3:PutObject');
    case 'DELETE':
      if (has('uploadId')) return object('AbortMultipartUpload', 's3:AbortMultipartUpload');
      if (has('tagging'))
        return object(
          'DeleteObjectTagging',
          versioned ? 's3:DeleteObjectVersionTagging' : 's3:DeleteObjectTagging',
        );
      return object('DeleteObject', versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject');
    default:
      return object(`${method} object`, `s3:${method}`);
  }
}

function listContext(query: URLSearchParams): Record<string, string> {
  const context: Record<string, string> = {};
  for (const [param, key] of [
    ['prefix', 's3:prefix'],
    ['delimiter', 's3:delimiter'],
    ['max-keys', 's3:max-keys'],
  ] as const) {
    const value = query.get(param);
    if (value !== null) context[key] = value;
  }
  return context;
}

const s3Sub = (sub: string): string =>
  ({
    policy: 'BucketPolicy',
    encryption: 'EncryptionConfiguration',
    versioning: 'BucketVersioning',
    lifecycle: 'LifecycleConfiguration',
    tagging: 'BucketTagging',
    acl: 'BucketAcl',
    cors: 'BucketCORS',
    logging: 'BucketLogging',
  })[sub] ?? `Bucket${sub.charAt(0).toUpperCase()}${sub.slice(1)}`;

function headerValue(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A copy also reads its source: s3:GetObject on it. */
function withCopySource(op: S3Operation, copySource: string): S3Operation {
  const source = decodeURIComponent(copySource.replace(/^\//, '').split('?')[0] ?? '');
  return { ...op, checks: [...op.checks, { action: 's3:GetObject', resource: `arn:aws:s3:::${source}` }] };
}

/** The keys of a DeleteObjects request body (`<Delete><Object><Key>…</Key></Object>…</Delete>`). */
export function deleteObjectsKeys(xml: string): string[] {
  return [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => unescapeXml(m[1] ?? ''));
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Escapes text for an XML error body. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
