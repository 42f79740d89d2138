import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findTemporalCli } from '../../temporal/cli';
import { startDevServer, type DevServer } from '../../temporal/dev-server';

declare global {
  var temporalTestServer: DevServer | undefined;
}

/** One headless Temporal dev server on free ports for the whole integration suite. */
export default async function globalSetup(): Promise<void> {
  const cli = findTemporalCli({ log: (line) => process.stderr.write(`${line}\n`) });
  const server = await startDevServer({ cliPath: cli.path, uiPort: false });
  // Jest workers are forked after this runs, so they inherit the address.
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  process.env.TEMPORAL_TEST_CLI_PATH = cli.path;
  // One blob store for every worker, API and client of the suite, as one deployment would share.
  process.env.MCP_AGENT_TEST_STORAGE = mkdtempSync(path.join(tmpdir(), 'mcp-agent-test-storage-'));
  globalThis.temporalTestServer = server;
  process.stderr.write(`\nTemporal dev server (${cli.source}: ${cli.path}) at ${server.address}\n`);
}
