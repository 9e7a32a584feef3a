/**
 * A small interpreter of the Amazon States Language: enough of it to run a synthesized
 * state machine the way Step Functions would — Task (through injected integrations), Choice,
 * Pass, Wait (without waiting), Succeed, Fail; InputPath, Parameters, ResultSelector,
 * ResultPath, OutputPath; Retry (counted, without the delays) and Catch; the context object
 * and the intrinsic functions the definitions use. Anything else fails loudly.
 */

/** A named error, as Step Functions passes it to Retry/Catch (`Error`, `Cause`). */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
    this.name = 'StatesError';
  }
}

/** Runs one Task state's work: its resolved parameters in, its result out (or a StatesError). */
export type TaskIntegration = (parameters: unknown, state: string) => Promise<unknown>;

/** One state entered (one attempt of a Task). */
export interface StepRecord {
  readonly state: string;
  readonly type: string;
  readonly attempt: number;
  readonly ms: number;
  readonly resource?: string;
  readonly error?: string;
  readonly cause?: string;
  /** The effective output (after ResultPath/OutputPath), for a step that succeeded. */
  readonly output?: unknown;
}

/** How an execution ended. */
export interface ExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly steps: readonly StepRecord[];
  /** Sum of the retry delays Step Functions would have waited (skipped here). */
  readonly skippedRetryDelaySeconds: number;
}

/** Options of {@link runStateMachine}. */
export interface RunOptions {
  /** The integration for a Task's `Resource` ARN. */
  readonly integration: (resource: string) => TaskIntegration | undefined;
  /** `$$`: the context object. */
  readonly context: {
    readonly Execution: Record<string, unknown>;
    readonly StateMachine: Record<string, unknown>;
  };
  /** A bound on states entered, so a loop that never ends fails instead. @default 2000 */
  readonly maxSteps?: number;
}

type Json = unknown;
interface State {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Resource?: string;
  readonly InputPath?: string | null;
  readonly OutputPath?: string | null;
  readonly ResultPath?: string | null;
  readonly Parameters?: Json;
  readonly ResultSelector?: Json;
  readonly Result?: Json;
  readonly Retry?: readonly {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    MaxAttempts?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
  }[];
  readonly Catch?: readonly { ErrorEquals: string[]; ResultPath?: string | null; Next: string }[];
  readonly Choices?: readonly Record<string, unknown>[];
  readonly Default?: string;
  readonly Error?: string;
  readonly Cause?: string;
  readonly ErrorPath?: string;
  readonly CausePath?: string;
}
interface Definition {
  readonly StartAt: string;
  readonly States: Record<string, State>;
}

/**
 * Runs `definition` on `input` to its end.
 *
 * @example
 * const result = await runStateMachine(JSON.parse(definitionString), {}, { integration, context });
 */
