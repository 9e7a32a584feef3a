import type { Template } from 'aws-cdk-lib/assertions';
import { currentViewQuery, currentViews } from '../../lambdas/kernel/catalog/current-views';
import { glueDatabaseName } from '../../lambdas/kernel/catalog/definitions';
import { synthesize } from './synth';

let template: Template;

beforeAll(() => {
  ({ template } = synthesize());
});

interface ViewInput {
  Name: string;
  TableType: string;
  Parameters: Record<string, string>;
  ViewOriginalText: string;
  ViewExpandedText: string;
  StorageDescriptor: { Columns: { Name: string; Type: string }[] };
}

const views = (): ViewInput[] =>
  Object.values(template.findResources('AWS::Glue::Table'))
    .map((t) => t.Properties.TableInput as ViewInput)
    .filter((t) => t.TableType === 'VIRTUAL_VIEW');

/** The JSON Athena reads from a view's `/* Presto View: … *\/` text. */
function decode(text: string): {
  originalSql: string;
  catalog: string;
  schema: string;
  columns: { name: string; type: string }[];
} {
  const base64 = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(text)?.[1];
  if (!base64) throw new Error(`not a Presto view text: ${text.slice(0, 40)}`);
  return JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
}

describe('current-state views in the Glue catalog', () => {
  it('declares one Athena view per fact, named <fact>_current', () => {
    expect(
      views()
        .map((v) => v.Name)
        .sort(),
    ).toEqual(
      currentViews()
        .map((v) => v.name)
        .sort(),
    );
    for (const view of views()) {
      expect(view.Parameters).toEqual({ presto_view: 'true', comment: 'Presto View' });
      expect(view.ViewExpandedText).toBe('/* Presto View */');
    }
  });

  it("encodes each view's SQL, database and Trino column types as Athena does", () => {
    for (const def of currentViews()) {
      const view = views().find((v) => v.Name === def.name);
      const encoded = decode(view?.ViewOriginalText ?? '');
      expect(encoded).toMatchObject({
        originalSql: currentViewQuery(def),
        catalog: 'awsdatacatalog',
        schema: glueDatabaseName('test'),
      });
      expect(encoded.columns.map((c) => c.name)).toEqual(view?.StorageDescriptor.Columns.map((c) => c.Name));
    }
  });

  it('gives the sales view its sale_value and the Hive and Trino spellings of each type', () => {
    const sales = views().find((v) => v.Name === 'fact_sales_order_current');
    const columns = decode(sales?.ViewOriginalText ?? '').columns;
    expect(columns).toContainEqual({ name: 'sale_value', type: 'decimal(18,2)' });
    expect(columns).toContainEqual({ name: 'sales_order_id', type: 'integer' });
    expect(columns).toContainEqual({ name: 'created_time', type: 'varchar' });
    expect(columns.map((c) => c.name)).not.toContain('is_deleted');
    expect(sales?.StorageDescriptor.Columns).toContainEqual(
      expect.objectContaining({ Name: 'sales_order_id', Type: 'int' }),
    );
  });
});
