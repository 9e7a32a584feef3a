import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, types } from 'pg';
import { type LocalAthena, openLocalAthena } from '../../app/analytics/local-athena';
import { bindParameters, findNamedQuery, readNamedQueries } from '../../app/analytics/named-queries';
import { warehouseAnswers } from '../integration/analytics/warehouse-answers';
import { type SeededPipeline, seededPipeline } from './seeded-pipeline';

type Row = Record<string, string>;

/** Values compared as text: numbers canonical, times and timestamps without trailing zero digits. */
function normalise(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  const text = String(value);
  if (/^-?\d+(\.\d+)?$/.test(text)) return String(Number(text));
  if (/\d{2}:\d{2}:\d{2}\.\d+$/.test(text)) return text.replace(/\.?0+$/, '');
  return text;
}

const AS_OF = '2024-11-15';
/** Parameter values for each query that takes some. */
const PARAMS: Readonly<Record<string, readonly string[]>> = {
  payments_due_and_overdue: [AS_OF],
  unpaid_payments_ageing: [AS_OF],
  last_month_sales_by_country: [AS_OF],
  sales_order_history: ['2'],
};

/**
 * Every named query run on local Athena over the curated lake of a seeded totesys, each answer
 * checked against the source or the warehouse. One suite for both data sets: generated
 * (`test/integration/analytics/`) and the real exports (`test/real/analytics/`).
 */
