/**
 * The slow tier (`npm run test:package`, run by CI after `npm test`): the packed tarball installed
 * into an empty folder, `mcp-agent init`, and the scaffold's own `npm install`, `npm test` and
 * `npm run dev`, as a new user goes through them.
 */
module.exports = {
  testTimeout: 600000,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  testMatch: ['<rootDir>/test/package/**/*.test.ts'],
};
