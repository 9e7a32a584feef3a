import type { Context } from 'aws-lambda';

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

/** The environment the CDK stack gives every function. */
export const stackEnvironment = {
  AWS_REGION: 'eu-west-2',
  LAKE_URL: 's3://curated-bucket/',
  RAW_LAKE_URL: 's3://raw-bucket/',
  SOURCE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:source',
  WAREHOUSE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:warehouse',
  GLUE_DATABASE: 'totesys_lake_test',
  MIGRATIONS_DIR: '/var/task/warehouse-sql',
  POWERTOOLS_METRICS_NAMESPACE: 'TotesysLake',
  POWERTOOLS_SERVICE_NAME: 'totesys-test',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

export const rdsSecret = JSON.stringify({
  host: 'db.internal',
  port: 5432,
  dbname: 'warehouse',
  username: 'u',
  password: 'p',
});
