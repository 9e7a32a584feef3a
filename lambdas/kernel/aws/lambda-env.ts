import { ConfigError } from '../errors';

type Env = Readonly<Record<string, string | undefined>>;

/** The lake every stage function works on: the curated bucket, and the raw bucket apart. */
const LAKE_VARIABLES = ['LAKE_URL', 'RAW_LAKE_URL'] as const;

/**
 * The environment contract of the stage functions: the variables each one reads, named once.
 * The handlers read them through {@link readStageEnvironment}; the CDK construct that deploys
 * a function (`infra/constructs/compute/pipeline-function.ts`) must set exactly these, which
 * its type ({@link StageEnvironment}) enforces at compile time.
 *
 * - `LAKE_URL`, `RAW_LAKE_URL` — `s3://<bucket>/` of the curated and the raw zone;
 * - `SOURCE_SECRET_ARN` — the totesys credentials (ingest);
 * - `GLUE_DATABASE` — where the curated tables are catalogued (transform);
 * - `WAREHOUSE_SECRET_ARN`, `MIGRATIONS_DIR` — the warehouse credentials and the bundled
 *   `warehouse-sql/` (load).
 */
export const STAGE_ENVIRONMENT = {
  ingest: [...LAKE_VARIABLES, 'SOURCE_SECRET_ARN'],
  transform: [...LAKE_VARIABLES, 'GLUE_DATABASE'],
  load: [...LAKE_VARIABLES, 'WAREHOUSE_SECRET_ARN', 'MIGRATIONS_DIR'],
  compact: [...LAKE_VARIABLES],
} as const;

/** A pipeline stage that runs as its own Lambda function. */
export type PipelineStage = keyof typeof STAGE_ENVIRONMENT;

/** The pipeline stages, in the order a run calls them. */
export const PIPELINE_STAGES = Object.keys(STAGE_ENVIRONMENT) as readonly PipelineStage[];

/** The variables of `stage`, each a string. */
export type StageEnvironment<S extends PipelineStage> = {
  readonly [K in (typeof STAGE_ENVIRONMENT)[S][number]]: string;
};

/** Powertools service name of a stage's function: the `service` dimension of its metrics. */
export const stageServiceName = (stage: PipelineStage): string => `totesys-${stage}`;

/**
 * The contract variables of `stage` from `env`; a missing one is a {@link ConfigError} naming it.
 *
 * @example
 * const { SOURCE_SECRET_ARN } = readStageEnvironment('ingest', process.env);
 */
export function readStageEnvironment<S extends PipelineStage>(stage: S, env: Env): StageEnvironment<S> {
  const values: Record<string, string> = {};
  for (const name of STAGE_ENVIRONMENT[stage]) values[name] = requiredEnv(env, name);
  return values as StageEnvironment<S>;
}

/** The value of a variable the deployment always sets; a clear error naming it otherwise. */
export function requiredEnv(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) {
    throw new ConfigError(
      `${name} is not set; the CDK stack sets it on the function, so redeploy the stack`,
      {
        context: { variable: name },
      },
    );
  }
  return value;
}

/**
 * DuckDB settings sized to the function: 60 % of its memory (the rest for Node and the
 * S3 buffers) and one thread per vCPU Lambda grants (one per 1769 MiB).
 */
export function duckDbSizing(env: Env): { memoryLimit: string; threads: number } {
  const memoryMiB = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '1024') || 1024;
  return {
    memoryLimit: `${Math.floor(memoryMiB * 0.6)}MB`,
    threads: Math.max(1, Math.min(6, Math.round(memoryMiB / 1769))),
  };
}
