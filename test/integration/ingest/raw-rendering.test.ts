import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Client } from 'pg';
import { ingest } from '../../../lambdas/ingest/ingest';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { silentLog } from '../../../lambdas/kernel/logger';
import { type ColumnDef, ident, sourceTable } from '../../../lambdas/kernel/schema';
import { createTestDatabase } from '../../support/pg';
import { createTinySource } from '../../support/source-fixture';

/**
 * The raw objects are built client-side from COPY text; they must stay byte for byte what
 * PostgreSQL's own JSON rendering of the raw contract gives (`row_to_json` over the columns
 * typed as the contract wants), whatever the values and the session's settings.
 */
describe('ingest: raw rendering', () => {
  let db: { url: string; drop: () => Promise<void> };
  let source: Client;

  beforeAll(async () => {
    db = await createTestDatabase('rawrender');
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    await createTinySource(admin);
    const dbName = new URL(db.url).pathname.slice(1);
    // Settings a source may have: COPY's text depends on DateStyle, timestamptz on TimeZone.
    await admin.query(`ALTER DATABASE ${ident(dbName)} SET DateStyle = 'German, DMY'`);
    await admin.query(`ALTER DATABASE ${ident(dbName)} SET TimeZone = 'Pacific/Chatham'`);
    await admin.query('ALTER TABLE address ALTER COLUMN created_at TYPE timestamp(6)');
    await admin.query('ALTER TABLE address ALTER COLUMN last_updated TYPE timestamptz');
    await admin.query(
      `INSERT INTO address (address_line_1, address_line_2, district, city, postal_code, country, phone, created_at, last_updated)
       VALUES ($1, NULL, $2, 'Zürich ☃ 😀', '', ' ', 'x', '2024-05-05 01:02:03.456789', '2020-01-01 00:00:00.1+00'),
              ('bc', 'b', 'c', 'd', 'e', 'f', 'g', '0044-03-15 10:00:00.5 BC', 'infinity'),
              ('far', 'b', 'c', 'd', 'e', 'f', 'g', '10000-01-01 00:00:00', '-infinity')`,
      ['tab\there "quoted" back\\slash', 'nl\nline\rcr\bbs\fff\vvt\x01ctl\x7fdel \\N'],
    );
    await admin.query("ALTER TABLE staff ADD COLUMN nickname text DEFAULT E'q\"\\\\x\\n\\t'");
    await admin.end();
    source = new Client({ connectionString: db.url });
    await source.connect();
  });

  afterAll(async () => {
    await source.end();
    await db.drop();
  });

  /** PostgreSQL's rendering of a row under the raw contract: exact money text, millisecond timestamps. */
  function contractValue(column: ColumnDef): string {
    const ref = `t.${ident(column.name)}`;
    if (column.type === 'money') return `${ref}::text`;
    if (column.type === 'timestamp') return `to_char(${ref}, 'YYYY-MM-DD"T"HH24:MI:SS.MS')`;
    return ref;
  }

  async function serverRendering(tableName: string, extras: boolean): Promise<string[]> {
    const table = sourceTable(tableName);
    const typed = table.columns.map((c) => `${contractValue(c)} AS ${ident(c.name)}`).join(', ');
    const extra = extras ? `, (to_jsonb(t) - $1::text[])::text AS extra` : '';
    const { rows } = await source.query<{ doc: string; extra?: string }>(
      `SELECT row_to_json(x)::text AS doc${extra} FROM ${ident(table.name)} t CROSS JOIN LATERAL (SELECT ${typed}) x ORDER BY 1`,
      extras ? [table.columns.map((c) => c.name)] : [],
    );
    return rows.map((r) => {
      const members = r.extra && r.extra !== '{}' ? `,${r.extra.slice(1, -1)}` : '';
      return `${r.doc.slice(1, -1)}${members}`;
    });
  }

  it('writes every row exactly as row_to_json renders it, with the run members first', async () => {
    const lake = new LocalLakeStore(mkdtempSync(join(tmpdir(), 'totes-lake-')));
    const result = await ingest({ source, lake, log: silentLog, tables: ['address', 'staff', 'payment'] });
    for (const [table, extras] of [
      ['address', false],
      ['staff', true],
      ['payment', false],
    ] as const) {
      const key = result.tables.find((t) => t.table === table)?.key;
      if (!key) throw new Error(`no raw object for ${table}`);
      const object = await lake.get(key);
      const lines = gunzipSync(object?.body ?? Buffer.alloc(0))
        .toString('utf8')
        .trimEnd()
        .split('\n');
      const prefix = `{"_op":"c","_run_id":"${result.runId}","_extracted_at":"${result.extractedAt}",`;
      for (const line of lines) expect(line.startsWith(prefix) && line.endsWith('}')).toBe(true);
      const bodies = lines.map((l) => l.slice(prefix.length, -1)).sort();
      expect(bodies).toEqual((await serverRendering(table, extras)).sort());
    }
    const staff = result.tables.find((t) => t.table === 'staff');
    expect(staff?.extraColumns).toEqual(['nickname']);
  });

  it('captures the same changes whether it reads them by TID or by a second scan', async () => {
    const tables = ['address', 'payment'];
    const lakes = [0, 1].map(() => new LocalLakeStore(mkdtempSync(join(tmpdir(), 'totes-lake-'))));
    for (const lake of lakes) await ingest({ source, lake, log: silentLog, tables });
    await source.query("UPDATE address SET phone = 'changed' WHERE address_id % 2 = 0");
    await source.query('DELETE FROM payment WHERE payment_id = (SELECT min(payment_id) FROM payment)');
    await source.query(
      "INSERT INTO address (address_line_1, city, postal_code, country, phone, created_at, last_updated) VALUES ('new', 'c', 'p', 'k', 'x', now(), now())",
    );
    const captured = async (lake: LocalLakeStore, tidFetchLimit: number) => {
      const result = await ingest({ source, lake, log: silentLog, tables, tidFetchLimit });
      const lines: string[] = [];
      for (const table of result.tables) {
        const object = table.key ? await lake.get(table.key) : undefined;
        const text = gunzipSync(object?.body ?? Buffer.alloc(0)).toString('utf8');
        for (const line of text.split('\n').filter(Boolean)) {
          lines.push(
            `${table.table} ${line.replace(`"_run_id":"${result.runId}","_extracted_at":"${result.extractedAt}",`, '')}`,
          );
        }
      }
      return { lines: lines.sort(), tables: result.tables.map((t) => [t.table, t.ops]) };
    };
    const [lakeByTid, lakeByScan] = lakes as [LocalLakeStore, LocalLakeStore];
    const byTid = await captured(lakeByTid, 200_000);
    const byScan = await captured(lakeByScan, 0);
    expect(byTid).toEqual(byScan);
    expect(byTid.tables).toEqual([
      ['address', { c: 1, u: 2, d: 0 }],
      ['payment', { c: 0, u: 0, d: 1 }],
    ]);
  });
});
