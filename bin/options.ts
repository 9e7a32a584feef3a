import { InvalidArgumentError } from 'commander';

/**
 * Parsers of numeric option values. A value that is not of the form named throws commander's
 * InvalidArgumentError, which the CLI reports as a usage error (exit 2) naming the option.
 */

/** A whole number ≥ 0, e.g. `0`, `42`. */
export function wholeNumber(text: string): number {
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
    throw new InvalidArgumentError(`expected a whole number such as 42, got "${text}"`);
  }
  return Number(text);
}

/** A whole number ≥ 1. */
export function positiveInteger(text: string): number {
  const value = wholeNumber(text);
  if (value < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got "${text}"`);
  return value;
}

/** A number of seconds ≥ 0, fractions allowed (`0`, `30`, `2.5`). */
export function seconds(text: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`expected a number of seconds such as 30, got "${text}"`);
  }
  return value;
}
