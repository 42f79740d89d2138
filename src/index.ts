/**
 * The package's main entry (`mcp-agent-temporal`): config, the client that starts and steers runs,
 * the worker, and the HTTP API, for programs that embed them rather than run the CLI.
 */
export { loadConfig, type LoadConfigOptions } from './config/load';
export { configSchema, type Config, type ConfigInput } from './config/schema';
export { ConfigError, InvalidInputError, SpecError, UnknownWorkflowError } from './config/errors';
export { checkInput, listWorkflows, resolveRun, type ResolvedRun } from './config/resolve';
export { connectClient, type TemporalClient } from '../client/connection';
export { RunsClient, type RunsClientOptions, type StartRunRequest, type StartedRun } from '../client/runs';
export {
  IdempotencyKeyReusedError,
  InputRejectedError,
  MessageRejectedError,
  NoTranscriptError,
  RunClosedError,
  RunIdInUseError,
  RunNotFoundError,
  WorkerUnavailableError,
  type InputRejectionCode,
  type MessageRejectionCode,
} from '../client/run-errors';
export type { Run } from '../client/run-view';
export type { RunEvent } from '../client/run-events';
export { createWorker, bundleWorkflows, type AgentWorker, type WorkerOptions } from '../worker/create';
export { buildApp, type ApiDeps } from './api/app';
