import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app';
import type { TotesysLakeStack } from '../../infra/stacks/totesys-lake-stack';

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