export async function runStateMachine(
  definition: Definition,
  input: Json,
  options: RunOptions,
): Promise<ExecutionResult> {
  const steps: StepRecord[] = [];
  let skipped = 0;
  let name: string | undefined = definition.StartAt;
  let data: Json = input;
  const maxSteps = options.maxSteps ?? 2000;
  while (name !== undefined) {
    if (steps.length >= maxSteps) {
      return {
        status: 'FAILED',
        error: 'Harness.StepLimit',
        cause: `more than ${maxSteps} states entered (a loop that never ends?)`,
        steps,
        skippedRetryDelaySeconds: skipped,
      };
    }
    const current: string = name;
    const state: State | undefined = definition.States[current];
    if (!state) throw new Error(`the state machine has no state ${current}`);
    const ctx = { ...options.context, State: { Name: current, EnteredTime: new Date().toISOString() } };
    const started = performance.now();
    const effective = applyPath(state.InputPath, data, ctx);
    switch (state.Type) {
      case 'Task': {
        const resource = String(state.Resource);
        const integration = options.integration(resource);
        if (!integration) throw new Error(`state ${current}: the harness has no integration for ${resource}`);
        const parameters =
          state.Parameters === undefined ? effective : template(state.Parameters, effective, ctx);
        const counts = new Map<number, number>();
        let attempt = 0;
        for (;;) {
          attempt += 1;
          const attemptStarted = performance.now();
          try {
            const result = await integration(parameters, current);
            const selected =
              state.ResultSelector === undefined ? result : template(state.ResultSelector, result, ctx);
            data = applyPath(state.OutputPath, applyResultPath(state.ResultPath, data, selected), ctx);
            steps.push({
              state: current,
              type: 'Task',
              attempt,
              resource,
              ms: performance.now() - attemptStarted,
              output: data,
            });
            name = state.End ? undefined : state.Next;
            break;
          } catch (thrown) {
            const e =
              thrown instanceof StatesError
                ? thrown
                : new StatesError(
                    'States.TaskFailed',
                    thrown instanceof Error ? thrown.message : String(thrown),
                  );
            steps.push({
              state: current,
              type: 'Task',
              attempt,
              resource,
              ms: performance.now() - attemptStarted,
              error: e.error,
              cause: e.cause,
            });
            const r = (state.Retry ?? []).findIndex((retrier) => errorMatches(retrier.ErrorEquals, e.error));
            const retrier = r >= 0 ? state.Retry?.[r] : undefined;
            const used = counts.get(r) ?? 0;
            if (retrier && used < (retrier.MaxAttempts ?? 3)) {
              counts.set(r, used + 1);
              const delay = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** used;
              skipped += Math.min(delay, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
              continue;
            }
            const catcher = (state.Catch ?? []).find((c) => errorMatches(c.ErrorEquals, e.error));
            if (!catcher)
              return {
                status: 'FAILED',
                error: e.error,
                cause: e.cause,
                steps,
                skippedRetryDelaySeconds: skipped,
              };
            data = applyResultPath(catcher.ResultPath === undefined ? '$' : catcher.ResultPath, data, {
              Error: e.error,
              Cause: e.cause,
            });
            name = catcher.Next;
            break;
          }
        }
        break;
      }
      case 'Choice': {
        let rule: Record<string, unknown> | undefined;
        try {
          rule = (state.Choices ?? []).find((c) => choiceHolds(c, effective));
        } catch (thrown) {
          if (!(thrown instanceof StatesError)) throw thrown;
          steps.push({
            state: name,
            type: 'Choice',
            attempt: 1,
            ms: performance.now() - started,
            error: thrown.error,
            cause: thrown.cause,
          });
          return {
            status: 'FAILED',
            error: thrown.error,
            cause: thrown.cause,
            steps,
            skippedRetryDelaySeconds: skipped,
          };
        }
        const next = rule ? String(rule.Next) : state.Default;
        steps.push({ state: name, type: 'Choice', attempt: 1, ms: performance.now() - started });
        if (next === undefined) {
          return {
            status: 'FAILED',
            error: 'States.NoChoiceMatched',
            cause: `no choice of ${name} matched`,
            steps,
            skippedRetryDelaySeconds: skipped,
          };
        }
        data = applyPath(state.OutputPath, effective, ctx);
        name = next;
        break;
      }
      case 'Pass':
      case 'Wait': {
        const result =
          state.Type === 'Pass'
            ? (state.Result ??
              (state.Parameters === undefined ? effective : template(state.Parameters, effective, ctx)))
            : effective;
        data = applyPath(
          state.OutputPath,
          state.Type === 'Pass' ? applyResultPath(state.ResultPath, data, result) : effective,
          ctx,
        );
        steps.push({ state: name, type: state.Type, attempt: 1, ms: performance.now() - started });
        name = state.End ? undefined : state.Next;
        break;
      }
      case 'Succeed':
        steps.push({ state: name, type: 'Succeed', attempt: 1, ms: performance.now() - started });
        return {
          status: 'SUCCEEDED',
          output: applyPath(state.OutputPath, effective, ctx),
          steps,
          skippedRetryDelaySeconds: skipped,
        };
      case 'Fail': {
        steps.push({ state: name, type: 'Fail', attempt: 1, ms: performance.now() - started });
        const error = state.ErrorPath ? String(getPath(state.ErrorPath, effective, ctx)) : state.Error;
        const cause = state.CausePath ? String(getPath(state.CausePath, effective, ctx)) : state.Cause;
        return {
          status: 'FAILED',
          error: error ?? 'States.Fail',
          cause: cause ?? '',
          steps,
          skippedRetryDelaySeconds: skipped,
        };
      }
      default:
        throw new Error(`state ${name}: the harness cannot run a ${state.Type} state`);
    }
  }
  return { status: 'SUCCEEDED', output: data, steps, skippedRetryDelaySeconds: skipped };
}

function errorMatches(names: readonly string[], error: string): boolean {
  return names.some((n) => n === error || (n === 'States.ALL' && error !== 'States.Runtime'));
}

type Ctx = Record<string, unknown>;

/** Reads a reference path (`$.a.b[0]`, `$$.Execution.Id`). */
export function getPath(path: string, data: Json, ctx: Ctx): Json {
  const fromContext = path.startsWith('$$');
  let value: Json = fromContext ? ctx : data;
  const rest = path.slice(fromContext ? 2 : 1);
  for (const m of rest.matchAll(/\.([^.[\]]+)|\[(\d+)\]|\['([^']+)'\]/g)) {
    const key = m[1] ?? m[3] ?? Number(m[2]);
    if (value === null || typeof value !== 'object' || !(key in (value as object))) {
      throw new StatesError('States.Runtime', `the JSONPath ${path} could not be found in the input`);
    }
    value = (value as Record<string | number, Json>)[key];
  }
  return value;
}

function applyPath(path: string | null | undefined, data: Json, ctx: Ctx): Json {
  if (path === null) return {};
  if (path === undefined || path === '$') return data;
  return getPath(path, data, ctx);
}

function applyResultPath(path: string | null | undefined, data: Json, result: Json): Json {
  if (path === null) return data;
  if (path === undefined || path === '$') return result;
  const keys = [...path.slice(1).matchAll(/\.([^.[\]]+)/g)].map((m) => String(m[1]));
  const root: Record<string, Json> =
    data !== null && typeof data === 'object' ? structuredClone(data as Record<string, Json>) : {};
  let at = root;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) at[key] = result;
    else {
      const next = at[key];
      at[key] = next !== null && typeof next === 'object' ? next : {};
      at = at[key] as Record<string, Json>;
    }
  });
  return root;
}

