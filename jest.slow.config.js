/**
 * The slow tier (`npm run test:slow`, run by CI after `npm test`): the integration tests
 * test/support/slow-tests.js names, on the same shared Temporal dev server setup.
 */
const slowTests = require('./test/support/slow-tests');
const { testTimeout, projects } = require('./jest.config');

const { testPathIgnorePatterns: _ignored, ...integration } = projects.find((project) => project.displayName === 'integration');

module.exports = { testTimeout, ...integration, displayName: 'slow', testMatch: slowTests };
