import { duckDbSizing, requiredEnv } from '../../../lambdas/kernel/aws/lambda-env';
import { ConfigError } from '../../../lambdas/kernel/errors';

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
