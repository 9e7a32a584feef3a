import {
  duckDbSizing,
  PIPELINE_STAGES,
  readStageEnvironment,
  requiredEnv,
  STAGE_ENVIRONMENT,
  stageServiceName,
} from '../../../lambdas/kernel/aws/lambda-env';
import { lambdaEntry } from '../../../lambdas/kernel/aws/lambda-handler';
import { ConfigError } from '../../../lambdas/kernel/errors';
import { lambdaContext, stackEnvironment } from './fixtures';

describe('the stage environment contract', () => {
  it('lists the four stages in run order', () => {
    expect(PIPELINE_STAGES).toEqual(['ingest', 'transform', 'load', 'compact']);
  });

  it('gives every stage the lake, and each secret to one stage only', () => {
    for (const stage of PIPELINE_STAGES) expect(STAGE_ENVIRONMENT[stage]).toContain('LAKE_URL');
    const holders = (name: string) =>
      PIPELINE_STAGES.filter((s) => (STAGE_ENVIRONMENT[s] as readonly string[]).includes(name));
    expect(holders('SOURCE_SECRET_ARN')).toEqual(['ingest']);
    expect(holders('WAREHOUSE_SECRET_ARN')).toEqual(['load']);
  });

  it('reads exactly the variables of a stage', () => {
    expect(readStageEnvironment('load', stackEnvironment)).toEqual({
      LAKE_URL: 's3://curated-bucket/',
      RAW_LAKE_URL: 's3://raw-bucket/',
      WAREHOUSE_SECRET_ARN: stackEnvironment.WAREHOUSE_SECRET_ARN,
      MIGRATIONS_DIR: '/var/task/warehouse-sql',
    });
  });

  it('names the first missing variable', () => {
    expect(() => readStageEnvironment('transform', { LAKE_URL: 's3://b/', RAW_LAKE_URL: 's3://r/' })).toThrow(
      /GLUE_DATABASE is not set; the CDK stack sets it/,
    );
  });

  it('names the service of each stage as its metrics dimension', () => {
    expect(stageServiceName('compact')).toBe('totesys-compact');
  });
});

describe('requiredEnv', () => {
  it('returns the trimmed value', () => {
    expect(requiredEnv({ GLUE_DATABASE: ' db ' }, 'GLUE_DATABASE')).toBe('db');
  });

  it('names the missing variable', () => {
    expect(() => requiredEnv({}, 'GLUE_DATABASE')).toThrow(ConfigError);
    expect(() => requiredEnv({ GLUE_DATABASE: '' }, 'GLUE_DATABASE')).toThrow(/GLUE_DATABASE is not set/);
  });
});

describe('duckDbSizing', () => {
  it('gives DuckDB 60% of a 4 GB function and one thread per vCPU', () => {
    expect(duckDbSizing({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '4096' })).toEqual({
      memoryLimit: '2457MB',
      threads: 2,
    });
  });

  it('keeps at least one thread on a small function', () => {
    expect(duckDbSizing({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512' }).threads).toBe(1);
  });
});

describe('lambdaEntry', () => {
  it('builds the handler once, on the first invocation', async () => {
    let builds = 0;
    const handler = lambdaEntry(() => {
      builds += 1;
      return async (event: unknown) => event;
    });
    expect(builds).toBe(0);
    await handler('a', lambdaContext);
    await expect(handler('b', lambdaContext)).resolves.toBe('b');
    expect(builds).toBe(1);
  });
});
