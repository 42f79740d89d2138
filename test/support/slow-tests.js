/**
 * Integration tests `npm test` leaves to the crash-and-fuzz tier (`npm run test:slow`, which CI runs
 * after it): worker and server processes killed mid-call, `npm run dev` launches, and the API
 * fuzzed from its OpenAPI document. Minutes on two cores, so `npm test` stays under a quarter hour.
 */
module.exports = [
  '<rootDir>/test/integration/schemathesis.test.ts',
  '<rootDir>/test/integration/mcp-elicitation-crash.test.ts',
  '<rootDir>/test/integration/worker-process.test.ts',
  '<rootDir>/test/integration/dev-startup.test.ts',
];
