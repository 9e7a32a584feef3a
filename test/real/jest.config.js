/**
 * The real-data suite (`npm run test:real`, also run by CI): the tests that prove the pipeline
 * on the real totesys exports in ../shared/totesys-data (or TOTESYS_DATA_DIR). It fails at once,
 * saying where it looked, when the data is missing. `npm test` never reads that data.
 */
const base = require('../../jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/real'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/real/support/global-setup.ts',
  testTimeout: 10 * 60_000,
  // Coverage is measured and enforced on npm test alone.
  coverageThreshold: undefined,
};
