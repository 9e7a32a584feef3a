import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { LeaseGuard } from '../../../lambdas/kernel/aws/lambda-handler';
import type { MetricsSink } from '../../../lambdas/kernel/aws/stage-metrics';

/** A Lambda context with just what Powertools reads. */
export const lambdaContext = {
  functionName: 'totesys-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-2:111122223333:function:totesys-test',
  memoryLimitInMB: '1024',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/totesys-test',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

/** A Powertools logger that writes nothing. */
export const silentLogger = (): Logger => new Logger({ logLevel: 'SILENT' });

/** Metrics that are kept in memory: what was added, and which were published. */
export class RecordedMetrics implements MetricsSink {
  readonly stored: { name: string; unit: string; value: number }[] = [];
  readonly published: { name: string; unit: string; value: number }[] = [];

  addMetric(name: string, unit: string, value: number): void {
    this.stored.push({ name, unit, value });
  }

  publishStoredMetrics(): void {
    this.published.push(...this.stored.splice(0));
  }

  /** The published value of `name` (undefined when it was not published). */
  value(name: string): number | undefined {
    return this.published.find((m) => m.name === name)?.value;
  }
}

/** A lease guard that records what ran under it (and whether anything ran outside it). */
export class RecordedLease {
  readonly purposes: string[] = [];
  held = false;

  readonly guard: LeaseGuard = async (purpose, work) => {
    this.purposes.push(purpose);
    this.held = true;
    try {
      return await work();
    } finally {
      this.held = false;
    }
  };
}

export const rdsSecret = JSON.stringify({
  host: 'db.internal',
  port: 5432,
  dbname: 'warehouse',
  username: 'u',
  password: 'p',
});

/** The environment the CDK stack gives the functions (every stage's contract variables). */
export const stackEnvironment = {
  AWS_REGION: 'eu-west-2',
  LAKE_URL: 's3://curated-bucket/',
  RAW_LAKE_URL: 's3://raw-bucket/',
  SOURCE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:source',
  WAREHOUSE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:warehouse',
  GLUE_DATABASE: 'totesys_lake_test',
  MIGRATIONS_DIR: '/var/task/warehouse-sql',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '4096',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};
