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
  /** CloudWatch namespace of the stage functions' Powertools metrics. */
  readonly metricsNamespace: string;
  /** Powertools service name of the load function (the `service` dimension). */
  readonly loadService: string;
  /** Alarm when no load has succeeded for this long. */
  readonly freshness: Duration;
  /**
   * Stage metrics that must stay at zero: each alarms when its sum over 5 minutes reaches 1.
   * @default - none
   */
  readonly stageMetrics?: readonly StageMetricAlarm[];
}

/** An alarm on a count a stage function publishes (namespace of {@link WatchedPipeline}). */
export interface StageMetricAlarm {
  /** Alarm construct id and name part, e.g. `tables-skipped`. */
  readonly id: string;
  readonly description: string;
  readonly metricName: string;
  /** Powertools service name of the publishing function (the `service` dimension). */
  readonly service: string;
}
