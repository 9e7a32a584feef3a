import {
  authorize,
  authorizeKms,
  conditionsHold,
  type NamedPolicy,
  type Principal,
  wildcardMatch,
} from './support/iam-policy';
import { s3Operation } from './support/s3-operations';

const principal: Principal = {
  roleArn: 'arn:aws:iam::123456789012:role/Load',
  sessionArn: 'arn:aws:sts::123456789012:assumed-role/Load/load-fn',
  account: '123456789012',
};
const identity = (...statements: NamedPolicy['statements']): NamedPolicy[] => [
  { name: 'identity policy P', statements },
];
const req = (action: string, resource: string, context?: Record<string, string>) => ({
  principal,
  action,
  resource,
  ...(context ? { context } : {}),
});

describe('the bundle harness IAM evaluator', () => {
  const statePolicy = identity(
    {
      Effect: 'Allow',
      Action: ['s3:GetObject*', 's3:List*'],
      Resource: ['arn:aws:s3:::curated', 'arn:aws:s3:::curated/*'],
    },
    {
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:DeleteObject*'],
      Resource: ['arn:aws:s3:::curated/state/*'],
    },
  );

  it('allows what a statement grants, with wildcards in actions (any case) and resources', () => {
    expect(
      authorize(req('s3:getobject', 'arn:aws:s3:::curated/curated/f/dt=1/x.parquet'), statePolicy).allowed,
    ).toBe(true);
    expect(authorize(req('s3:ListBucket', 'arn:aws:s3:::curated'), statePolicy).allowed).toBe(true);
    expect(authorize(req('s3:PutObject', 'arn:aws:s3:::curated/state/load.json'), statePolicy).allowed).toBe(
      true,
    );
  });

  it('denies implicitly what no statement grants, saying so as AWS does', () => {
    const d = authorize(
      req('s3:PutObject', 'arn:aws:s3:::curated/curated/fact/dt=2024-01-01/compacted.parquet'),
      statePolicy,
    );
    expect(d).toEqual({
      allowed: false,
      reason: 'because no identity-based policy allows the s3:PutObject action',
    });
    expect(authorize(req('s3:PutObject', 'arn:aws:s3:::curated-other/state/x'), statePolicy).allowed).toBe(
      false,
    );
  });

  it('lets an explicit Deny in a bucket policy win over an Allow, only when its condition holds', () => {
    const bucket: NamedPolicy = {
      name: 'bucket policy B',
      statements: [
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: 'arn:aws:s3:::curated/*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    };
    const get = 'arn:aws:s3:::curated/state/x';
    expect(
      authorize(req('s3:GetObject', get, { 'aws:SecureTransport': 'false' }), statePolicy, [bucket]).allowed,
    ).toBe(false);
    expect(
      authorize(req('s3:GetObject', get, { 'aws:SecureTransport': 'true' }), statePolicy, [bucket]).allowed,
    ).toBe(true);
  });

  it('reads NotAction and NotResource as exclusions', () => {
    const p = identity({ Effect: 'Allow', NotAction: 's3:Delete*', NotResource: 'arn:aws:s3:::raw/*' });
    expect(authorize(req('s3:PutObject', 'arn:aws:s3:::curated/k'), p).allowed).toBe(true);
    expect(authorize(req('s3:DeleteObject', 'arn:aws:s3:::curated/k'), p).allowed).toBe(false);
    expect(authorize(req('s3:PutObject', 'arn:aws:s3:::raw/k'), p).allowed).toBe(false);
  });

  it('evaluates conditions: a missing key fails a positive test and passes a negated one', () => {
    expect(conditionsHold({ StringEquals: { 'kms:ViaService': 's3.eu-west-2.amazonaws.com' } }, {})).toBe(
      false,
    );
    expect(conditionsHold({ StringNotEquals: { 'kms:ViaService': 'x' } }, {})).toBe(true);
    expect(
      conditionsHold({ StringLike: { 's3:prefix': ['state/*'] } }, { 's3:prefix': 'state/load.json' }),
    ).toBe(true);
    expect(conditionsHold({ NumericLessThan: { 's3:TlsVersion': '1.2' } }, { 's3:TlsVersion': '1.3' })).toBe(
      false,
    );
    expect(() =>
      conditionsHold({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, { 'aws:SourceIp': '10.0.0.1' }),
    ).toThrow(/cannot evaluate/);
  });

  it('needs a KMS key policy to allow the caller or delegate to IAM, and IAM to allow when it delegates', () => {
    const key = 'arn:aws:kms:eu-west-2:123456789012:key/k';
    const delegating: NamedPolicy = {
      name: 'key policy K',
      statements: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::123456789012:root' },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    };
    const direct: NamedPolicy = {
      name: 'key policy K',
      statements: [
        {
          Effect: 'Allow',
          Principal: { AWS: principal.roleArn },
          Action: 'kms:Decrypt',
          Resource: '*',
          Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-2.amazonaws.com' } },
        },
      ],
    };
    const kmsIdentity = identity({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: key,
    });
    expect(authorizeKms(req('kms:GenerateDataKey', key), kmsIdentity, delegating).allowed).toBe(true);
    expect(authorizeKms(req('kms:GenerateDataKey', key), [], delegating).allowed).toBe(false);
    expect(
      authorizeKms(
        req('kms:Decrypt', key, { 'kms:ViaService': 'secretsmanager.eu-west-2.amazonaws.com' }),
        [],
        direct,
      ).allowed,
    ).toBe(true);
    expect(
      authorizeKms(req('kms:Decrypt', key, { 'kms:ViaService': 's3.eu-west-2.amazonaws.com' }), [], direct)
        .allowed,
    ).toBe(false);
  });

  it('matches IAM wildcards exactly, not as regular expressions', () => {
    expect(wildcardMatch('arn:aws:s3:::b/state/*', 'arn:aws:s3:::b/state/a/b')).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::b/state/*', 'arn:aws:s3:::b/stateX')).toBe(false);
    expect(wildcardMatch('arn:aws:s3:::b.c/?', 'arn:aws:s3:::bxc/k')).toBe(false);
  });
});

describe('the bundle harness S3 request mapping', () => {
  const q = (s: string) => new URLSearchParams(s);
  it.each([
    ['GET', '/b', 'list-type=2&prefix=state%2F', 'ListObjectsV2', 's3:ListBucket', 'arn:aws:s3:::b'],
    ['GET', '/b/state/x.json', '', 'GetObject', 's3:GetObject', 'arn:aws:s3:::b/state/x.json'],
    ['HEAD', '/b/k', '', 'HeadObject', 's3:GetObject', 'arn:aws:s3:::b/k'],
    ['PUT', '/b/k%20x', 'x-id=PutObject', 'PutObject', 's3:PutObject', 'arn:aws:s3:::b/k x'],
    ['POST', '/b/k', 'uploads', 'CreateMultipartUpload', 's3:PutObject', 'arn:aws:s3:::b/k'],
    ['PUT', '/b/k', 'partNumber=1&uploadId=u', 'UploadPart', 's3:PutObject', 'arn:aws:s3:::b/k'],
    ['DELETE', '/b/k', 'uploadId=u', 'AbortMultipartUpload', 's3:AbortMultipartUpload', 'arn:aws:s3:::b/k'],
    ['DELETE', '/b/k', 'x-id=DeleteObject', 'DeleteObject', 's3:DeleteObject', 'arn:aws:s3:::b/k'],
  ])('%s %s?%s is %s, authorised as %s on %s', (method, path, query, operation, action, resource) => {
    const op = s3Operation(method, path, q(query), {});
    expect(op.operation).toBe(operation);
    expect(op.checks[0]).toMatchObject({ action, resource });
  });

  it('gives a listing its prefix as the s3:prefix condition key', () => {
    expect(
      s3Operation('GET', '/b', q('list-type=2&prefix=curated%2Ffact%2F'), {}).checks[0]?.context,
    ).toEqual({ 's3:prefix': 'curated/fact/' });
  });
});
