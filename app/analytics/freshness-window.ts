import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/** The repository's CDK settings, where the deployment's freshness promise is configured. */
export const CDK_JSON = resolve(__dirname, '..', '..', 'cdk.json');

/** What the data-stale alarm promises when nothing is configured (infra/config.ts's default). */
export const DEFAULT_FRESHNESS_MINUTES = 30;

/** How long data may go without a successful load, and where that number comes from. */
export interface FreshnessWindow {
  readonly minutes: number;
  /** `cdk.json`, an explicit option, or the default. */
  readonly source: string;
}

const cdkContext = z.object({
  context: z.object({ freshnessMinutes: z.coerce.number().int().positive().optional() }),
});

/**
 * The freshness window the deployment is configured with — the `freshnessMinutes` context of
 * `cdk.json`, which the data-stale alarm uses — so local reports judge staleness as the alarm
 * does. An explicit number wins; an unreadable or absent setting gives the default.
 */
export function freshnessWindow(explicit?: number, cdkJson: string = CDK_JSON): FreshnessWindow {
  if (explicit !== undefined) return { minutes: explicit, source: 'option' };
  try {
    const parsed = cdkContext.safeParse(JSON.parse(readFileSync(cdkJson, 'utf8')));
    const minutes = parsed.success ? parsed.data.context.freshnessMinutes : undefined;
    if (minutes !== undefined) return { minutes, source: 'cdk.json freshnessMinutes' };
  } catch {
    // No cdk.json next to this installation: the documented default applies.
  }
  return { minutes: DEFAULT_FRESHNESS_MINUTES, source: 'default' };
}