export function describeNamedQueries(title: string, seed: Parameters<typeof seededPipeline>[0]): void {
  describe(title, () => {
    let pipeline: SeededPipeline;
    let units2: number;
    let athena: LocalAthena;
    let warehouse: Client;
    let deletedOrderId: number;

    const ask = async (name: string, params: readonly string[] = PARAMS[name] ?? []): Promise<Row[]> => {
      const result = await athena.runQuery(bindParameters(await findNamedQuery(name), params));
      return result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c, normalise(r[i])])));
    };
    const sourceOne = async (sql: string, params: unknown[] = []): Promise<Row> => {
      const { rows } = await pipeline.source.query(sql, params);
      return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, normalise(v)]));
    };
    const total = (rows: readonly Row[], column: string): number =>
      rows.reduce((sum, r) => sum + Number(r[column]), 0);
    const cents = (rows: readonly Row[], column: string): number =>
      rows.reduce((sum, r) => sum + Math.round(Number(r[column]) * 100), 0);

    beforeAll(async () => {
      pipeline = await seededPipeline(seed);
      units2 = Number(
        (await sourceOne('SELECT units_sold FROM sales_order WHERE sales_order_id = 2')).units_sold,
      );
      // A second, small run gives the facts some history: an order changed in place (last_updated
      // untouched, as totesys does) and an order deleted.
      await pipeline.source.query(
        'UPDATE sales_order SET units_sold = units_sold + 1000 WHERE sales_order_id = 2',
      );
      const { rows } = await pipeline.source.query<{ id: number }>(
        'DELETE FROM sales_order WHERE sales_order_id = (SELECT max(sales_order_id) FROM sales_order) RETURNING sales_order_id AS id',
      );
      deletedOrderId = rows[0]?.id as number;
      await pipeline.rerun();
      athena = await openLocalAthena(pipeline.lake, { catalog: pipeline.catalog });
      // Dates, times and timestamps as PostgreSQL prints them, not as JS Dates in the local zone.
      warehouse = new Client({
        connectionString: pipeline.warehouseUrl,
        types: {
          getTypeParser: ((oid: number, format?: string) =>
            [1082, 1083, 1114, 1184].includes(oid)
              ? (v: string) => v
              : types.getTypeParser(oid, format as 'text')) as typeof types.getTypeParser,
        },
      });
      await warehouse.connect();
    });

    afterAll(async () => {
      athena?.close();
      await warehouse?.end();
      await pipeline?.cleanup();
    });

    it('sales_by_month: sums every current order of the source, in 3 currencies, to the cent', async () => {
      const rows = await ask('sales_by_month');
      const source = await sourceOne(
        'SELECT count(*) AS orders, sum(units_sold) AS units, sum(units_sold * unit_price) AS value FROM sales_order',
      );
      expect(new Set(rows.map((r) => r.currency_code))).toEqual(new Set(['GBP', 'USD', 'EUR']));
      expect(total(rows, 'orders')).toBe(Number(source.orders));
      expect(total(rows, 'units_sold')).toBe(Number(source.units));
      expect(cents(rows, 'sales_value')).toBe(Math.round(Number(source.value) * 100));
      expect(rows[0]?.month).toBe('2022-11-01');
      expect(rows.every((r) => /^\d{4}-\d{2}-01$/.test(r.month as string))).toBe(true);
    });

    it('top_designs: ten designs per currency, ranked by sales value as the source ranks them', async () => {
      const rows = await ask('top_designs');
      const { rows: expected } = await pipeline.source.query(
        `SELECT s.design_id, d.design_name, sum(s.units_sold * s.unit_price) AS value
         FROM sales_order s JOIN design d USING (design_id) JOIN currency c USING (currency_id)
        WHERE c.currency_code = 'GBP'
        GROUP BY s.design_id, d.design_name ORDER BY value DESC, s.design_id LIMIT 10`,
      );
      expect(rows).toHaveLength(30);
      expect(
        rows
          .filter((r) => r.currency_code === 'GBP')
          .map((r) => [r.sales_rank, r.design_id, r.design_name, r.sales_value]),
      ).toEqual(
        expected.map((e, i) => [String(i + 1), String(e.design_id), e.design_name, normalise(e.value)]),
      );
    });

    it('top_counterparties: five per currency, biggest buyer first', async () => {
      const rows = await ask('top_counterparties');
      expect(rows).toHaveLength(15);
      for (const currency of ['EUR', 'GBP', 'USD']) {
        const values = rows.filter((r) => r.currency_code === currency).map((r) => Number(r.sales_value));
        expect(values).toEqual([...values].sort((a, b) => b - a));
      }
      const best = await sourceOne(
        `SELECT sum(s.units_sold * s.unit_price) AS value FROM sales_order s JOIN currency c USING (currency_id)
        WHERE c.currency_code = 'GBP' GROUP BY s.counterparty_id ORDER BY value DESC LIMIT 1`,
      );
      expect(rows.find((r) => r.currency_code === 'GBP' && r.sales_rank === '1')?.sales_value).toBe(
        best.value,
      );
    });

    it('sales_by_delivery_location: every order lands in a country and city of the address table', async () => {
      const rows = await ask('sales_by_delivery_location');
      const source = await sourceOne(
        'SELECT count(*) AS orders, sum(units_sold * unit_price) AS value FROM sales_order',
      );
      expect(total(rows, 'orders')).toBe(Number(source.orders));
      expect(cents(rows, 'sales_value')).toBe(Math.round(Number(source.value) * 100));
      const { rows: countries } = await pipeline.source.query('SELECT DISTINCT country FROM address');
      const known = new Set(countries.map((c) => c.country));
      expect(rows.every((r) => known.has(r.delivery_country))).toBe(true);
    });

    it('staff_performance: the orders of each staff member, as the source counts them', async () => {
      const rows = await ask('staff_performance');
      const { rows: expected } = await pipeline.source.query(
        `SELECT st.first_name || ' ' || st.last_name AS name, count(*) AS orders
         FROM sales_order s JOIN staff st ON st.staff_id = s.staff_id GROUP BY 1`,
      );
      const byName = new Map<string, number>();
      for (const r of rows)
        byName.set(r.staff_name as string, (byName.get(r.staff_name as string) ?? 0) + Number(r.orders));
      expect(byName).toEqual(new Map(expected.map((e) => [e.name, Number(e.orders)])));
      expect(rows.every((r) => Number(r.counterparties) <= 20)).toBe(true);
    });

    it('purchase_spend_by_supplier_item: total spend and quantity equal the source purchase orders', async () => {
      const rows = await ask('purchase_spend_by_supplier_item');
      const source = await sourceOne(
        'SELECT count(*) AS orders, sum(item_quantity) AS quantity, sum(item_quantity * item_unit_price) AS spend FROM purchase_order',
      );
      expect(total(rows, 'purchase_orders')).toBe(Number(source.orders));
      expect(total(rows, 'item_quantity')).toBe(Number(source.quantity));
      expect(cents(rows, 'spend')).toBe(Math.round(Number(source.spend) * 100));
    });

    it('payments_due_and_overdue: unpaid payments split at the as-of date, amounts to the cent', async () => {
      const rows = await ask('payments_due_and_overdue');
      const source = await sourceOne(
        `SELECT count(*) AS unpaid,
              sum(payment_amount) FILTER (WHERE payment_date::date < $1) AS overdue,
              sum(payment_amount) FILTER (WHERE payment_date::date >= $1) AS due
         FROM payment WHERE NOT paid`,
        [AS_OF],
      );
      expect(total(rows, 'payments')).toBe(Number(source.unpaid));
      expect(
        cents(
          rows.filter((r) => r.status === 'overdue'),
          'amount',
        ),
      ).toBe(Math.round(Number(source.overdue) * 100));
      expect(
        cents(
          rows.filter((r) => r.status === 'due'),
          'amount',
        ),
      ).toBe(Math.round(Number(source.due) * 100));
      expect(
        rows.filter((r) => r.status === 'due').every((r) => (r.oldest_payment_date as string) >= AS_OF),
      ).toBe(true);
      const earlier = await ask('payments_due_and_overdue', ['2000-01-01']);
      expect(earlier.every((r) => r.status === 'due')).toBe(true);
    });

    it('unpaid_payments_ageing: the unpaid amount split into ageing buckets, overdue ones as the source ages them', async () => {
      const rows = await ask('unpaid_payments_ageing');
      const source = await sourceOne(
        `SELECT sum(payment_amount) AS unpaid,
              sum(payment_amount) FILTER (WHERE $1::date - payment_date::date > 90) AS old
         FROM payment WHERE NOT paid`,
        [AS_OF],
      );
      expect(cents(rows, 'amount')).toBe(Math.round(Number(source.unpaid) * 100));
      expect(
        cents(
          rows.filter((r) => r.ageing_bucket === 'over 90 days overdue'),
          'amount',
        ),
      ).toBe(Math.round(Number(source.old ?? 0) * 100));
      expect(new Set(rows.map((r) => `${r.bucket_order} ${r.ageing_bucket}`)).size).toBeLessThanOrEqual(5);
    });

    it('days_order_to_payment: the average days from a sale to its paid payment, as the source computes it', async () => {
      const rows = await ask('days_order_to_payment');
      const sale = await sourceOne(
        `SELECT count(*) AS payments, round(avg(p.payment_date::date - s.created_at::date), 2) AS avg_days
         FROM payment p JOIN transaction t USING (transaction_id)
         JOIN sales_order s ON s.sales_order_id = t.sales_order_id WHERE p.paid`,
      );
      const saleRow = rows.find((r) => r.transaction_type === 'SALE');
      expect(saleRow?.payments).toBe(sale.payments);
      expect(Number(saleRow?.avg_days)).toBeCloseTo(Number(sale.avg_days), 2);
      expect(rows.map((r) => r.transaction_type)).toEqual(['PURCHASE', 'SALE']);
    });

    it('sales_order_history: both versions of the order changed in place, oldest first', async () => {
      const rows = await ask('sales_order_history', ['2']);
      expect(rows.map((r) => [r.version, r.is_deleted, r.units_sold])).toEqual([
        ['1', 'false', String(units2)],
        ['2', 'false', String(units2 + 1000)],
      ]);
      expect(rows[0]?.last_updated_date).toBe(rows[1]?.last_updated_date);
      const deleted = await ask('sales_order_history', [String(deletedOrderId)]);
      expect(deleted.map((r) => r.is_deleted)).toEqual(['false', 'true']);
      expect(await ask('sales_order_history', ['999999'])).toEqual([]);
    });

    it('current_vs_history_counts: history holds every version, the current state the source', async () => {
      const rows = await ask('current_vs_history_counts');
      const sales = rows.find((r) => r.fact_table === 'fact_sales_order');
      const source = await sourceOne('SELECT count(*) AS n FROM sales_order');
      expect(sales).toEqual({
        fact_table: 'fact_sales_order',
        history_rows: String(Number(source.n) + 1 + 2),
        source_ids: String(Number(source.n) + 1),
        current_rows: source.n,
        deleted_ids: '1',
        changed_ids: '2',
      });
      for (const r of rows) expect(Number(r.source_ids)).toBe(Number(r.current_rows) + Number(r.deleted_ids));
      expect(rows.map((r) => r.fact_table)).toEqual([
        'fact_payment',
        'fact_purchase_order',
        'fact_sales_order',
      ]);
    });

    it("last_month_sales_by_country: October 2024's sales when asked on 15 November 2024", async () => {
      const rows = await ask('last_month_sales_by_country');
      const source = await sourceOne(
        `SELECT count(*) AS orders, sum(units_sold * unit_price) AS value FROM sales_order
        WHERE created_at >= '2024-10-01' AND created_at < '2024-11-01'`,
      );
      expect(new Set(rows.map((r) => r.month))).toEqual(new Set(['2024-10-01']));
      expect(total(rows, 'orders')).toBe(Number(source.orders));
      expect(cents(rows, 'sales_value')).toBe(Math.round(Number(source.value) * 100));
      expect(Number(source.orders)).toBeGreaterThan(100);
    });

    it("gives the analyst guide's hand-written Athena answer to last month's sales by country", async () => {
      const guide = readFileSync(join(__dirname, '..', '..', 'docs', 'analyst-guide.md'), 'utf8');
      const section = /## "What were last month's sales by country\?"([\s\S]*?)\n## /.exec(guide)?.[1] ?? '';
      const sql = /```sql\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
      const result = await athena.runQuery(sql);
      const fromGuide = result.rows
        .map((r) => `${r[0]} ${r[1]} ${normalise(r[2])} ${normalise(r[3])}`)
        .sort();
      const named = (await ask('last_month_sales_by_country')).map(
        (r) => `${r.delivery_country} ${r.currency_code} ${r.orders} ${r.sales_value}`,
      );
      expect(fromGuide).toEqual(named.sort());
    });

    it('gives the same answer as the warehouse views QuickSight reads, for every named query', async () => {
      const queries = await readNamedQueries();
      expect(Object.keys(warehouseAnswers).sort()).toEqual(queries.map((q) => q.name).sort());
      for (const query of queries) {
        const params = PARAMS[query.name] ?? [];
        const lake = await athena.runQuery(bindParameters(query, params));
        const pg = await warehouse.query({
          text: warehouseAnswers[query.name] as string,
          values: [...params],
          rowMode: 'array',
        });
        const asText = (rows: readonly (readonly unknown[])[]) =>
          rows.map((r) => r.map(normalise).join(' | ')).sort();
        expect({ query: query.name, columns: pg.fields.map((f) => f.name) }).toEqual({
          query: query.name,
          columns: lake.columns,
        });
        expect({ query: query.name, rows: asText(pg.rows) }).toEqual({
          query: query.name,
          rows: asText(lake.rows),
        });
      }
    });
  });
}
