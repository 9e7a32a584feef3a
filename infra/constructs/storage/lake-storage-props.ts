import type { RemovalPolicy } from 'aws-cdk-lib';

/** Properties of {@link LakeStorage}. */
export interface LakeStorageProps {
  /**
   * What `cdk destroy` does to the buckets and the key. `DESTROY` also empties the buckets.
   * @default RemovalPolicy.RETAIN — lake data outlives the stack
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Days before Athena query results are deleted.
   * @default 30
   */
  readonly athenaResultsExpiryDays?: number;
  /**
   * Days a replaced object version is kept (state and pointer objects are replaced on every run).
   * @default 90
   */
  readonly noncurrentVersionExpiryDays?: number;
  /**
   * Days before raw objects move to S3 Intelligent-Tiering (they are read once, then rarely).
   * @default 30
   */
  readonly rawTieringDays?: number;
  /**
   * Days server access logs are kept.
   * @default 365
   */
  readonly accessLogExpiryDays?: number;
}
