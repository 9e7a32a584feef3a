import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { totes } from '../../faults/support/cli';
import { type CliWorkspace, createCliWorkspace, sql } from '../../support/cli-workspace';
import { readRaw } from '../../support/lake-reader';

/**
 * A table `totes run` cannot read (renamed away, SELECT not granted) is skipped while the
 * other tables go on; everything it missed must arrive once it is readable again.
 */
describe('totes run with a table it cannot read for a while', () => {
  let ws: CliWorkspace;

  beforeEach(async () => {
    ws = await createCliWorkspace('skipped');
  });

  afterEach(async () => {
    await ws.cleanup();
  });

  const lake = () => new LocalLakeStore(new URL(ws.env.LAKE_URL ?? '').pathname);

  it('delivers a change made while the table was renamed away, once it is back', async () => {
    expect((await totes(['run'], ws.env)).code).toBe(0);

    await sql(ws.source.url, 'ALTER TABLE design RENAME TO design_away');
    await sql(ws.source.url, "UPDATE design_away SET design_name = 'Granite' WHERE design_id = 1");
    const skipped = await totes(['run'], ws.env);
    expect(skipped.code).toBe(1);
    expect(skipped.stdout).toMatch(/design\s+0\s+0\s+0\s+source table design does not exist/);

    await sql(ws.source.url, 'ALTER TABLE design_away RENAME TO design');
    expect((await totes(['run'], ws.env)).code).toBe(0);
    expect((await totes(['run'], ws.env)).code).toBe(0);

    const raw = await readRaw(lake(), 'design');
    expect(raw.map((r) => r.design_name)).toEqual(['Wooden', 'Granite']);
    expect(await sql(ws.warehouse.url, 'SELECT design_name FROM dim_design WHERE design_id = 1')).toEqual([
      { design_name: 'Granite' },
    ]);
    const verify = await totes(['verify'], ws.env);
    expect(verify.stdout).toContain('verified: source, raw, lake and warehouse agree');
    expect(verify.code).toBe(0);
  });

  it('captures every payment of a role that could not read payment until SELECT was granted', async () => {
    const role = `no_payment_${Date.now()}`;
    await sql(ws.source.url, `CREATE ROLE ${role} LOGIN PASSWORD 'reader-pw'`);
    try {
      await sql(ws.source.url, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
      await sql(ws.source.url, `REVOKE SELECT ON payment FROM ${role}`);
      const url = new URL(ws.source.url);
      url.username = role;
      url.password = 'reader-pw';
      const env = { ...ws.env, TOTESYS_URL: url.toString() };

      const skipped = await totes(['run'], env);
      expect(skipped.code).toBe(1);
      expect(skipped.stdout).toMatch(/payment\s+0\s+0\s+0\s+source table payment/);
      await sql(
        ws.source.url,
        `INSERT INTO payment (created_at, last_updated, transaction_id, counterparty_id, payment_amount, currency_id,
                              payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number)
         VALUES (now(), now(), 3, 1, 10.00, 1, 1, true, '2022-11-05', 1, 2)`,
      );
      expect((await totes(['run'], env)).code).toBe(1);

      await sql(ws.source.url, `GRANT SELECT ON payment TO ${role}`);
      const granted = await totes(['run'], env);
      expect(granted.stdout).toMatch(/payment\s+2\s+0\s+0/);
      expect(granted.code).toBe(0);
      expect(await sql(ws.warehouse.url, 'SELECT payment_id FROM fact_payment ORDER BY payment_id')).toEqual([
        { payment_id: 1 },
        { payment_id: 2 },
      ]);
      expect((await totes(['verify'], env)).code).toBe(0);
    } finally {
      await sql(ws.source.url, `DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });
});
