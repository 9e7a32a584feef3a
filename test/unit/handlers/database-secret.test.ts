import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { databaseUrlFromSecret, readDatabaseUrl } from '../../../lambdas/kernel/aws/database-secret';
import { DatabaseSecretError } from '../../../lambdas/kernel/aws/errors';

const rdsSecret = {
  host: 'db.internal',
  port: 5432,
  dbname: 'warehouse',
  username: 'totes_admin',
  password: 'p@ss/w:rd',
};

describe('databaseUrlFromSecret', () => {
  it('builds a URL from the secret layout RDS rotates, encoding the password', () => {
    expect(databaseUrlFromSecret(JSON.stringify(rdsSecret))).toBe(
      'postgres://totes_admin:p%40ss%2Fw%3Ard@db.internal:5432/warehouse',
    );
    expect(new URL(databaseUrlFromSecret(JSON.stringify(rdsSecret))).password).toBe(
      encodeURIComponent('p@ss/w:rd'),
    );
  });

  it('passes an sslmode through to the URL', () => {
    expect(databaseUrlFromSecret(JSON.stringify({ ...rdsSecret, sslmode: 'require' }))).toMatch(
      /\?sslmode=require$/,
    );
  });

  it('accepts a secret that holds a ready URL', () => {
    expect(databaseUrlFromSecret('{"url":"postgres://u:p@h:5432/totesys"}')).toBe(
      'postgres://u:p@h:5432/totesys',
    );
  });

  it('names the missing fields without echoing the secret', () => {
    let error: Error | undefined;
    try {
      databaseUrlFromSecret('{"host":"replace-me","password":"hunter2"}', 'source-secret');
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(DatabaseSecretError);
    expect(error?.message).toMatch(/source-secret lacks usable database credentials \(check .*dbname/);
    expect(error?.message).not.toContain('hunter2');
  });

  it('rejects a secret that is not JSON', () => {
    expect(() => databaseUrlFromSecret('postgres://x')).toThrow(/is not JSON/);
  });
});

describe('readDatabaseUrl', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => secrets.reset());

  it('reads the secret it is given', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: 'arn:secret' })
      .resolves({ SecretString: JSON.stringify(rdsSecret) });
    await expect(readDatabaseUrl(new SecretsManagerClient({}), 'arn:secret')).resolves.toMatch(
      /^postgres:\/\//,
    );
  });

  it('explains a refused read and keeps the cause', async () => {
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    secrets.on(GetSecretValueCommand).rejects(denied);
    const error = (await readDatabaseUrl(new SecretsManagerClient({}), 'arn:secret').catch(
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(DatabaseSecretError);
    expect(error.message).toMatch(/cannot read secret arn:secret \(AccessDeniedException: denied\)/);
    expect(error.cause).toBe(denied);
  });
});
