import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { lambdaContext, rdsSecret, stackEnvironment } from './fixtures';

jest.mock('../../../lambdas/load/stage', () => ({ runLoadStage: jest.fn() }));
jest.mock('../../../lambdas/kernel/db/connect', () => ({ connectPg: jest.fn() }));
jest.mock('../../../lambdas/kernel/lake/open-lake', () => ({ openLake: jest.fn() }));

Object.assign(process.env, stackEnvironment);
const secrets = mockClient(SecretsManagerClient);
const { runLoadStage } = jest.requireMock('../../../lambdas/load/stage') as { runLoadStage: jest.Mock };
const { connectPg } = jest.requireMock('../../../lambdas/kernel/db/connect') as { connectPg: jest.Mock };
const { openLake } = jest.requireMock('../../../lambdas/kernel/lake/open-lake') as { openLake: jest.Mock };
openLake.mockResolvedValue({ url: 's3://curated-bucket' });
const warehouse = { end: jest.fn().mockResolvedValue(undefined) };

const { handler } =
  require('../../../lambdas/load/handler') as typeof import('../../../lambdas/load/handler');

// Powertools writes metrics (EMF) to stdout.
const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
jest.spyOn(console, 'warn').mockImplementation(() => undefined);

beforeEach(() => {
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: rdsSecret });
  connectPg.mockReset().mockResolvedValue(warehouse);
  runLoadStage.mockReset();
  warehouse.end.mockClear();
  stdout.mockClear();
});

const loaded = (lastLoadedSeq: number, committedSeq: number) => ({
  migrations: { applied: [], alreadyApplied: ['001_star_schema.sql'] },
  batches: [{ seq: lastLoadedSeq, batchId: 'b', rows: {} }],
  rows: {},
  lastLoadedSeq,
  committedSeq,
});

describe('load handler', () => {
  it('migrates and loads with the bundled migrations and the warehouse secret', async () => {
    runLoadStage.mockResolvedValue(loaded(5, 5));

    await handler({ executionId: 'exec-1' }, lambdaContext);

    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input.SecretId).toBe(
      stackEnvironment.WAREHOUSE_SECRET_ARN,
    );
    expect(connectPg).toHaveBeenCalledWith(expect.stringMatching(/^postgres:\/\//), 'warehouse');
    expect(runLoadStage).toHaveBeenCalledWith(
      expect.objectContaining({ warehouse, migrationsDir: '/var/task/warehouse-sql', maxBatches: 20 }),
    );
  });

  it('answers more while committed batches remain unloaded', async () => {
    runLoadStage.mockResolvedValue(loaded(20, 31));
    await expect(handler({}, lambdaContext)).resolves.toEqual({ more: true, batches: 1, lastLoadedSeq: 20 });

    runLoadStage.mockResolvedValue(loaded(31, 31));
    await expect(handler({}, lambdaContext)).resolves.toEqual(expect.objectContaining({ more: false }));
  });

  it('publishes the LoadSucceeded metric the freshness alarm watches', async () => {
    runLoadStage.mockResolvedValue(loaded(5, 5));

    await handler({}, lambdaContext);

    const emitted = stdout.mock.calls.map((c) => String(c[0])).join('');
    expect(emitted).toContain('"LoadSucceeded"');
  });

  it('publishes no success and closes the connection when the load fails', async () => {
    runLoadStage.mockRejectedValue(new Error('warehouse drifted'));

    await expect(handler({}, lambdaContext)).rejects.toThrow('warehouse drifted');

    const emitted = stdout.mock.calls.map((c) => String(c[0])).join('');
    expect(emitted).not.toContain('"LoadSucceeded"');
    expect(warehouse.end).toHaveBeenCalled();
  });
});
