/**
 * The fault-injection suite (`npm run test:faults`, also run by CI): real `totes run`
 * processes killed with SIGKILL on the real totesys data. Minutes, not seconds, so it is
 * kept out of `npm test`; its files are `*.faults.ts`.
 */
const base = require('../../jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.faults.ts'],
  // Fails at once, saying where it looked, when the real exports are missing.
  globalSetup: '<rootDir>/test/real/support/global-setup.ts',
  testTimeout: 20 * 60_000,
  // Two crashed-and-rerun pipelines at a time: the machine has two cores.
  maxConcurrency: 2,
};
