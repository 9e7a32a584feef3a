import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { lambdaContext, rdsSecret, stackEnvironment } from './fixtures';

jest.mock('../../../lambdas/ingest/ingest', () => ({ ingest: jest.fn() }));
jest.mock('../../../lambdas/kernel/db/connect', () => ({ connectPg: jest.fn() }));
jest.mock('../../../lambdas/kernel/lake/open-lake', () => ({ openLake: jest.fn() }));

Object.assign(process.env, stackEnvironment);
const secrets = mockClient(SecretsManagerClient);
const { ingest } = jest.requireMock('../../../lambdas/ingest/ingest') as { ingest: jest.Mock };
const { connectPg } = jest.requireMock('../../../lambdas/kernel/db/connect') as { connectPg: jest.Mock };
const { openLake } = jest.requireMock('../../../lambdas/kernel/lake/open-lake') as { openLake: jest.Mock };
const lake = { url: 's3://curated-bucket' };
openLake.mockResolvedValue(lake);
const source = { end: jest.fn().mockResolvedValue(undefined) };

// Imported after the mocks and the environment: the handler reads both at module load.
const { handler } =
  require('../../../lambdas/ingest/handler') as typeof import('../../../lambdas/ingest/handler');

beforeEach(() => {
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: rdsSecret });
  connectPg.mockReset().mockResolvedValue(source);
  ingest.mockReset();
  source.end.mockClear();
});

const result = {
  runId: 'run-1',
  seq: 4,
  changed: true,
  extractedAt: '2024-11-15T14:40:10.188Z',
  tables: [
    { table: 'address', rows: 2, ops: { c: 2, u: 0, d: 0 }, extraColumns: [] },
    { table: 'design', rows: 0, ops: { c: 0, u: 0, d: 0 }, extraColumns: [], error: new Error('drifted') },
  ],
};

describe('ingest handler', () => {
  it('opens the curated lake with the raw zone routed to the raw bucket', () => {
    expect(openLake).toHaveBeenCalledWith('s3://curated-bucket', {
      region: 'eu-west-2',
      rawLakeUrl: 's3://raw-bucket',
    });
  });

  it('connects to the source named by its secret and returns positions and counts only', async () => {
    ingest.mockResolvedValue(result);

    const summary = await handler({ executionId: 'exec-1' }, lambdaContext);

    expect(connectPg).toHaveBeenCalledWith('postgres://u:p@db.internal:5432/warehouse', 'source');
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input.SecretId).toBe(
      stackEnvironment.SOURCE_SECRET_ARN,
    );
    expect(ingest).toHaveBeenCalledWith(expect.objectContaining({ source, lake }));
    expect(summary).toEqual({
      runId: 'run-1',
      seq: 4,
      changed: true,
      tables: [
        { table: 'address', rows: 2 },
        { table: 'design', rows: 0 },
      ],
      failedTables: ['design'],
    });
  });

  it('closes the source connection when ingest fails, and rethrows for the state machine', async () => {
    const failure = new Error('source went away');
    ingest.mockRejectedValue(failure);

    await expect(handler({}, lambdaContext)).rejects.toBe(failure);
    expect(source.end).toHaveBeenCalled();
  });

  it('rejects an event that is not the state machine payload', async () => {
    await expect(handler({ executionId: 42 }, lambdaContext)).rejects.toThrow();
    expect(connectPg).not.toHaveBeenCalled();
  });
});
