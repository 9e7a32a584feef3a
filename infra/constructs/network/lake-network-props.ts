import type { RemovalPolicy } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Properties of {@link LakeNetwork}. */
export interface LakeNetworkProps {
  /** AZs to use, named explicitly so synth needs no lookup. At least two (RDS subnet groups need two). */
  readonly availabilityZones: readonly string[];
  /**
   * VPC address range.
   * @default '10.40.0.0/16'
   */
  readonly cidr?: string;
  /**
   * How long VPC flow logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly flowLogRetention?: RetentionDays;
  /**
   * What `cdk destroy` does to the flow log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
