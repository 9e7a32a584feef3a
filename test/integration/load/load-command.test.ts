import { Command } from 'commander';
import { Client } from 'pg';
import { register } from '../../../bin/commands/load';
import { baseDimensions, CuratedLakeFixture, salesOrder } from '../../support/curated-fixtures';
import { createTestDatabase } from '../../support/pg';

describe('totes load', () => {
  let db: { url: string; drop: () => Promise<void> };
  let fixture: CuratedLakeFixture;
  const saved = { ...process.env };

  beforeEach(async () => {
    db = await createTestDatabase('cli');
    fixture = await CuratedLakeFixture.create();
    process.env.WAREHOUSE_URL = db.url;
    process.env.TOTESYS_URL = db.url;
    process.env.LAKE_URL = fixture.lake.url;
    process.env.TOTES_HOME = fixture.workDir;
  });

  afterEach(async () => {
    process.env = { ...saved };
    await db.drop();
    await fixture.cleanup();
  });

  async function totesLoad(...args: string[]): Promise<string> {
    const out: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    try {
      const program = new Command().option('-v, --verbose').exitOverride();
      register(program);
      await program.parseAsync(['node', 'totes', 'load', ...args]);
    } finally {
      write.mockRestore();
    }
    return out.join('');
  }

  it('migrates a fresh warehouse, loads the batches and prints rows per table', async () => {
    await fixture.writeBatch({ dimensions: baseDimensions(), facts: { fact_sales_order: [salesOrder()] } });
    const text = await totesLoad();
    expect(text).toContain(
      'applied migrations: 001_star_schema.sql, 002_etl_ledger.sql, 003_current_views.sql',
    );
    expect(text).toContain('loaded batches 1 (now at 1 of 1)');
    expect(text).toMatch(/fact_sales_order\s+1\n/);
    expect(text).toMatch(/dim_date\s+4\n/);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await client.query('SELECT count(*)::int AS n FROM v_sales_current')).rows).toEqual([{ n: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('reports an up-to-date warehouse as JSON', async () => {
    await fixture.writeBatch({ dimensions: baseDimensions() });
    await totesLoad();
    const result = JSON.parse(await totesLoad('--json'));
    expect(result).toMatchObject({
      batches: [],
      lastLoadedSeq: 1,
      committedSeq: 1,
      migrations: { applied: [] },
    });
  });
});
