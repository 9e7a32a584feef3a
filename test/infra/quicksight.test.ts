import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Client } from 'pg';
import { starDataset } from '../../infra/constructs/quicksight/warehouse-data-source';
import { silentLog } from '../../lambdas/kernel/logger';
import { factTables, warehouseTable } from '../../lambdas/kernel/schema';
import { migrate } from '../../lambdas/load/migrate';
import { createTestDatabase } from '../support/pg';
import { synthesize } from './synth';

let template: Template;

beforeAll(() => {
  ({ template } = synthesize({
    quicksight: true,
    quicksightPrincipalArn: 'arn:aws:quicksight:eu-west-2:111122223333:group/default/analysts',
  }));
});

describe('QuickSight on the warehouse', () => {
  it('connects to PostgreSQL through a VPC connection with TLS on', () => {
    template.hasResourceProperties('AWS::QuickSight::DataSource', {
      Type: 'POSTGRESQL',
      SslProperties: { DisableSsl: false },
      VpcConnectionProperties: { VpcConnectionArn: Match.anyValue() },
      Credentials: { SecretArn: Match.anyValue() },
    });
    template.resourceCountIs('AWS::QuickSight::VPCConnection', 1);
  });

  it('publishes one direct-query dataset per star', () => {
    template.resourceCountIs('AWS::QuickSight::DataSet', factTables.length);
    template.hasResourceProperties('AWS::QuickSight::DataSet', {
      ImportMode: 'DIRECT_QUERY',
      Permissions: [
        Match.objectLike({ Principal: 'arn:aws:quicksight:eu-west-2:111122223333:group/default/analysts' }),
      ],
    });
  });
});

describe('starDataset', () => {
  it('names each dimension column after the reference it came through', () => {
    const { columns } = starDataset(warehouseTable('fact_sales_order'));
    expect(columns.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'sales_record_id',
        'unit_price',
        'sales_staff_first_name',
        'design_design_name',
      ]),
    );
  });

  it('renders time of day as text, which QuickSight can read', () => {
    const { sql, columns } = starDataset(warehouseTable('fact_sales_order'));
    expect(sql).toContain('f."created_time"::text');
    expect(columns.find((c) => c.name === 'created_time')?.type).toBe('STRING');
  });

  it('runs on the migrated warehouse and returns exactly the declared columns', async () => {
    const db = await createTestDatabase('qs');
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await migrate({ warehouse: client, log: silentLog });
      for (const fact of factTables) {
        const { sql, columns } = starDataset(fact);
        const result = await client.query(`${sql} LIMIT 0`);
        expect(result.fields.map((f) => f.name)).toEqual(columns.map((c) => c.name));
      }
    } finally {
      await client.end();
      await db.drop();
    }
  });
});
