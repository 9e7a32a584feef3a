import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app';
import type { TotesysLakeStack } from '../../infra/stacks/totesys-lake-stack';

const cdkJsonContext = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/**
 * Builds the real app with `context` (plus the test defaults) and returns its stack and
 * template. Bundling is skipped (`aws:cdk:bundling-stacks` = []): esbuild for three
 * functions takes half a minute, and one dedicated test bundles for real.
 */
export function synthesize(
  context: Record<string, unknown> = {},
  options: { bundle?: boolean } = {},
): { app: App; stack: TotesysLakeStack; template: Template } {
  const app = new App({
    context: {
      // The feature flags and defaults `cdk synth` uses, so tests check the same template.
      ...cdkJsonContext,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      stage: 'test',
      account: '111122223333',
      region: 'eu-west-2',
      alertEmail: 'ops@example.com',
      ...context,
    },
  });
  const { stack } = buildApp(app);
  return { app, stack, template: Template.fromStack(stack) };
}
