import type { Logger } from '@aws-lambda-powertools/logger';
import type { Log } from '../logger';
import { redact } from '../redact';

/**
 * The pipeline's {@link Log} over a Powertools `Logger`, so the logic logs the same way in the
 * Lambda as in the CLI. Messages are redacted: connection errors echo their URL.
 */
export function powertoolsLog(logger: Logger): Log {
  const emit =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, extra?: Record<string, unknown>): void => {
      if (extra) logger[level](redact(message), extra);
      else logger[level](redact(message));
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
