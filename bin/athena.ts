import type { AthenaResult } from '../app/analytics/athena/athena-runner';
import type { Config } from '../lambdas/kernel/config';
import type { Log } from '../lambdas/kernel/logger';
import { UsageError } from './errors';

/** Where SQL on an S3 lake runs: an Athena workgroup, and the Glue database its tables are in. */
export interface AthenaTarget {
  readonly workGroup: string;
  readonly database: string;
  readonly region?: string | undefined;
}

/** The `--workgroup` / `--database` options of `query` and `queries`. */
export interface AthenaOptions {
  readonly workgroup?: string | undefined;
  readonly database?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The Athena workgroup and Glue database for a query on `lakeUrl`: the options, else
 * `ATHENA_WORKGROUP` and `GLUE_DATABASE` (the deployed stack's `AthenaWorkgroup` and
 * `GlueDatabase` outputs).
 *
 * @throws {UsageError} naming what to set when either is missing.
 */
export function athenaTarget(
  options: AthenaOptions,
  config: Pick<Config, 'lakeUrl' | 'awsRegion'>,
  env: Env = process.env,
): AthenaTarget {
  const workGroup = options.workgroup?.trim() || env.ATHENA_WORKGROUP?.trim();
  const database = options.database?.trim() || env.GLUE_DATABASE?.trim();
  const missing = [
    workGroup ? undefined : 'the Athena workgroup (--workgroup <name> or ATHENA_WORKGROUP)',
    database ? undefined : 'the Glue database (--database <name> or GLUE_DATABASE)',
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0 || !workGroup || !database) {
    throw new UsageError(
      `LAKE_URL is ${config.lakeUrl}: SQL on an S3 lake runs on Athena; give ${missing.join(' and ')} — the stack outputs AthenaWorkgroup and GlueDatabase name them — or query a local lake (LAKE_URL=file:///path)`,
      { context: { variable: workGroup ? 'GLUE_DATABASE' : 'ATHENA_WORKGROUP' } },
    );
  }
  return { workGroup, database, region: config.awsRegion };
}

/**
 * Runs one statement on Athena with the project's runner (start, poll with backoff, read
 * every page). The SDK is loaded here, so commands on a local lake never load it.
 */
export async function runOnAthena(
  sql: string,
  target: AthenaTarget,
  options: { parameters?: readonly string[]; log?: Log } = {},
): Promise<AthenaResult> {
  const [{ AthenaClient }, { AthenaRunner }] = await Promise.all([
    import('@aws-sdk/client-athena'),
    import('../app/analytics/athena/athena-runner'),
  ]);
  const client = new AthenaClient(target.region ? { region: target.region } : {});
  try {
    const runner = new AthenaRunner(client, {
      workGroup: target.workGroup,
      database: target.database,
      ...(options.log ? { log: options.log } : {}),
    });
    // Athena takes one statement; a terminating `;` is not part of it.
    return await runner.run(
      sql.replace(/;\s*$/, ''),
      options.parameters ? { parameters: options.parameters } : {},
    );
  } finally {
    client.destroy();
  }
}
