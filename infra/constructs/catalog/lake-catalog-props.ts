import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/** Properties of {@link LakeCatalog}. */
export interface LakeCatalogProps {
  /** Glue database name (see `glueDatabaseName`). */
  readonly databaseName: string;
  /** Bucket of the raw zone: its lake root is the bucket root. */
  readonly rawBucket: s3.IBucket;
  /** Bucket of the curated zone: its lake root is the bucket root. */
  readonly curatedBucket: s3.IBucket;
  /**
   * What `cdk destroy` does to the database (tables follow it). The catalog holds no data and
   * the stack recreates it from the schema, so it is deleted: a retained database with its
   * fixed name would make redeploying a destroyed stage fail.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}
