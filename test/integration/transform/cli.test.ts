import { Command } from 'commander';
import { register as registerTransform } from '../../../bin/commands/transform';
import { generatedRow, generatedRows, referenceSources } from '../../support/generated-source';
import { inserts, RawFixture } from '../../support/raw-fixtures';

describe('totes transform', () => {
  const saved = { ...process.env };
  let fx: RawFixture;
  let output: string;

  beforeEach(async () => {
    fx = await RawFixture.create();
    // Database URLs are set so the environment does not start the embedded PostgreSQL.
    process.env.LAKE_URL = `file://${fx.lake.root}`;
    process.env.TOTESYS_URL = 'postgres://u:p@127.0.0.1:1/totesys';
    process.env.WAREHOUSE_URL = 'postgres://u:p@127.0.0.1:1/warehouse';
    output = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output += String(chunk);
      return true;
    });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    process.env = { ...saved };
    await fx.cleanup();
  });

  async function totes(...args: string[]): Promise<string> {
    const program = new Command().exitOverride();
    registerTransform(program);
    await program.parseAsync(['node', 'totes', 'transform', ...args]);
    return output;
  }

  it('transforms every waiting ingest run in batches and prints rows per table', async () => {
    await fx.commitRun(Object.fromEntries(referenceSources.map((t) => [t, inserts(generatedRows(t))])));
    await fx.commitRun({ sales_order: inserts([generatedRow('sales_order', 2)]) });
    await fx.commitRun({
      sales_order: [
        {
          op: 'c',
          row: { ...generatedRow('sales_order', 3), sales_order_id: 9 },
          raw: { agreed_payment_date: 'soon' },
        },
      ],
    });
    const text = await totes('--max-runs', '2');
    expect(text).toMatch(/^committed transform batches 1–2 \(ingest runs 1–3\)\n/);
    expect(text).toMatch(/^fact_sales_order\s+1\s+new versions$/m);
    expect(text).toMatch(
      new RegExp(`^dim_design\\s+${generatedRows('design').length}\\s+snapshot rows$`, 'm'),
    );
    expect(text).toMatch(/^sales_order\s+invalid_date\s+agreed_payment_date\s+1$/m);
  });

  it('prints the batch results as JSON with --json, and says when it is up to date', async () => {
    await fx.commitRun({ currency: inserts(generatedRows('currency')) });
    const results = JSON.parse(await totes('--json')) as {
      status: string;
      dimensions: Record<string, number>;
    }[];
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'committed', dimensions: { dim_currency: 3 } });
    output = '';
    expect(await totes()).toBe('curated zone is up to date (batch 1, ingest run 1)\n');
  });
});
