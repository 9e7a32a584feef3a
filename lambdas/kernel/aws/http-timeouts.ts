/**
 * Bounds on every AWS SDK call the pipeline makes (S3, Glue, Secrets Manager), so an endpoint
 * that accepts a connection and then never answers fails the call instead of hanging the
 * stage until the Lambda is killed. The SDK retries a timed-out call (3 attempts in all).
 */
export interface AwsTimeouts {
  /** Opening the TCP (and TLS) connection. */
  readonly connectionTimeoutMs: number;
  /**
   * How long a connection may stay silent — no byte in either direction — before the call is
   * abandoned. An idle limit, not a total: a large upload or download that keeps moving is
   * never cut.
   */
  readonly idleTimeoutMs: number;
}

/** 5 s to connect, 60 s of silence (S3 answers a large CompleteMultipartUpload well within it). */
export const DEFAULT_AWS_TIMEOUTS: AwsTimeouts = { connectionTimeoutMs: 5_000, idleTimeoutMs: 60_000 };

/**
 * The `requestHandler` setting of an AWS SDK v3 client for `timeouts`.
 *
 * @example
 * new GlueClient({ requestHandler: awsRequestHandler() });
 */
export function awsRequestHandler(timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS): {
  connectionTimeout: number;
  socketTimeout: number;
} {
  return { connectionTimeout: timeouts.connectionTimeoutMs, socketTimeout: timeouts.idleTimeoutMs };
}
