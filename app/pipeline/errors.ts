import { TotesError } from '../../lambdas/kernel/errors';
import type { StageOutcome } from '../../lambdas/kernel/lake/documents/run-history';

/**
 * A pipeline run finished with at least one stage failed. Every stage that could run did (the
 * lake stays fresh when only the warehouse is away); `stages` says what each did, `partial`
 * holds the results of the stages that succeeded.
 */
export class PipelineFailedError extends TotesError {
  constructor(
    message: string,
    readonly stages: readonly StageOutcome[],
    readonly partial: Readonly<Record<string, unknown>>,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options);
  }
}
