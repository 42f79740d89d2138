/** Unit tests need nothing running; integration tests share one Temporal dev server that the suite starts. */
const slowTests = require('./test/support/slow-tests');
const tsJest = { '^.+\\.ts$': 'ts-jest' };
/** The package's entry points by name, as examples and fixtures import them (tsconfig.json `paths`). */
const moduleNameMapper = {
  '^mcp-agent-temporal$': '<rootDir>/src/index.ts',
  '^mcp-agent-temporal/(workflow|testing)$': '<rootDir>/src/$1/index.ts',
};

module.exports = {
  testTimeout: 120000,
  // Test files leave heap behind in the process that ran them (hundreds of MB after a few), and
  // work runs slower there: in CI the replay test took 99 s after 26 other files against 10 s as
  // the first. A worker process past this much after a file is replaced by a fresh one.
  workerIdleMemoryLimit: '400MB',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: tsJest,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform: tsJest,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // The slow tier: `npm run test:slow` (jest.slow.config.js).
      testPathIgnorePatterns: ['/node_modules/', ...slowTests],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
