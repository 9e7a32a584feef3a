import type { Config } from '../../lambdas/kernel/config';
import type { WithLeaseOptions } from '../../lambdas/kernel/lake/documents/lease';
import type { Log } from '../../lambdas/kernel/logger';

/**
 * The pipeline lease settings of a `totes` command that writes: its name (shown to a second
 * writer), how long `--wait <seconds>` lets it wait for a busy lease, and `TOTES_LEASE_TTL`.
 *
 * @example
 * await withLease(env.lake, commandLease('totes load', options, env), () => runLoadStage(deps));
 */
export function commandLease(
  purpose: string,
  options: { readonly wait?: number },
  env: { readonly config: Pick<Config, 'leaseTtlMs'>; readonly log: Log },
): WithLeaseOptions {
  return {
    purpose,
    waitMs: (options.wait ?? 0) * 1000,
    log: env.log,
    ...(env.config.leaseTtlMs ? { ttlMs: env.config.leaseTtlMs } : {}),
  };
}
