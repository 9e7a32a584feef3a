/**
 * The layers, checked in CI (`npm run lint:layers`; docs/architecture.md draws them):
 *   lambdas/kernel   runtime kernel: schema, lake, catalog, db, aws, duckdb — knows no stage
 *   lambdas/<stage>  ingest, transform, load, compact — each knows only the kernel
 *   app/             the local application: pipeline runner, status, verify, analytics, totesys
 *   bin/, bench/     the CLI and the benchmark: may use anything but infra
 *   infra/           the CDK app: the kernel's schema and catalog definitions, never the stages' code
 * Nothing under lambdas/ is bundled with CDK, the app layer or the CLI.
 */
const STAGES = '(ingest|transform|load|compact)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'kernel-knows-no-stage',
      comment:
        'The kernel is shared by every stage; it must not depend on one (move the piece into the kernel).',
      severity: 'error',
      from: { path: '^lambdas/kernel/' },
      to: { path: `^lambdas/${STAGES}/` },
    },
    {
      name: 'stage-knows-no-other-stage',
      comment: 'Stages talk through lake documents only (lambdas/kernel/lake/documents/).',
      severity: 'error',
      from: { path: `^lambdas/${STAGES}/` },
      to: { path: '^lambdas/([^/]+)/', pathNot: ['^lambdas/kernel/', '^lambdas/$1/'] },
    },
    {
      name: 'runtime-has-no-app-or-cli',
      comment: 'Lambda code must not pull the local application layer or the CLI into a bundle.',
      severity: 'error',
      from: { path: '^lambdas/' },
      to: { path: '^(app|bin|bench|test)/' },
    },
    {
      name: 'runtime-has-no-cdk',
      comment: 'CDK belongs to infra/; a Lambda bundle must not carry it.',
      severity: 'error',
      from: { path: '^(lambdas|app)/' },
      to: { path: ['^infra/', 'node_modules/(aws-cdk-lib|constructs|aws-cdk|cdk-nag)/'] },
    },
    {
      name: 'app-has-no-cli',
      comment: 'The application layer is used by the CLI, the bench and the tests, not the other way round.',
      severity: 'error',
      from: { path: '^app/' },
      to: { path: '^(bin|bench|test)/' },
    },
    {
      name: 'infra-uses-only-the-kernel',
      comment:
        'infra/ derives from the schema and catalog definitions; stage code reaches AWS only as bundles.',
      severity: 'error',
      from: { path: '^infra/' },
      to: { path: ['^app/', '^bin/', `^lambdas/${STAGES}/`] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(lambdas|app|bin|infra)/' },
      // A type-only cycle (a props type named by both sides) has no run-time order to break.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^cdk\\.out/', '^coverage/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
