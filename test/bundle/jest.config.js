/**
 * The Lambda bundle suite (`npm run test:bundle`, also run by CI): the functions synthesized
 * into `cdk.out` run in Lambda-like sandboxes under the template's IAM, driven by the
 * template's state machine. It needs a synthesized cloud assembly (the script synthesizes
 * first) and root or user namespaces for the sandbox; its files are `*.bundle.ts`.
 */
const base = require('../../jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/bundle'],
  testMatch: ['**/*.bundle.ts'],
  globalSetup: '<rootDir>/test/bundle/support/global-setup.ts',
  testTimeout: 15 * 60_000,
};
