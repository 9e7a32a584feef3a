import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { PipelineStage, StageEnvironment } from '../../../lambdas/kernel/aws/lambda-env';

/** Properties of {@link PipelineFunction}. */
export interface PipelineFunctionProps<S extends PipelineStage = PipelineStage> {
  /** Pipeline stage the function runs; also names the handler file `lambdas/<stage>/handler.ts`. */
  readonly stage: S;
  /** Repository root: where `package-lock.json`, `lambdas/` and `node_modules/` are. */
  readonly projectRoot: string;
  readonly description: string;
  /**
   * Exactly the variables the stage's handler reads (`STAGE_ENVIRONMENT` in
   * `lambdas/kernel/aws/lambda-env.ts`): a missing or unknown one does not compile.
   */
  readonly environment: StageEnvironment<S>;
  /** @default 1024 */
  readonly memoryMiB?: number;
  /** @default Duration.minutes(15) */
  readonly timeout?: Duration;
  /** `/tmp` size. @default 512 */
  readonly ephemeralStorageMiB?: number;
  /** @default lambda.Architecture.X86_64 */
  readonly architecture?: lambda.Architecture;
  /**
   * Ship DuckDB's native binding with the bundle (transform and load run DuckDB).
   * @default false
   */
  readonly withDuckDb?: boolean;
  /**
   * VPC to run in (the load function, to reach the warehouse). Outside any VPC when unset.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Repository folders copied beside the bundle, e.g. `warehouse-sql` (read at run time
   * from `/var/task/<folder>`).
   * @default - none
   */
  readonly assetFolders?: readonly string[];
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What `cdk destroy` does to the log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** CloudWatch namespace of the Powertools metrics. @default METRICS_NAMESPACE ('TotesysLake') */
  readonly metricsNamespace?: string;
}
