/** Jest runs TypeScript through SWC; integration suites share one stack started in globalSetup. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/domain', '<rootDir>/test', '<rootDir>/workflows', '<rootDir>/activities', '<rootDir>/persistence', '<rootDir>/web', '<rootDir>/sandboxes'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // otplib 13 (staff second factor) ships CommonJS, but its two dependencies @scure/base and
    // @noble/hashes are ES modules only. Node 20.19+ loads them through require(esm); Jest's own
    // module loader does not (before Node 24.9), so Jest compiles these two to CommonJS.
    '/node_modules/(@scure/base|@noble/hashes)/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@scure/base|@noble/hashes)/)'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 60000,
};
