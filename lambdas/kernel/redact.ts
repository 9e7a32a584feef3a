/**
 * Replaces the password of every URL in `text` with `***`. Used on anything that may end
 * up in a log line or an error message: connection errors often echo their URL.
 */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@/\s]*)@/gi, '$1***@');
}
