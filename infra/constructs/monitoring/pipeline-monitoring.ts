import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { STAGE_METRICS } from '../../../lambdas/kernel/aws/stage-metrics';
import type { PipelineMonitoringProps, WatchedPipeline } from './pipeline-monitoring-props';

/**
 * Alerting: an encrypted, TLS-only SNS topic (e-mailed when an address is given) and the
 * CloudWatch alarms that publish to it — stage errors, failed or timed-out executions, counts
 * that must stay at zero (skipped tables, quarantined rows, failed compactions) and data
 * freshness (no successful load for longer than the promise).
 */
export class PipelineMonitoring extends Construct {
  public readonly topic: sns.Topic;
  public readonly key: kms.Key;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'totesys lake alerts topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms publish as the service itself, which needs the key to encrypt.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Alerts', {
      displayName: 'totesys lake alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.alertEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
  }

  /** Adds the pipeline's alarms, each notifying the topic when it fires. */
  watchPipeline(pipeline: WatchedPipeline): void {
    for (const [stage, fn] of Object.entries(pipeline.functions)) {
      this.alarm(
        `${stage}-errors`,
        `The ${stage} function failed`,
        fn.metricErrors({ period: Duration.minutes(5) }),
      );
    }
    this.alarm(
      'executions-failed',
      'A pipeline execution failed',
      pipeline.stateMachine.metricFailed({ period: Duration.minutes(5) }),
    );
    this.alarm(
      'executions-timed-out',
      'A pipeline execution timed out',
      pipeline.stateMachine.metricTimedOut({ period: Duration.minutes(5) }),
    );
    for (const watched of pipeline.stageMetrics ?? []) {
      this.alarm(
        watched.id,
        watched.description,
        new cloudwatch.Metric({
          namespace: pipeline.metricsNamespace,
          metricName: watched.metricName,
          dimensionsMap: { service: watched.service },
          statistic: cloudwatch.Stats.SUM,
          period: Duration.minutes(5),
        }),
      );
    }
    const loads = new cloudwatch.Metric({
      namespace: pipeline.metricsNamespace,
      metricName: STAGE_METRICS.loadSucceeded,
      dimensionsMap: { service: pipeline.loadService },
      statistic: cloudwatch.Stats.SUM,
      period: pipeline.freshness,
    });
    this.alarms.push(
      new cloudwatch.Alarm(this, 'data-stale', {
        alarmDescription: `No load succeeded in the last ${pipeline.freshness.toMinutes()} minutes: the warehouse and Athena are stale`,
        metric: loads,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No data at all means no load ran: that is exactly the staleness to report.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    );
    this.notify(this.alarms[this.alarms.length - 1]);
  }

  private alarm(id: string, description: string, metric: cloudwatch.IMetric): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms.push(alarm);
    this.notify(alarm);
  }

  private notify(alarm: cloudwatch.Alarm | undefined): void {
    if (!alarm) return;
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
  }
}
