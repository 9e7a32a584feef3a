import { redact } from './redact';

/**
 * The narrow logging interface the pipeline logic depends on. Powertools' `Logger` (in the
 * Lambdas) satisfies it, and so does {@link JsonLogger} (in the CLI and tests).
 */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const levels: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured JSON lines to a stream (stderr by default), one object per event. */
export class JsonLogger implements Log {
  constructor(
    private readonly options: {
      level?: Level;
      write?: (line: string) => void;
      context?: Record<string, unknown>;
    } = {},
  ) {}

  /** A logger that adds `context` to every line. */
  child(context: Record<string, unknown>): JsonLogger {
    return new JsonLogger({ ...this.options, context: { ...this.options.context, ...context } });
  }

  debug(message: string, extra?: Record<string, unknown>): void {
    this.emit('debug', message, extra);
  }
  info(message: string, extra?: Record<string, unknown>): void {
    this.emit('info', message, extra);
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.emit('warn', message, extra);
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.emit('error', message, extra);
  }

  private emit(level: Level, message: string, extra?: Record<string, unknown>): void {
    if (levels[level] < levels[this.options.level ?? 'info']) return;
    const line = JSON.stringify(
      { level, timestamp: new Date().toISOString(), message, ...this.options.context, ...extra },
      (_key, value: unknown) =>
        value instanceof Error
          ? { name: value.name, message: value.message, cause: String(value.cause ?? '') }
          : value,
    );
    const write = this.options.write ?? ((l: string) => process.stderr.write(`${l}\n`));
    write(redact(line));
  }
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
