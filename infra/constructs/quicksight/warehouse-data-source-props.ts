import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { WarehouseDatabase } from '../warehouse/warehouse-database';

/** Properties of {@link WarehouseDataSource}. */
export interface WarehouseDataSourceProps {
  readonly vpc: ec2.IVpc;
  /** Subnets for QuickSight's network interfaces (the warehouse's private subnets). */
  readonly subnets: ec2.SubnetSelection;
  readonly warehouse: WarehouseDatabase;
  /** QuickSight user or group ARN given ownership of the data source and datasets. */
  readonly principalArn: string;
  /** Prefix of the QuickSight ids and names, e.g. `totesys-lake-prod`. */
  readonly namePrefix: string;
  /**
   * PostgreSQL schema of the star tables.
   * @default 'public'
   */
  readonly schemaName?: string;
}
