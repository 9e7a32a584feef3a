import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/** Properties of {@link AthenaWorkgroup}. */
export interface AthenaWorkgroupProps {
  /** Workgroup name. */
  readonly name: string;
  /** Glue database the named queries run against. */
  readonly databaseName: string;
  readonly resultsBucket: s3.IBucket;
  /** Key that encrypts query results (SSE-KMS). */
  readonly resultsKey: kms.IKey;
  /**
   * A query that would scan more than this many bytes is cancelled.
   * @default 1 GiB
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * Folder of `*.sql` files, each deployed as a named query (name = file name without `.sql`;
   * description = its first `-- ` comment line).
   * @default - no named queries
   */
  readonly queriesDir?: string;
  /**
   * What `cdk destroy` does to the workgroup (DESTROY also deletes its named queries and history;
   * query results stay in the results bucket).
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}
