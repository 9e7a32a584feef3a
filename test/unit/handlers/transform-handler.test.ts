import { existsSync } from 'node:fs';
import { GlueCatalog } from '../../../lambdas/kernel/catalog/glue-catalog';
import { lambdaContext, stackEnvironment } from './fixtures';

jest.mock('../../../lambdas/transform/transform', () => ({ transform: jest.fn() }));
jest.mock('../../../lambdas/kernel/lake/open-lake', () => ({ openLake: jest.fn() }));

Object.assign(process.env, stackEnvironment, { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '4096' });
const { transform } = jest.requireMock('../../../lambdas/transform/transform') as { transform: jest.Mock };
const { openLake } = jest.requireMock('../../../lambdas/kernel/lake/open-lake') as { openLake: jest.Mock };
const lake = { url: 's3://curated-bucket' };
openLake.mockResolvedValue(lake);

const { handler } =
  require('../../../lambdas/transform/handler') as typeof import('../../../lambdas/transform/handler');

const committed = {
  status: 'committed',
  seq: 3,
  more: true,
  ingestSeqs: { from: 1, to: 2 },
  facts: { fact_sales_order: 10 },
  dimensions: {},
  quarantined: [{ table: 'sales_order', reason: 'null', column: 'design_id', rows: 2 }],
  held: {},
};

beforeEach(() => transform.mockReset());

describe('transform handler', () => {
  it('answers more while ingest runs remain, so the state machine calls again', async () => {
    transform.mockResolvedValue(committed);

    await expect(handler({ executionId: 'exec-1' }, lambdaContext)).resolves.toEqual({
      more: true,
      status: 'committed',
      seq: 3,
      quarantined: 2,
    });
  });

  it('switches dimensions through the Glue catalog of the stage', async () => {
    transform.mockResolvedValue(committed);

    await handler({}, lambdaContext);

    const deps = transform.mock.calls[0]?.[0];
    expect(deps.catalog).toBeInstanceOf(GlueCatalog);
    expect(deps.lake).toBe(lake);
  });

  it('sizes DuckDB to the function and works in a fresh /tmp folder it removes afterwards', async () => {
    transform.mockResolvedValue(committed);

    await handler({}, lambdaContext);

    const deps = transform.mock.calls[0]?.[0];
    expect(deps).toEqual(expect.objectContaining({ memoryLimit: '2457MB', threads: 2 }));
    expect(deps.workDir).toMatch(/^\/tmp\/transform-/);
    expect(existsSync(deps.workDir)).toBe(false);
  });

  it('rethrows a failure for the state machine to retry', async () => {
    transform.mockRejectedValue(new Error('disk full'));

    await expect(handler({}, lambdaContext)).rejects.toThrow('disk full');
  });
});
