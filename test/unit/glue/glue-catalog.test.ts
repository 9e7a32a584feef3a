import {
  ConcurrentModificationException,
  EntityNotFoundException,
  GetTableCommand,
  GlueClient,
  type Table,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { CatalogConflictError, CatalogError } from '../../../lambdas/kernel/catalog/errors';
import { GlueCatalog } from '../../../lambdas/kernel/catalog/glue-catalog';

const glue = mockClient(GlueClient);
const catalog = new GlueCatalog(new GlueClient({ region: 'eu-west-2' }), {
  database: 'totesys_lake_test',
  bucket: 'curated-bucket',
});

const dimStaff = (location: string): Table => ({
  Name: 'dim_staff',
  DatabaseName: 'totesys_lake_test',
  CreateTime: new Date('2024-01-01T00:00:00Z'),
  VersionId: '7',
  TableType: 'EXTERNAL_TABLE',
  Parameters: { classification: 'parquet' },
  StorageDescriptor: {
    Location: location,
    Columns: [{ Name: 'staff_id', Type: 'int' }],
    SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
  },
});

beforeEach(() => glue.reset());

describe('GlueCatalog.switchDimension', () => {
  it('points the table at the snapshot folder in the curated bucket', async () => {
    glue
      .on(GetTableCommand)
      .resolves({ Table: dimStaff('s3://curated-bucket/curated/dim_staff/snapshot=a/') });
    glue.on(UpdateTableCommand).resolves({});

    await catalog.switchDimension('dim_staff', 'curated/dim_staff/snapshot=b/');

    const update = glue.commandCalls(UpdateTableCommand)[0]?.args[0].input;
    expect(update?.TableInput?.StorageDescriptor?.Location).toBe(
      's3://curated-bucket/curated/dim_staff/snapshot=b/',
    );
  });

  it('keeps the columns, serde and parameters of the table it switches', async () => {
    glue
      .on(GetTableCommand)
      .resolves({ Table: dimStaff('s3://curated-bucket/curated/dim_staff/snapshot=a/') });
    glue.on(UpdateTableCommand).resolves({});

    await catalog.switchDimension('dim_staff', 'curated/dim_staff/snapshot=b/');

    const input = glue.commandCalls(UpdateTableCommand)[0]?.args[0].input.TableInput;
    expect(input?.StorageDescriptor?.Columns).toEqual([{ Name: 'staff_id', Type: 'int' }]);
    expect(input?.StorageDescriptor?.SerdeInfo?.SerializationLibrary).toContain('ParquetHiveSerDe');
    expect(input?.Parameters).toEqual({ classification: 'parquet' });
  });

  it('sends none of the read-only fields UpdateTable rejects', async () => {
    glue
      .on(GetTableCommand)
      .resolves({ Table: dimStaff('s3://curated-bucket/curated/dim_staff/snapshot=a/') });
    glue.on(UpdateTableCommand).resolves({});

    await catalog.switchDimension('dim_staff', 'curated/dim_staff/snapshot=b/');

    const input = glue.commandCalls(UpdateTableCommand)[0]?.args[0].input.TableInput ?? {};
    expect(input).not.toHaveProperty('CreateTime');
    expect(input).not.toHaveProperty('DatabaseName');
    expect(input).not.toHaveProperty('VersionId');
  });

  it('guards the update with the version it read and skips archiving a table version', async () => {
    glue
      .on(GetTableCommand)
      .resolves({ Table: dimStaff('s3://curated-bucket/curated/dim_staff/snapshot=a/') });
    glue.on(UpdateTableCommand).resolves({});

    await catalog.switchDimension('dim_staff', 'curated/dim_staff/snapshot=b/');

    const call = glue.commandCalls(UpdateTableCommand)[0]?.args[0].input;
    expect(call).toMatchObject({ DatabaseName: 'totesys_lake_test', VersionId: '7', SkipArchive: true });
  });

  it('does not update a table that already points at the snapshot', async () => {
    glue
      .on(GetTableCommand)
      .resolves({ Table: dimStaff('s3://curated-bucket/curated/dim_staff/snapshot=b/') });

    await catalog.switchDimension('dim_staff', 'curated/dim_staff/snapshot=b/');

    expect(glue.commandCalls(UpdateTableCommand)).toHaveLength(0);
  });

  it('maps lake keys under the lake prefix to S3 keys under the same prefix', async () => {
    const prefixed = new GlueCatalog(new GlueClient({ region: 'eu-west-2' }), {
      database: 'totesys_lake_test',
      bucket: 'curated-bucket',
      prefix: 'lake/',
    });
    glue
      .on(GetTableCommand)
      .resolves({ Table: dimStaff('s3://curated-bucket/lake/curated/dim_staff/snapshot=a/') });
    glue.on(UpdateTableCommand).resolves({});

    await prefixed.switchDimension('dim_staff', 'curated/dim_staff/snapshot=b/');

    expect(
      glue.commandCalls(UpdateTableCommand)[0]?.args[0].input.TableInput?.StorageDescriptor?.Location,
    ).toBe('s3://curated-bucket/lake/curated/dim_staff/snapshot=b/');
  });

  it('reports a concurrent change as a conflict naming the table', async () => {
    glue
      .on(GetTableCommand)
      .resolves({ Table: dimStaff('s3://curated-bucket/curated/dim_staff/snapshot=a/') });
    glue
      .on(UpdateTableCommand)
      .rejects(new ConcurrentModificationException({ message: 'version mismatch', $metadata: {} }));

    await expect(catalog.switchDimension('dim_staff', 'curated/dim_staff/snapshot=b/')).rejects.toThrow(
      CatalogConflictError,
    );
  });

  it('tells the operator to deploy when the table does not exist', async () => {
    glue.on(GetTableCommand).rejects(new EntityNotFoundException({ message: 'not found', $metadata: {} }));

    await expect(catalog.switchDimension('dim_staff', 'curated/dim_staff/snapshot=b/')).rejects.toThrow(
      /totesys_lake_test\.dim_staff does not exist; deploy the stack/,
    );
  });

  it('rejects a prefix that is not a folder key', async () => {
    await expect(catalog.switchDimension('dim_staff', 'curated/dim_staff/snapshot=b')).rejects.toThrow(
      CatalogError,
    );
    expect(glue.commandCalls(GetTableCommand)).toHaveLength(0);
  });

  it('keeps the original error as the cause of a refused update', async () => {
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    glue
      .on(GetTableCommand)
      .resolves({ Table: dimStaff('s3://curated-bucket/curated/dim_staff/snapshot=a/') });
    glue.on(UpdateTableCommand).rejects(denied);

    const error = await catalog.switchDimension('dim_staff', 'curated/dim_staff/snapshot=b/').catch((e) => e);

    expect(error).toBeInstanceOf(CatalogError);
    expect(error.message).toMatch(/AccessDeniedException/);
    expect(error.cause).toBe(denied);
  });
});

describe('GlueCatalog.currentDimension', () => {
  it('returns the snapshot folder as a lake key', async () => {
    glue
      .on(GetTableCommand)
      .resolves({ Table: dimStaff('s3://curated-bucket/curated/dim_staff/snapshot=a/') });

    await expect(catalog.currentDimension('dim_staff')).resolves.toBe('curated/dim_staff/snapshot=a/');
  });

  it('returns undefined while the table still points at the unpublished placeholder', async () => {
    glue.on(GetTableCommand).resolves({
      Table: dimStaff('s3://curated-bucket/curated/dim_staff/snapshot=unpublished/'),
    });

    await expect(catalog.currentDimension('dim_staff')).resolves.toBeUndefined();
  });

  it('refuses a location outside the lake', async () => {
    glue.on(GetTableCommand).resolves({ Table: dimStaff('s3://elsewhere/dim_staff/') });

    await expect(catalog.currentDimension('dim_staff')).rejects.toThrow(/outside the lake/);
  });
});
