import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';

/** Properties of {@link PipelineStateMachine}. */
export interface PipelineStateMachineProps {
  /**
   * State machine name. Fixed (not generated) because the machine checks its own running
   * executions, and its role can only name its ARN without a dependency cycle if the name is known.
   */
  readonly stateMachineName: string;
  readonly ingest: lambda.IFunction;
  readonly transform: lambda.IFunction;
  readonly load: lambda.IFunction;
  /** Compacts the loaded fact files, after the last `Load` call (`lambdas/compact/handler.ts`). */
  readonly compact: lambda.IFunction;
  /** Where a failed run is reported; the machine may publish to it and use its KMS key. */
  readonly alertTopic: sns.ITopic;
  /**
   * Minutes between scheduled runs.
   * @default 5
   */
  readonly scheduleMinutes?: number;
  /**
   * Longest a run may take, loops included (a first run catching up on history takes longest).
   * @default Duration.hours(6)
   */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}
