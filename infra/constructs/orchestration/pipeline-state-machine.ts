import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { PipelineStateMachineProps } from './pipeline-state-machine-props';

/**
 * One pipeline run as a Step Functions state machine, started on an EventBridge schedule:
 *
 * 1. `CheckOverlap` lists the machine's RUNNING executions; when another one is running this
 *    run ends at once (`SkipOverlappingRun`), so two runs never work at the same time. Two runs
 *    started in the same instant both see each other and both skip — safe, the next tick runs.
 * 2. `Ingest`, then `Transform` while it answers `more: true`, then `Load` while it answers
 *    `more: true`, then `Compact` over the batches the last `Load` reported loaded
 *    (`lastLoadedSeq`). States pass the stages' small results, never data.
 * 3. Every task retries with exponential backoff and jitter (the stages are idempotent:
 *    at-least-once delivery, deduplicated downstream); a final failure — a failed compaction
 *    too — publishes the error to the alert topic and fails the execution (alarmed).
 */
export class PipelineStateMachine extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly schedule: events.Rule;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    const ownArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: props.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const notifyFailure = new tasks.SnsPublish(this, 'NotifyFailure', {
      topic: props.alertTopic,
      subject: 'totesys lake pipeline run failed',
      message: sfn.TaskInput.fromJsonPathAt(
        "States.Format('Execution {} failed: {} {}', $$.Execution.Id, $.error.Error, $.error.Cause)",
      ),
      resultPath: sfn.JsonPath.DISCARD,
    }).next(new sfn.Fail(this, 'RunFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }));

    const stage = (
      id: string,
      fn: lambda.IFunction,
      resultSelector: Record<string, string>,
      input: Record<string, unknown> = {},
    ) => {
      const task = new tasks.LambdaInvoke(this, id, {
        lambdaFunction: fn,
        payload: sfn.TaskInput.fromObject({
          executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
          ...input,
        }),
        resultSelector,
        resultPath: `$.${id.toLowerCase()}`,
        retryOnServiceExceptions: true,
      });
      task.addRetry({
        errors: [sfn.Errors.ALL],
        interval: Duration.seconds(30),
        backoffRate: 2,
        maxAttempts: 2,
        maxDelay: Duration.minutes(5),
        jitterStrategy: sfn.JitterType.FULL,
      });
      task.addCatch(notifyFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      return task;
    };

    const checkOverlap = new tasks.CallAwsService(this, 'CheckOverlap', {
      service: 'sfn',
      action: 'listExecutions',
      iamAction: 'states:ListExecutions',
      iamResources: [ownArn],
      parameters: {
        StateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'),
        StatusFilter: 'RUNNING',
        MaxResults: 2,
      },
      resultSelector: { 'running.$': 'States.ArrayLength($.Executions)' },
      resultPath: '$.overlap',
    });
    checkOverlap.addCatch(notifyFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const ingest = stage('Ingest', props.ingest, {
      'runId.$': '$.Payload.runId',
      'seq.$': '$.Payload.seq',
      'changed.$': '$.Payload.changed',
    });
    const transform = stage('Transform', props.transform, { 'more.$': '$.Payload.more' });
    const load = stage('Load', props.load, {
      'more.$': '$.Payload.more',
      'lastLoadedSeq.$': '$.Payload.lastLoadedSeq',
    });
    const compact = stage(
      'Compact',
      props.compact,
      {
        'seq.$': '$.Payload.seq',
        'partitions.$': '$.Payload.partitions',
        'filesReplaced.$': '$.Payload.filesReplaced',
      },
      { loadedSeq: sfn.JsonPath.numberAt('$.load.lastLoadedSeq') },
    );
    const done = new sfn.Succeed(this, 'RunComplete');

    const definition = checkOverlap.next(
      new sfn.Choice(this, 'AnotherRunActive')
        .when(
          sfn.Condition.numberGreaterThan('$.overlap.running', 1),
          new sfn.Succeed(this, 'SkipOverlappingRun'),
        )
        .otherwise(
          ingest
            .next(transform)
            .next(
              new sfn.Choice(this, 'MoreToTransform')
                .when(sfn.Condition.booleanEquals('$.transform.more', true), transform)
                .otherwise(
                  load.next(
                    new sfn.Choice(this, 'MoreToLoad')
                      .when(sfn.Condition.booleanEquals('$.load.more', true), load)
                      .otherwise(compact.next(done)),
                  ),
                ),
            ),
        ),
    );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: props.timeout ?? Duration.hours(6),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    // The SnsPublish task grants sns:Publish only; an encrypted topic also needs its key.
    props.alertTopic.grantPublish(this.stateMachine);

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Starts a totesys lake pipeline run',
      schedule: events.Schedule.rate(Duration.minutes(props.scheduleMinutes ?? 5)),
      targets: [new targets.SfnStateMachine(this.stateMachine)],
    });
  }
}
