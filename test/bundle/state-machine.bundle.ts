import { runStateMachine, StatesError, type TaskIntegration } from './support/state-machine';

const context = {
  Execution: { Id: 'arn:aws:states:eu-west-2:1:execution:sm:run-1' },
  StateMachine: { Id: 'arn:aws:states:eu-west-2:1:stateMachine:sm' },
};

/** A definition shaped like the pipeline's: a task, a loop on `more`, a catch to a notify task. */
const definition = {
  StartAt: 'Work',
  States: {
    Work: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'f', Payload: { 'executionId.$': '$$.Execution.Id' } },
      ResultSelector: { 'more.$': '$.Payload.more', 'n.$': '$.Payload.n' },
      ResultPath: '$.work',
      Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 30, MaxAttempts: 2, BackoffRate: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Notify' }],
      Next: 'More',
    },
    More: {
      Type: 'Choice',
      Choices: [{ Variable: '$.work.more', BooleanEquals: true, Next: 'Work' }],
      Default: 'Done',
    },
    Done: { Type: 'Succeed' },
    Notify: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: { 'Message.$': "States.Format('Execution {} failed: {}', $$.Execution.Id, $.error.Error)" },
      ResultPath: null,
      Next: 'Failed',
    },
    Failed: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
  },
};

function run(work: TaskIntegration, notify: TaskIntegration = async () => ({})) {
  return runStateMachine(
    definition,
    {},
    {
      context,
      integration: (r) =>
        r.endsWith('lambda:invoke') ? work : r.endsWith('sns:publish') ? notify : undefined,
    },
  );
}

describe('the bundle harness state machine interpreter', () => {
  it('passes each task’s selected result on and loops while it answers more', async () => {
    const payloads: unknown[] = [];
    let n = 0;
    const result = await run(async (p) => {
      payloads.push(p);
      n += 1;
      return { Payload: { more: n < 3, n } };
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ work: { more: false, n: 3 } });
    expect(payloads).toEqual(
      Array(3).fill({ FunctionName: 'f', Payload: { executionId: context.Execution.Id } }),
    );
  });

  it('retries a failing task MaxAttempts times, then catches into the failure path', async () => {
    let calls = 0;
    const messages: unknown[] = [];
    const result = await run(
      async () => {
        calls += 1;
        throw new StatesError('DatabaseUnavailableError', '{"errorMessage":"down"}');
      },
      async (p) => {
        messages.push(p);
        return {};
      },
    );
    expect(calls).toBe(3);
    expect(result.skippedRetryDelaySeconds).toBe(30 + 60);
    expect(messages).toEqual([
      { Message: `Execution ${context.Execution.Id} failed: DatabaseUnavailableError` },
    ]);
    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'DatabaseUnavailableError',
      cause: '{"errorMessage":"down"}',
    });
  });

  it('fails the execution with the notify task’s own error when the alert cannot be published', async () => {
    const result = await run(
      async () => {
        throw new StatesError('Boom', 'x');
      },
      async () => {
        throw new StatesError(
          'SNS.KMSAccessDeniedException',
          'not authorized to perform: kms:GenerateDataKey',
        );
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'SNS.KMSAccessDeniedException' });
  });

  it('stops a loop that never ends instead of running forever', async () => {
    const result = await runStateMachine(
      definition,
      {},
      { context, maxSteps: 20, integration: () => async () => ({ Payload: { more: true, n: 0 } }) },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'Harness.StepLimit' });
  });
});
