import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { DatabaseSecretError } from './errors';

/**
 * A database secret: either `{"url": "postgres://…"}` or the layout RDS writes and rotates
 * (`host`, `port`, `dbname`, `username`, `password`), optionally with a libpq `sslmode`.
 */
const secretSchema = z.union([
  z.object({ url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL') }),
  z.object({
    host: z.string().min(1),
    port: z.coerce.number().int().positive().default(5432),
    dbname: z.string().min(1),
    username: z.string().min(1),
    password: z.string().min(1),
    sslmode: z.enum(['disable', 'require', 'verify-ca', 'verify-full']).optional(),
  }),
]);

/** The narrow part of the Secrets Manager client used here, so tests can pass a mock. */
export type SecretsSend = Pick<SecretsManagerClient, 'send'>;

/**
 * The PostgreSQL URL a secret's JSON describes. User and password are URL-encoded (rotated
 * passwords contain URL syntax characters). Never put the result in a log line unredacted.
 *
 * @example
 * databaseUrlFromSecret('{"host":"db","port":5432,"dbname":"warehouse","username":"u","password":"p/w"}')
 * // 'postgres://u:p%2Fw@db:5432/warehouse'
 */
export function databaseUrlFromSecret(secretString: string, secretId = 'secret'): string {
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch (error) {
    throw new DatabaseSecretError(
      `secret ${secretId} is not JSON; store {"host","port","dbname","username","password"}`,
      {
        cause: error,
        context: { secretId },
      },
    );
  }
  const parsed = secretSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new DatabaseSecretError(
      `secret ${secretId} lacks usable database credentials (check ${fields}); store {"host","port","dbname","username","password"} or {"url"}`,
      { context: { secretId } },
    );
  }
  const secret = parsed.data;
  if ('url' in secret) return secret.url;
  const auth = `${encodeURIComponent(secret.username)}:${encodeURIComponent(secret.password)}`;
  const query = secret.sslmode ? `?sslmode=${secret.sslmode}` : '';
  return `postgres://${auth}@${secret.host}:${secret.port}/${encodeURIComponent(secret.dbname)}${query}`;
}

/**
 * Reads a database secret and returns its connection URL. Read on every invocation, not
 * cached, so a rotated password is picked up by the next run.
 */
export async function readDatabaseUrl(secrets: SecretsSend, secretId: string): Promise<string> {
  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId })));
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new DatabaseSecretError(
      `cannot read secret ${secretId} (${reason}); check that it exists and the function may read it and its key`,
      { cause: error, context: { secretId } },
    );
  }
  if (secretString === undefined) {
    throw new DatabaseSecretError(`secret ${secretId} has no string value; put the credentials as JSON`, {
      context: { secretId },
    });
  }
  return databaseUrlFromSecret(secretString, secretId);
}
