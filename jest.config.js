/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/setup.ts'],
  // The response contract check's counts (test/helpers/contract.ts).
  globalSetup: '<rootDir>/test/helpers/contract-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/contract-teardown.ts',
  collectCoverage: true,
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['text-summary', 'lcov'],
  coverageThreshold: {
    './src/schema/': { lines: 90 },
    './src/http/': { lines: 90 },
    './src/providers/': { lines: 90 },
  },
  testTimeout: 20000,
};
