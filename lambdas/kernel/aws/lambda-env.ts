import { ConfigError } from '../errors';

type Env = Readonly<Record<string, string | undefined>>;

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
