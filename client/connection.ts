import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { Config } from '../src/config/schema';
import { temporalConnectionSettings } from '../src/config/temporal-connection';
import { openStorage, type Storage } from '../src/storage/open';

/**
 * A Temporal client for processes that answer people (API, CLI, MCP server). The connection is
 * lazy, so such a process starts while Temporal is down and works once it answers; gRPC reconnects
 * by itself. Retries of unavailable calls stop after about two seconds (the SDK default is about
 * twenty) so a request fails fast with "Temporal unavailable" instead of hanging.
 */

export interface TemporalClient {
  connection: Connection;
  client: Client;
  /** The store that holds large payloads and conversations: the client reads through it. */
  storage: Storage;
}

const RETRY_ATTEMPTS = 5;

/**
 * With `tracing` (default: when the config has `telemetry.tracing`), each start, signal, query and
 * Update carries the caller's span context, so a run's spans join the trace of the API request
 * that started or steered it.
 */
export function connectClient(config: Config, options: { tracing?: boolean } = {}): TemporalClient {
  const connection = Connection.lazy({
    ...temporalConnectionSettings(config.temporal),
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: RETRY_ATTEMPTS }))],
    channelArgs: {
      // The SDK's own 128 MB default goes under a key gRPC ignores, leaving replies capped at 4 MB:
      // too small for the history of a long run that has continued as new.
      'grpc.max_receive_message_length': 128 * 1024 * 1024,
      // gRPC's reconnect backoff grows to two minutes while Temporal is away, so the API kept
      // answering 503 long after it was back; a server process this close is worth asking often.
      'grpc.initial_reconnect_backoff_ms': 500,
      'grpc.max_reconnect_backoff_ms': 2000,
    },
  });
  const storage = openStorage(config.storage);
  const tracing = options.tracing ?? config.telemetry.tracing !== undefined;
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: storage.dataConverter,
    ...(tracing && { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } }),
  });
  return { connection, client, storage };
}

/** Resolves when the Temporal frontend answers within `timeoutMs`; throws its error otherwise. */
export async function checkTemporal(client: Client, timeoutMs = 2000): Promise<void> {
  await client.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({}));
}
