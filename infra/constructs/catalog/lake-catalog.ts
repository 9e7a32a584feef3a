import { Arn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  curatedTableDefinitions,
  currentViewDefinitions,
  type GlueTableDefinition,
  type GlueViewDefinition,
  prestoViewOriginalText,
  rawTableDefinitions,
} from '../../../lambdas/kernel/catalog/definitions';
import type { LakeCatalogProps } from './lake-catalog-props';

/**
 * The Glue database of the lake, every table generated from the schema module through
 * `lambdas/kernel/catalog/definitions.ts` — no crawlers, no hand-typed columns. Raw tables read
 * the JSON lines (OpenX SerDe) partitioned by `ingest_date`; curated facts are Parquet
 * partitioned by `dt`; both partitions are projected by Athena (type date, `yyyy-MM-dd`, from
 * 2022-11-01 to NOW), so a new day is queryable without any catalog call. Curated dimensions
 * are unpartitioned; the transform points each at its newest snapshot (`GlueCatalog`).
 *
 * A redeploy that changes a dimension's definition resets its location to the placeholder
 * until the next transform that changes it; see docs/deploy.md.
 */
export class LakeCatalog extends Construct {
  public readonly database: glue.Database;
  /** Raw tables by source table name (e.g. `sales_order`). */
  public readonly rawTables: ReadonlyMap<string, glue.S3Table>;
  /** Curated tables by star-schema name (e.g. `fact_sales_order`). */
  public readonly curatedTables: ReadonlyMap<string, glue.S3Table>;
  /** Athena views by name (`fact_sales_order_current`…): the current state of each fact. */
  public readonly currentViews: ReadonlyMap<string, glue.CfnTable>;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    this.database = new glue.Database(this, 'Database', {
      databaseName: props.databaseName,
      description: 'totesys lake: raw change records and the curated star schema',
      // It holds no data (tables describe the buckets) and has a fixed name: kept after a
      // destroy, it would make the next deploy of the stage fail with "already exists".
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    const table = (definition: GlueTableDefinition, bucket: s3.IBucket): [string, glue.S3Table] => [
      definition.name,
      this.table(definition, bucket),
    ];
    this.rawTables = new Map(
      rawTableDefinitions().map((d) => [d.name.replace(/^raw_/, ''), this.table(d, props.rawBucket)]),
    );
    this.curatedTables = new Map(curatedTableDefinitions().map((d) => table(d, props.curatedBucket)));
    this.currentViews = new Map(
      currentViewDefinitions().map((v) => [v.name, this.view(v, props.databaseName)]),
    );
  }

  /** A Glue table Athena reads as a view, encoded as Athena's own `CREATE VIEW` writes it. */
  private view(definition: GlueViewDefinition, databaseName: string): glue.CfnTable {
    const view = new glue.CfnTable(this, definition.name, {
      catalogId: Stack.of(this).account,
      databaseName: this.database.databaseName,
      tableInput: {
        name: definition.name,
        description: definition.description,
        tableType: 'VIRTUAL_VIEW',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: prestoViewOriginalText(definition, databaseName),
        viewExpandedText: '/* Presto View */',
        storageDescriptor: {
          columns: definition.columns.map((c) => ({
            name: c.name,
            type: c.type,
            ...(c.comment ? { comment: c.comment } : {}),
          })),
        },
      },
    });
    view.node.addDependency(this.database);
    return view;
  }

  /**
   * Lets `grantee` switch curated dimensions to new snapshots: `glue:GetTable` and
   * `glue:UpdateTable` on this database's dimension tables only.
   */
  grantSwitchDimensions(grantee: iam.IGrantable): iam.Grant {
    const dimensions = curatedTableDefinitions().filter((d) => d.partitionKeys.length === 0);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['glue:GetTable', 'glue:UpdateTable'],
      resourceArns: [
        this.database.catalog.catalogArn,
        this.database.databaseArn,
        ...dimensions.map((d) => this.tableArn(d.name)),
      ],
    });
  }

  private tableArn(name: string): string {
    return Arn.format(
      { service: 'glue', resource: 'table', resourceName: `${this.database.databaseName}/${name}` },
      Stack.of(this),
    );
  }

  private table(definition: GlueTableDefinition, bucket: s3.IBucket): glue.S3Table {
    const json = definition.format === 'json';
    return new glue.S3Table(this, definition.name, {
      database: this.database,
      tableName: definition.name,
      description: definition.description,
      storage: glue.S3TableStorage.fromBucket(bucket),
      s3Prefix: definition.prefix,
      dataFormat: json ? glue.DataFormat.JSON : glue.DataFormat.PARQUET,
      compressed: json,
      // The data is SSE-KMS: S3 decrypts it. `true` would tell Athena it is client-side encrypted.
      hasEncryptedData: false,
      columns: definition.columns.map(glueColumn),
      partitionKeys: definition.partitionKeys.map(glueColumn),
      ...(definition.partitionKeys.length > 0
        ? {
            partitionProjection: Object.fromEntries(
              definition.partitionKeys.map((p) => [
                p.name,
                glue.PartitionProjectionConfiguration.date({
                  format: p.projection.format,
                  min: p.projection.min,
                  max: p.projection.max,
                  ...(p.projection.step
                    ? {
                        step: {
                          interval: p.projection.step.interval,
                          intervalUnit: glue.DateIntervalUnit[p.projection.step.unit],
                        },
                      }
                    : {}),
                }),
              ]),
            ),
          }
        : {}),
    });
  }
}

const glueColumn = (column: { name: string; type: string; comment?: string }): glue.Column => ({
  name: column.name,
  type: glue.Schema.custom(column.type),
  ...(column.comment ? { comment: column.comment } : {}),
});
