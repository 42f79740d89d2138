import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import pino, { type Logger } from 'pino';
import { connectClient } from '../../client/connection';
import { RunsClient } from '../../client/runs';
import { ConfigError } from '../config/errors';
import { loadConfig, runtimeSettings } from '../config/load';
import type { Config } from '../config/schema';
import { startTracing } from '../telemetry/tracing';
import { createWorkflowsMcpServer } from './server';

/**
 * The workflows' MCP server over stdio, for clients that start it themselves (Claude Desktop:
 * `npx mcp-agent serve`, or `tsx src/mcp-server/stdio.ts`). Stdout carries the protocol, so every
 * log line goes to stderr. It serves until the client closes stdin or the process is told to stop.
 */

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export interface ServeStdioOptions {
  /** The config to serve; default: loaded from `configPath`, MCP_AGENT_CONFIG or the working directory. */
  config?: Config;
  configPath?: string;
  /** Base of the Web UI links in Runs; default TEMPORAL_UI_URL. */
  uiUrl?: string;
  logger?: Logger;
}

export function stderrLogger(level: string): Logger {
  return pino({ name: 'mcp-server', level }, pino.destination(2));
}

/** Resolves once the client has gone and the Temporal connection is closed. */
export async function serveStdio(options: ServeStdioOptions = {}): Promise<void> {
  const config = options.config ?? loadConfig({ path: options.configPath });
  const logger = options.logger ?? stderrLogger(config.logger.level);
  const uiUrl = options.uiUrl ?? runtimeSettings().temporalUiUrl;
  const tracing = startTracing(config, 'mcp-server');
  const { connection, client, storage } = connectClient(config);
  const runs = new RunsClient({ client, taskQueue: config.temporal.task_queue, uiUrl });
  const server = createWorkflowsMcpServer({ config, runs, logger });

  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
  });
  const stop = (reason: string) => {
    logger.info({ reason }, 'MCP server stopping');
    void server.close();
  };
  const onStdinEnd = () => stop('stdin closed');
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.stdin.once('end', onStdinEnd);
  for (const signal of STOP_SIGNALS) process.once(signal, onSignal);

  try {
    await server.connect(new StdioServerTransport());
    logger.info(
      { temporal: config.temporal.address, namespace: config.temporal.namespace, taskQueue: config.temporal.task_queue },
      'MCP server ready on stdio',
    );
    await closed;
  } finally {
    process.stdin.off('end', onStdinEnd);
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    await connection.close();
    storage.close();
    await tracing?.shutdown();
  }
}

if (require.main === module) {
  serveStdio().catch((error: unknown) => {
    if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`MCP server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
