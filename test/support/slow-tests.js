/**
 * Integration tests `npm test` leaves to the slow tier (`npm run test:slow`, which CI runs after
 * it): worker and server processes killed mid-call, `npm run dev` launches, the API fuzzed from its
 * OpenAPI document, the suites that bring up servers of their own beside the suite's (the Web
 * UI in a browser, S3Proxy, OAuth authorization servers), and the CLI's end-to-end suite (each
 * command as a process of its own against an API). Minutes on two cores, so `npm test` stays
 * under a quarter hour.
 */
module.exports = [
  '<rootDir>/test/integration/schemathesis.test.ts',
  '<rootDir>/test/integration/mcp-elicitation-crash.test.ts',
  '<rootDir>/test/integration/worker-process.test.ts',
  '<rootDir>/test/integration/dev-startup.test.ts',
  '<rootDir>/test/integration/dev.test.ts',
  '<rootDir>/test/integration/web-ui.test.ts',
  '<rootDir>/test/integration/s3-storage.test.ts',
  '<rootDir>/test/integration/mcp-oauth.test.ts',
  '<rootDir>/test/integration/cli.test.ts',
];
