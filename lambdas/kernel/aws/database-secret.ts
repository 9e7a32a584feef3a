import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { DatabaseSecretError } from './errors';
import { type AwsTimeouts, awsRequestHandler } from './http-timeouts';

/** A PEM bundle of one or more CA certificates. */
const pemBundle = z
  .string()
  .regex(/-----BEGIN CERTIFICATE-----/, 'PEM text with -----BEGIN CERTIFICATE-----');

/** TLS settings a secret may add (see `TlsMode` in `lambdas/kernel/db/connect.ts`). */
const tlsFields = {
  /** `verify-full` (default for a remote host; `require` is the same), `verify-ca`, `no-verify`, `disable`. */
  sslmode: z.enum(['disable', 'no-verify', 'require', 'verify-ca', 'verify-full']).optional(),
  /** Path of a PEM CA bundle inside the function (rarely useful in Lambda; prefer `ca`). */
  sslrootcert: z.string().min(1).optional(),
  /** The CA bundle itself, as PEM text: trusted instead of the public and RDS CAs. */
  ca: pemBundle.optional(),
};

/**
 * A database secret: either `{"url": "postgres://…"}` or the layout RDS writes and rotates
 * (`host`, `port`, `dbname`, `username`, `password`), either with the TLS fields above.
 */
const secretSchema = z.union([
  z.object({ url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'), ...tlsFields }),
  z.object({
    host: z.string().min(1),
    port: z.coerce.number().int().positive().default(5432),
    dbname: z.string().min(1),
    username: z.string().min(1),
    password: z.string().min(1),
    ...tlsFields,
  }),
]);

/** Where a secret says a database is: its URL (TLS mode and bundle path as URL parameters) and a CA bundle. */
export interface DatabaseTarget {
  /** Never put it in a log line unredacted: it holds the password. */
  readonly url: string;
  /** PEM CA bundle from the secret's `ca` field, for `connectPg`'s `caPem`. */
  readonly caPem?: string;
}

/** The narrow part of the Secrets Manager client used here, so tests can pass their own. */
export type SecretsSend = Pick<SecretsManagerClient, 'send'>;

/** A Secrets Manager client whose calls are bounded by `timeouts` (created once per container). */
export function createSecretsClient(timeouts?: AwsTimeouts): SecretsManagerClient {
  return new SecretsManagerClient({ requestHandler: awsRequestHandler(timeouts) });
}

/**
 * The database a secret's JSON describes. User and password are URL-encoded (rotated
 * passwords contain URL syntax characters); `sslmode` and `sslrootcert` become URL parameters.
 *
 * @example
 * databaseTargetFromSecret('{"host":"db","port":5432,"dbname":"warehouse","username":"u","password":"p/w"}')
 * // { url: 'postgres://u:p%2Fw@db:5432/warehouse' }
 */
export function databaseTargetFromSecret(secretString: string, secretId = 'secret'): DatabaseTarget {
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch (error) {
    throw new DatabaseSecretError(
      `secret ${secretId} is not JSON; store {"host","port","dbname","username","password"}`,
      { cause: error, context: { secretId } },
    );
  }
  const parsed = secretSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))].join(', ');
    throw new DatabaseSecretError(
      `secret ${secretId} lacks usable database credentials (check ${fields}); store {"host","port","dbname","username","password"} or {"url"}, optionally with "sslmode", "sslrootcert" or "ca"`,
      { context: { secretId } },
    );
  }
  const secret = parsed.data;
  const url =
    'url' in secret
      ? new URL(secret.url)
      : new URL(
          `postgres://${encodeURIComponent(secret.username)}:${encodeURIComponent(secret.password)}@${secret.host}:${secret.port}/${encodeURIComponent(secret.dbname)}`,
        );
  if (secret.sslmode) url.searchParams.set('sslmode', secret.sslmode);
  if (secret.sslrootcert) url.searchParams.set('sslrootcert', secret.sslrootcert);
  return { url: url.toString(), ...(secret.ca ? { caPem: secret.ca } : {}) };
}

/**
 * Reads a database secret and returns the database it describes. Read on every invocation,
 * not cached, so a rotated password is picked up by the next run.
 */
export async function readDatabaseTarget(secrets: SecretsSend, secretId: string): Promise<DatabaseTarget> {
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
  return databaseTargetFromSecret(secretString, secretId);
}
