/** Jest runs TypeScript through SWC; integration suites share one stack started in globalSetup. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/domain', '<rootDir>/test', '<rootDir>/workflows', '<rootDir>/activities', '<rootDir>/persistence', '<rootDir>/web', '<rootDir>/sandboxes'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 60000,
};
