import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { startFuzzStack, type FuzzStack } from '../support/fuzz-stack';
import { describeProblem, ensureSchemathesis, runSchemathesis, type SchemathesisCommand } from '../support/schemathesis';

/**
 * Schemathesis against the real API over HTTP (a Temporal dev server of its own, since the fuzzer
 * leaves hundreds of runs behind; an in-process worker; a model that answers "ok"), generating
 * requests from /docs/json. Every check runs: no 5xx, every status, content type, header and body
 * as the document says (the SSE stream's events too), 405 with Allow for a method a path does not
 * take, schema-valid requests accepted and invalid ones rejected; test/support/schemathesis.toml
 * names the few exceptions and why. Schemathesis is installed from PyPI on first use.
 *
 * SCHEMATHESIS_SEED and SCHEMATHESIS_MAX_EXAMPLES vary the run; the seed is fixed by default so
 * that a failure here is the code's, not the dice's.
 */

const seed = Number(process.env.SCHEMATHESIS_SEED ?? 1);
const maxExamples = Number(process.env.SCHEMATHESIS_MAX_EXAMPLES ?? 50);
const RUN_TIMEOUT_MS = 240_000;

const log = (line: string) => process.stderr.write(`schemathesis: ${line}\n`);

let schemathesis: SchemathesisCommand;
let server: DevServer;
let stack: FuzzStack;

beforeAll(async () => {
  schemathesis = await ensureSchemathesis(log);
  server = await startDevServer({ cliPath: process.env.TEMPORAL_TEST_CLI_PATH!, uiPort: false });
  stack = await startFuzzStack(server.address);
}, 300_000);

afterAll(async () => {
  await stack?.close();
  await server?.stop();
});

it('finds no server error and nothing the OpenAPI document does not say', async () => {
  const result = await runSchemathesis(schemathesis, { schemaUrl: `${stack.url}/docs/json`, maxExamples, seed, timeoutMs: RUN_TIMEOUT_MS, log });
  process.stdout.write(
    `[measure] schemathesis: ${result.operations} operations, ${result.testCases} test cases, ` +
      `${result.problems.length} failures, ${result.seconds.toFixed(0)} s (seed ${seed}, ${maxExamples} examples per operation)\n`,
  );
  if (result.problems.length > 0 || result.exitCode !== 0) {
    const details =
      result.problems.length > 0
        ? result.problems.map((problem) => describeProblem(problem)).join('\n\n')
        : `exit code ${result.exitCode}, and no failure in the JUnit report; its output ends:\n${result.output.slice(-4000)}`;
    throw new Error(
      `Schemathesis (seed ${seed}) found ${result.problems.length} problem(s); reports and output in ${result.reportDir}; ` +
        `replay one with \`.tools/schemathesis/bin/st replay <Test Case ID>\` while an API runs\n\n${details}`,
    );
  }
  expect(result.operations).toBeGreaterThanOrEqual(16);
}, RUN_TIMEOUT_MS + 30_000);
