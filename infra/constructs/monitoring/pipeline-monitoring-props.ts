import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** Properties of {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  /**
   * Address the alerts are e-mailed to (the recipient must confirm the subscription).
   * @default - no subscription; subscribe to the topic by other means
   */
  readonly alertEmail?: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** What {@link PipelineMonitoring.watchPipeline} alarms on. */
export interface WatchedPipeline {
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly stateMachine: sfn.IStateMachine;
  /** CloudWatch namespace of the load function's Powertools metrics. */
  readonly metricsNamespace: string;
  /** Powertools service name of the load function (the `service` dimension). */
  readonly loadService: string;
  /** Alarm when no load has succeeded for this long. */
  readonly freshness: Duration;
}
