import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Properties of {@link WarehouseDatabase}. */
export interface WarehouseDatabaseProps {
  readonly vpc: ec2.IVpc;
  /** Private subnets without internet access. */
  readonly subnets: ec2.SubnetSelection;
  /** RDS instance identifier, fixed so its log group can be created (with retention) before it. */
  readonly instanceIdentifier: string;
  /** Secrets Manager endpoint the rotation function reaches the API through (no internet here). */
  readonly secretsEndpoint: ec2.IInterfaceVpcEndpoint;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Key for the database storage, its snapshots and its credentials secret.
   * @default a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * RDS instance class and size.
   * @default t4g.micro
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * A standby in a second AZ (production).
   * @default false
   */
  readonly multiAz?: boolean;
  /** @default 20 */
  readonly allocatedStorageGiB?: number;
  /** @default 7 */
  readonly backupRetentionDays?: number;
  /**
   * Days between automatic rotations of the administrator password.
   * @default 30
   */
  readonly rotationDays?: number;
  /**
   * What `cdk destroy` does to the database: RETAIN keeps it, SNAPSHOT keeps a final snapshot,
   * DESTROY deletes it. Deletion protection is on unless DESTROY.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Name of the warehouse database.
   * @default 'warehouse'
   */
  readonly databaseName?: string;
}
