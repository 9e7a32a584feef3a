import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { RemoteLakeQueryError } from '../../../app/analytics/errors';
import { type LocalAthena, openLocalAthena } from '../../../app/analytics/local-athena';
import { register as registerQuery } from '../../../bin/commands/query';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { duckdbType, warehouseTables } from '../../../lambdas/kernel/schema';
import { generatedRow, generatedRows, referenceSources } from '../../support/generated-source';
import { inserts, RawFixture } from '../../support/raw-fixtures';
import { runTransform } from './helpers';

const at = (minute: number) => new Date(Date.UTC(2024, 10, 16, 9, minute, 0, 0));
const order = (id: number) => generatedRow('sales_order', id);
const units = (id: number) => Number(order(id).units_sold);
/** The department of staff member 1. */
const department = generatedRow('department', Number(generatedRow('staff', 1).department_id));

async function objects(athena: LocalAthena, sql: string): Promise<Record<string, unknown>[]> {
  const { columns, rows } = await athena.runQuery(sql);
  return rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
}

describe('local Athena over the lake', () => {
  let fx: RawFixture;
  let athena: LocalAthena;

  beforeAll(async () => {
    fx = await RawFixture.create();
    await fx.commitRun(
      {
        ...Object.fromEntries(referenceSources.map((t) => [t, inserts(generatedRows(t))])),
        sales_order: inserts([2, 3, 4].map(order)),
      },
      at(0),
    );
    await runTransform(fx);
    await fx.commitRun(
      {
        sales_order: [
          { op: 'u', row: { ...order(2), units_sold: 1 } },
          { op: 'd', row: { sales_order_id: 4 } },
        ],
        department: [{ op: 'u', row: { ...department, department_name: 'Procurement' } }],
      },
      at(1),
    );
    await runTransform(fx);
    athena = await openLocalAthena(fx.lake);
  });

  afterAll(async () => {
    athena.close();
    await fx.cleanup();
  });

  it('has one view per star-schema table plus the current state of each fact', () => {
    expect([...athena.views].sort()).toEqual(
      [
        ...warehouseTables.map((t) => t.name),
        'fact_payment_current',
        'fact_purchase_order_current',
        'fact_sales_order_current',
      ].sort(),
    );
  });

  it.each(warehouseTables.map((t) => [t.name, t] as const))(
    'types the columns of %s from the schema',
    async (name, table) => {
      const described = await objects(athena, `DESCRIBE ${name}`);
      const expected = table.columns.map((c) => [c.name, duckdbType(c.type)]);
      if (table.kind === 'fact') expected.push(['dt', 'DATE']);
      expect(described.map((c) => [c.column_name, c.column_type])).toEqual(expected);
    },
  );

  it('reads every version of every fact across the dt partitions', async () => {
    const rows = await objects(
      athena,
      'SELECT sales_order_id, units_sold, is_deleted FROM fact_sales_order ORDER BY sales_order_id, observed_at',
    );
    expect(rows.map((r) => [r.sales_order_id, r.units_sold, r.is_deleted])).toEqual([
      [2, units(2), false],
      [2, 1, false],
      [3, units(3), false],
      [4, units(4), false],
      [4, units(4), true],
    ]);
  });

  it('reads only the partitions Athena projects: a file left under a month partition is not seen', async () => {
    const [key] = await (async () => {
      const keys: string[] = [];
      for await (const k of fx.lake.list('curated/fact_sales_order/')) keys.push(k);
      return keys;
    })();
    const stray = String(key).replace(/dt=(\d{4})-01-01\//, 'dt=$1-11-01/');
    expect(stray).not.toBe(key);
    await fx.lake.copy(String(key), stray);
    const again = await openLocalAthena(fx.lake);
    try {
      const count = async (a: LocalAthena) =>
        Number((await objects(a, 'SELECT count(*) AS n FROM fact_sales_order'))[0]?.n);
      expect(await count(again)).toBe(await count(athena));
    } finally {
      again.close();
      await fx.lake.delete(stray);
    }
  });

  it('shows the latest version of each live row in the current view, without deleted rows', async () => {
    const rows = await objects(
      athena,
      'SELECT sales_order_id, units_sold FROM fact_sales_order_current ORDER BY 1',
    );
    expect(rows).toEqual([
      { sales_order_id: 2, units_sold: 1 },
      { sales_order_id: 3, units_sold: units(3) },
    ]);
  });

  it('reads the dimension snapshot the catalog points at', async () => {
    const [staff] = await objects(
      athena,
      'SELECT department_name, count(*) OVER () AS n FROM dim_staff WHERE staff_id = 1',
    );
    expect(staff).toEqual({ department_name: 'Procurement', n: '1' });
    const [{ n } = {}] = await objects(athena, 'SELECT count(*) AS n FROM dim_staff');
    expect(Number(n)).toBe(20);
  });

  it('answers a star join like an analyst would write it', async () => {
    const rows = await objects(
      athena,
      `SELECT c.currency_name, sum(f.units_sold * f.unit_price) AS revenue
       FROM fact_sales_order_current f JOIN dim_currency c USING (currency_id) GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => typeof r.currency_name === 'string')).toBe(true);
  });

  it('gives an empty lake empty views with the right columns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'totes-empty-'));
    const empty = await openLocalAthena(new LocalLakeStore(dir));
    try {
      expect(await objects(empty, 'SELECT count(*) AS n FROM fact_payment')).toEqual([{ n: '0' }]);
      expect(await objects(empty, 'SELECT count(*) AS n FROM dim_date')).toEqual([{ n: '0' }]);
      const described = await objects(empty, 'DESCRIBE fact_payment');
      expect(described.find((c) => c.column_name === 'payment_amount')?.column_type).toBe('DECIMAL(10,2)');
    } finally {
      empty.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a remote lake with a message that says what to do', async () => {
    const remote = { url: 's3://bucket/lake', localPath: () => undefined } as unknown as LakeStore;
    await expect(openLocalAthena(remote)).rejects.toThrow(RemoteLakeQueryError);
    await expect(openLocalAthena(remote)).rejects.toThrow(/Athena|LAKE_URL=file/);
  });

  describe('totes query', () => {
    const saved = { ...process.env };
    let output: string;

    beforeEach(() => {
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

    afterEach(() => {
      jest.restoreAllMocks();
      process.env = { ...saved };
    });

    async function totes(...args: string[]): Promise<string> {
      const program = new Command().exitOverride();
      registerQuery(program);
      await program.parseAsync(['node', 'totes', 'query', ...args]);
      return output;
    }

    it('prints an aligned table with a row count', async () => {
      const text = await totes('SELECT sales_order_id, units_sold FROM fact_sales_order_current ORDER BY 1');
      expect(text.split('\n')).toEqual([
        'sales_order_id  units_sold',
        '--------------  ----------',
        '2               1',
        `3               ${units(3)}`,
        '(2 rows)',
        '',
      ]);
    });

    it('prints JSON objects with --json', async () => {
      const text = await totes(
        'SELECT sales_order_id, unit_price FROM fact_sales_order_current ORDER BY 1',
        '--json',
      );
      expect(JSON.parse(text)).toEqual([
        { sales_order_id: 2, unit_price: order(2).unit_price },
        { sales_order_id: 3, unit_price: order(3).unit_price },
      ]);
    });

    it('prints CSV with --csv, quoting where needed', async () => {
      const text = await totes(`SELECT 'a,b' AS x, NULL AS y, 'say "hi"' AS z`, '--csv');
      expect(text).toBe('x,y,z\n"a,b",,"say ""hi"""\n');
    });

    it('runs the SQL of a file', async () => {
      const file = join(fx.dir, 'count.sql');
      await writeFile(file, '-- orders\nSELECT count(*) AS orders FROM fact_sales_order;\n');
      // Counts are JSON numbers (the CLI's one --json typing), not strings.
      expect(JSON.parse(await totes(file, '--json'))).toEqual([{ orders: 5 }]);
    });
  });
});
