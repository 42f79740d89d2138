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
  // Each test file leaves some of its heap behind in the process that ran it (the SDK's native
  // runtime keeps references into every file's module registry), and after a few dozen files a
  // replay ran ten times slower, in garbage collection. A worker process past this much is replaced.
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