/** A payload template: `"key.$"` values are paths or intrinsic functions. */
function template(value: Json, data: Json, ctx: Ctx): Json {
  if (Array.isArray(value)) return value.map((v) => template(v, data, ctx));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(value as Record<string, Json>)) {
    if (k.endsWith('.$')) out[k.slice(0, -2)] = evaluate(String(v), data, ctx);
    else out[k] = template(v, data, ctx);
  }
  return out;
}

function evaluate(expression: string, data: Json, ctx: Ctx): Json {
  const e = expression.trim();
  if (e.startsWith('$')) return getPath(e, data, ctx);
  const call = /^(States\.[A-Za-z0-9]+)\(([\s\S]*)\)$/.exec(e);
  if (!call) throw new Error(`the harness cannot evaluate ${expression}`);
  const args = splitArguments(call[2] ?? '').map((a) => argument(a, data, ctx));
  return intrinsic(String(call[1]), args);
}

function argument(text: string, data: Json, ctx: Ctx): Json {
  const a = text.trim();
  if (a.startsWith("'")) return a.slice(1, -1).replace(/\\(.)/g, '$1');
  if (a.startsWith('$') || a.startsWith('States.')) return evaluate(a, data, ctx);
  if (a === 'true' || a === 'false') return a === 'true';
  if (a === 'null') return null;
  return Number(a);
}

