import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'node-sql-parser';
import { type NamedQuery, readNamedQueries } from '../../../app/analytics/named-queries';
import { warehouseTables } from '../../../lambdas/kernel/schema';

const guide = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'analyst-guide.md'), 'utf8');

/** The ```sql blocks of the guide. */
const guideSqlBlocks = (): string[] =>
  [...guide.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] as string);

const paramsText = (q: NamedQuery): string =>
  q.parameters.map((p) => `\`${p.name}\` ${p.type}`).join(', ') || '—';

describe('docs/analyst-guide.md', () => {
  it.each(warehouseTables.map((t) => [t.name, t] as const))('documents every column of %s', (name, table) => {
    const section = new RegExp(`### \`${name}\`[\\s\\S]*?(?=\\n### |\\n## )`).exec(guide)?.[0] ?? '';
    const documented = [...section.matchAll(/^\| `([a-z0-9_]+)` +\| [^|]+\| [^|]+\| ([^|]*)\|$/gm)];
    expect(documented.map((m) => m[1])).toEqual(table.columns.map((c) => c.name));
    expect(documented.filter((m) => (m[2] ?? '').trim() === '').map((m) => m[1])).toEqual([]);
  });

  it('lists every named query', async () => {
    const rows = guide.split('\n').map((line) => line.replace(/ {2,}/g, ' '));
    for (const q of await readNamedQueries())
      expect(rows).toContain(`| \`${q.name}\` | ${q.question} | ${paramsText(q)} |`);
  });

  it('answers "last month\'s sales by country" for Athena and QuickSight', () => {
    const section = /## "What were last month's sales by country\?"([\s\S]*?)\n## /.exec(guide)?.[1] ?? '';
    expect(section).toMatch(/\*\*Athena\.\*\*/);
    expect(section).toMatch(/\*\*QuickSight\.\*\*/);
    expect(section).toContain('last_month_sales_by_country');
  });

  it('shows only SQL that Athena (Trino) parses', () => {
    const blocks = guideSqlBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const sql of blocks) expect(() => new Parser().astify(sql, { database: 'trino' })).not.toThrow();
  });
});
