/**
 * The tracing tier (`npm run test:backends`, run by CI after `npm test`): `npm run dev` as a user
 * runs it, sending its traces to a real Jaeger built from source (several minutes the first time).
 */
module.exports = {
  testTimeout: 300000,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  testMatch: ['<rootDir>/test/backends/**/*.test.ts'],
};
