import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { databaseTargetFromSecret, readDatabaseTarget } from '../../../lambdas/kernel/aws/database-secret';
import { DatabaseSecretError } from '../../../lambdas/kernel/aws/errors';
import { pgClientConfig } from '../../../lambdas/kernel/db/connect';

const rdsSecret = {
  host: 'db.internal',
  port: 5432,
  dbname: 'warehouse',
  username: 'totes_admin',
  password: 'p@ss/w:rd',
};
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('databaseTargetFromSecret', () => {
  it('builds a URL from the secret layout RDS rotates, encoding the password', () => {
    const { url } = databaseTargetFromSecret(JSON.stringify(rdsSecret));
    expect(url).toBe('postgres://totes_admin:p%40ss%2Fw%3Ard@db.internal:5432/warehouse');
    expect(decodeURIComponent(new URL(url).password)).toBe('p@ss/w:rd');
  });

  it.each(['disable', 'no-verify', 'require', 'verify-ca', 'verify-full'])(
    'passes sslmode=%s through to the URL',
    (sslmode) => {
      expect(databaseTargetFromSecret(JSON.stringify({ ...rdsSecret, sslmode })).url).toMatch(
        new RegExp(`\\?sslmode=${sslmode}$`),
      );
    },
  );

  it('accepts the explicit opt-out no-verify, which turns certificate checks off', () => {
    const { url } = databaseTargetFromSecret(JSON.stringify({ ...rdsSecret, sslmode: 'no-verify' }));
    expect(pgClientConfig(url).ssl).toEqual({ rejectUnauthorized: false });
  });

  it('gives a CA bundle from the secret to the connection, trusted alone', () => {
    const target = databaseTargetFromSecret(JSON.stringify({ ...rdsSecret, ca: PEM }));
    expect(target.caPem).toBe(PEM);
    expect(pgClientConfig(target.url, 'x', { caPem: target.caPem }).ssl).toEqual({
      ca: PEM,
      rejectUnauthorized: true,
    });
  });

  it('puts a CA bundle path of the secret into the URL as sslrootcert', () => {
    const { url } = databaseTargetFromSecret(
      JSON.stringify({ ...rdsSecret, sslmode: 'verify-ca', sslrootcert: '/var/task/ca.pem' }),
    );
    expect(new URL(url).searchParams.get('sslrootcert')).toBe('/var/task/ca.pem');
  });

  it('refuses a "ca" that is no PEM bundle, naming the field', () => {
    expect(() => databaseTargetFromSecret(JSON.stringify({ ...rdsSecret, ca: 'trust me' }))).toThrow(
      /check .*ca/,
    );
  });

  it('accepts a secret that holds a ready URL, with TLS fields beside it', () => {
    expect(databaseTargetFromSecret('{"url":"postgres://u:p@h:5432/totesys"}')).toEqual({
      url: 'postgres://u:p@h:5432/totesys',
    });
    expect(
      databaseTargetFromSecret(
        JSON.stringify({ url: 'postgres://u:p@h:5432/totesys', sslmode: 'verify-full', ca: PEM }),
      ),
    ).toEqual({ url: 'postgres://u:p@h:5432/totesys?sslmode=verify-full', caPem: PEM });
  });

  it('names the missing fields without echoing the secret', () => {
    let error: Error | undefined;
    try {
      databaseTargetFromSecret('{"host":"replace-me","password":"hunter2"}', 'source-secret');
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(DatabaseSecretError);
    expect(error?.message).toMatch(/source-secret lacks usable database credentials \(check .*dbname/);
    expect(error?.message).not.toContain('hunter2');
  });

  it('rejects a secret that is not JSON', () => {
    expect(() => databaseTargetFromSecret('postgres://x')).toThrow(/is not JSON/);
  });
});

// The Secrets Manager boundary: no real service runs here, so its client is mocked at the SDK.
describe('readDatabaseTarget', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => secrets.reset());

  it('reads the secret it is given', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: 'arn:secret' })
      .resolves({ SecretString: JSON.stringify(rdsSecret) });
    await expect(readDatabaseTarget(new SecretsManagerClient({}), 'arn:secret')).resolves.toEqual({
      url: expect.stringMatching(/^postgres:\/\//),
    });
  });

  it('explains a refused read and keeps the cause', async () => {
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    secrets.on(GetSecretValueCommand).rejects(denied);
    const error = (await readDatabaseTarget(new SecretsManagerClient({}), 'arn:secret').catch(
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(DatabaseSecretError);
    expect(error.message).toMatch(/cannot read secret arn:secret \(AccessDeniedException: denied\)/);
    expect(error.cause).toBe(denied);
  });
});
