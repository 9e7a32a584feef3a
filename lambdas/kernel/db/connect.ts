import { Client, type ClientConfig } from 'pg';
import { DatabaseUnavailableError } from '../errors';
import { redact } from '../redact';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * Connection settings for a PostgreSQL URL. TLS is on, with certificate verification, for
 * every non-local host unless the URL says otherwise (`?sslmode=disable|require|verify-full`);
 * local hosts connect in plain text unless the URL asks for TLS.
 */
export function pgClientConfig(url: string, applicationName = 'totesys-lake'): ClientConfig {
  const parsed = new URL(url);
  const sslmode = parsed.searchParams.get('sslmode');
  const config: ClientConfig = { connectionString: url, application_name: applicationName };
  if (sslmode === null && !LOCAL_HOSTS.has(parsed.hostname)) config.ssl = { rejectUnauthorized: true };
  return config;
}

/**
 * Opens a client, turning connection failures into a {@link DatabaseUnavailableError} whose
 * message names the database (never the password) and says what to check.
 */
export async function connectPg(url: string, role: 'source' | 'warehouse'): Promise<Client> {
  const client = new Client(pgClientConfig(url, `totesys-lake-${role}`));
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const variable = role === 'source' ? 'TOTESYS_URL' : 'WAREHOUSE_URL';
    const reason = redact(error instanceof Error ? error.message : String(error));
    throw new DatabaseUnavailableError(
      `cannot connect to the ${role} database ${redact(url)}: ${reason}. Check ${variable}, that the server is up and that the credentials are right.`,
      { cause: new Error(reason), context: { role } },
    );
  }
  // An idle client whose server goes away emits 'error'; without a listener that would
  // crash the process instead of failing the query that is waiting on it.
  client.on('error', () => undefined);
  return client;
}