function splitArguments(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quoted && c === '\\') {
      current += c + (text[++i] ?? '');
      continue;
    }
    if (c === "'") quoted = !quoted;
    if (!quoted && c === '(') depth++;
    if (!quoted && c === ')') depth--;
    if (!quoted && depth === 0 && c === ',') {
      args.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim()) args.push(current);
  return args;
}

function intrinsic(fn: string, args: Json[]): Json {
  switch (fn) {
    case 'States.Format': {
      let i = 1;
      return String(args[0]).replace(/\{\}/g, () => {
        const v = args[i++];
        return typeof v === 'string' ? v : JSON.stringify(v);
      });
    }
    case 'States.ArrayLength':
      return (args[0] as Json[]).length;
    case 'States.JsonToString':
      return JSON.stringify(args[0]);
    case 'States.StringToJson':
      return JSON.parse(String(args[0]));
    case 'States.Array':
      return args;
    case 'States.MathAdd':
      return Number(args[0]) + Number(args[1]);
    case 'States.ArrayGetItem':
      return (args[0] as Json[])[Number(args[1])];
    default:
      throw new Error(`the harness does not implement the intrinsic ${fn}`);
  }
}

const COMPARISONS: Readonly<Record<string, (a: Json, b: Json) => boolean>> = {
  StringEquals: (a, b) => typeof a === 'string' && a === b,
  StringMatches: (a, b) =>
    typeof a === 'string' &&
    new RegExp(
      `^${String(b)
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    ).test(a),
  NumericEquals: (a, b) => typeof a === 'number' && a === b,
  NumericGreaterThan: (a, b) => typeof a === 'number' && a > Number(b),
  NumericGreaterThanEquals: (a, b) => typeof a === 'number' && a >= Number(b),
  NumericLessThan: (a, b) => typeof a === 'number' && a < Number(b),
  NumericLessThanEquals: (a, b) => typeof a === 'number' && a <= Number(b),
  BooleanEquals: (a, b) => typeof a === 'boolean' && a === b,
  IsNull: (a, b) => (a === null) === b,
  IsBoolean: (a, b) => (typeof a === 'boolean') === b,
  IsNumeric: (a, b) => (typeof a === 'number') === b,
  IsString: (a, b) => (typeof a === 'string') === b,
};

function choiceHolds(rule: Record<string, unknown>, data: Json): boolean {
  if (Array.isArray(rule.And))
    return (rule.And as Record<string, unknown>[]).every((r) => choiceHolds(r, data));
  if (Array.isArray(rule.Or)) return (rule.Or as Record<string, unknown>[]).some((r) => choiceHolds(r, data));
  if (rule.Not) return !choiceHolds(rule.Not as Record<string, unknown>, data);
  const variable = String(rule.Variable);
  let present = true;
  let value: Json;
  try {
    value = getPath(variable, data, {});
  } catch {
    present = false;
  }
  if ('IsPresent' in rule) return present === rule.IsPresent;
  for (const [op, compareTo] of Object.entries(rule)) {
    if (op === 'Variable' || op === 'Next') continue;
    const isPath = op.endsWith('Path');
    const base = isPath ? op.slice(0, -4) : op;
    const compare = COMPARISONS[base];
    if (!compare) throw new Error(`the harness cannot evaluate the Choice operator ${op}`);
    // A missing variable is a runtime error in Step Functions.
    if (!present)
      throw new StatesError(
        'States.Runtime',
        `Invalid path '${variable}': the choice state's condition path references an invalid value`,
      );
    return compare(value, isPath ? getPath(String(compareTo), data, {}) : compareTo);
  }
  throw new Error(`a Choice rule without a comparison: ${JSON.stringify(rule)}`);
}
