import { noopMetricMeter, type Logger as SdkLogger, type LogLevel, type LogMetadata } from '@temporalio/common';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import {
  bundleWorkflowCode,
  NativeConnection,
  Runtime,
  Worker,
  type ActivityInterceptorsFactory,
  type BundleOptions,
  type WorkflowBundle,
} from '@temporalio/worker';

import { disallowedModules, moduleMatches } from '@temporalio/worker/lib/workflow/bundler';

type WebpackConfiguration = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];
import { isBuiltin } from 'node:module';
import path from 'node:path';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import type { Config } from '../src/config/schema';
import { loadFunctions } from '../src/functions/registry';
import { McpPool } from '../src/mcp/pool';
import { openStorage, type Storage } from '../src/storage/open';
import { natsDeltaPublisher, type DeltaPublisher } from '../src/streaming/nats';
import { callMetricsInterceptor } from '../src/telemetry/activity-metrics';
import { callSpansInterceptor } from '../src/telemetry/call-spans';
import { sdkLoggerWriting } from '../src/telemetry/runtime';
import type { Tracing } from '../src/telemetry/tracing';
import { checkCodeWorkflows, workflowsEntry } from './code-workflows';

/** Measured with `npm run bench:sticky` (temporal/TUNING.md). */
const DEFAULT_STICKY_TIMEOUT_SECONDS = 3;
const DEFAULT_HEARTBEAT_THROTTLE_SECONDS = 1;

export interface WorkerOptions {
  config: Config;
  connection: NativeConnection;
  /** Defaults to the config's task queue. */
  taskQueue?: string;
  logger?: Logger;
  /** A prebuilt bundle (tests build one and share it); default: bundle `workflows/` and the config's code workflows now. */
  workflowBundle?: WorkflowBundle;
  identity?: string;
  /**
   * The process's tracing (src/telemetry/tracing.ts): workflow, activity, model and tool call spans.
   * A prebuilt bundle must then have been built with `bundleWorkflows(..., { tracing: true })`.
   */
  tracing?: Tracing;
}

export interface AgentWorker {
  worker: Worker;
  pool: McpPool;
  /** The blob store the worker's activities and large payloads use; close it after the worker. */
  storage: Storage;
  /** With `streaming.nats_url`: where LLM deltas go; close it after the worker. */
  deltas?: DeltaPublisher;
}

/**
 * A worker for every pattern workflow and activity. The MCP pool belongs to the process: any
 * activity on it may use any live session, whichever run opened it.
 */
export async function createWorker(options: WorkerOptions): Promise<AgentWorker> {
  const { config } = options;
  // Before anything is opened: a function that cannot load stops start-up with a ConfigError.
  const functions = loadFunctions(config.functions);
  checkCodeWorkflows(config);
  const pool = new McpPool(config.mcp.servers, options.logger);
  const storage = openStorage(config.storage);
  const deltas = config.streaming.nats_url
    ? natsDeltaPublisher({
        natsUrl: config.streaming.nats_url,
        subjectPrefix: config.streaming.subject_prefix,
        namespace: config.temporal.namespace,
        name: 'worker',
        logger: options.logger,
      })
    : undefined;
  const worker = await Worker.create({
    connection: options.connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? config.temporal.task_queue,
    ...(options.identity && { identity: options.identity }),
    workflowBundle:
      options.workflowBundle ?? (await bundleWorkflows(options.logger, workflowsEntry(config), { tracing: options.tracing !== undefined })),
    activities: createActivities(config, pool, functions, storage.blobs, deltas),
    interceptors: { activity: activityInterceptors(config, options.tracing) },
    ...(options.tracing && { sinks: { exporter: makeWorkflowExporter(options.tracing.processor, options.tracing.resource) } }),
    dataConverter: storage.dataConverter,
    ...(config.temporal.max_concurrent_activities && {
      maxConcurrentActivityTaskExecutions: config.temporal.max_concurrent_activities,
    }),
    ...(config.temporal.max_concurrent_workflow_tasks && {
      maxConcurrentWorkflowTaskExecutions: config.temporal.max_concurrent_workflow_tasks,
    }),
    // In-flight LLM and tool calls get this long to finish on shutdown before they are cancelled
    // and handed back to Temporal for another worker to retry.
    shutdownGraceTime: '20 seconds',
    // A run's next workflow task goes first to the worker that ran the last one. If that worker
    // died, the run waits this long before another may take it; too short, and a worker that is
    // merely busy loses its cached runs (temporal/TUNING.md has both measured).
    stickyQueueScheduleToStartTimeout: (config.temporal.sticky_timeout_seconds ?? DEFAULT_STICKY_TIMEOUT_SECONDS) * 1000,
    // A call learns it was cancelled (a cancelled run, an interrupted turn, a tree stopped by its
    // budget) from the answer to a heartbeat. Throttled to 0.8 of the 5 s heartbeat timeout, a
    // model call went on streaming, and spending, for up to 4 s after; at 1 s it stops within one.
    maxHeartbeatThrottleInterval: (config.temporal.heartbeat_throttle_seconds ?? DEFAULT_HEARTBEAT_THROTTLE_SECONDS) * 1000,
  });
  return { worker, pool, storage, ...(deltas && { deltas }) };
}

/**
 * Bundles `workflows/` (or another workflows module) with the SDK's webpack bundler. The bundler
 * logs webpack's whole stats report at info, a screenful of module lists on every start; here that
 * report and the bundle's size go to debug, while a failed build's report (which names the module
 * that broke it) is logged as an error, and warnings as warnings. Without a logger, warnings and
 * errors go to stderr. A build that fails because workflow code imports a Node module (or another
 * the sandbox refuses) throws an error that names the module and the file importing it, and says
 * where that work goes, rather than the SDK's "Webpack finished with errors". Zod is evaluated
 * once per worker thread rather than once per run (src/workflow/preload.ts).
 */
export async function bundleWorkflows(
  logger?: Logger,
  workflowsPath = require.resolve('../workflows'),
  options: { tracing?: boolean } = {},
): Promise<WorkflowBundle> {
  const refused: SandboxImport[] = [];
  try {
    return await bundleWorkflowCode({
      workflowsPath,
      logger: quietBundlerLogger(logger),
      webpackConfigHook: (config) => recordSandboxImports(resolveOwnEntries(config), refused),
      preloadModules: [require.resolve('../src/workflow/preload')],
      // Only with tracing on: the interceptors put a span context header on every command of a run.
      ...(options.tracing && { workflowInterceptorModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')] }),
    });
  } catch (error) {
    throw refused.length > 0 ? sandboxImportError(refused, error) : error;
  }
}

/** A module the workflow sandbox refuses, and the file that imports it. */
interface SandboxImport {
  module: string;
  importer?: string;
}

/**
 * Notes each import of a module the SDK refuses in workflow code (Node's own, `node:` or not, and
 * the SDK's non-workflow packages) with its importing file, which neither webpack's error for a
 * `node:` import nor the SDK's for the others says. It decides nothing: the SDK's own check, next
 * in the list, still fails the build.
 */
function recordSandboxImports(config: WebpackConfiguration, refused: SandboxImport[]): WebpackConfiguration {
  const record = (data: { request?: string; contextInfo?: { issuer?: string } }, callback: () => void) => {
    const request = data.request ?? '';
    const name = request.startsWith('node:') ? request.slice('node:'.length) : request;
    const importer = data.contextInfo?.issuer || undefined;
    if (moduleMatches(name, disallowedModules) && !refused.some((r) => r.module === request && r.importer === importer)) {
      refused.push({ module: request, ...(importer && { importer }) });
    }
    callback();
  };
  const others = config.externals === undefined ? [] : Array.isArray(config.externals) ? config.externals : [config.externals];
  return { ...config, externals: [record, ...others] };
}

function sandboxImportError(refused: SandboxImport[], cause: unknown): Error {
  const imports = refused.map(({ module, importer }) => `${importer ?? 'Workflow code'} imports ${isBuiltin(module) ? 'the Node module ' : ''}"${module}"`);
  return new Error(`${imports.join('; ')}. ${SANDBOX_HINT}`, { cause });
}

/**
 * Our call metrics where the runtime exports metrics; with tracing, first the Temporal
 * interceptor's `RunActivity` span (joined to the workflow's trace through the activity's headers),
 * then ours for the call inside it. A runtime without an exporter has the no-op meter, and counting
 * into it would still cost every call its tags (about 0.25 ms of the worker's CPU a turn).
 */
function activityInterceptors(config: Config, tracing: Tracing | undefined): ActivityInterceptorsFactory[] {
  const metrics = Runtime.instance().metricMeter === noopMetricMeter ? [] : [callMetricsInterceptor(config)];
  if (!tracing) return metrics;
  return [
    (context) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(context),
      outbound: new OpenTelemetryActivityOutboundInterceptor(context),
    }),
    callSpansInterceptor(),
    ...metrics,
  ];
}

/**
 * The bundler resolves its own runtime (`@temporalio/workflow`) from the workflows entry's folder;
 * a generated entry (worker/code-workflows.ts) lives in the temp folder, so the folder this package
 * finds that runtime in is searched too. Run from a checkout (TypeScript, through tsx), workflow code
 * that imports this package by name (examples, fixtures) gets the sources, as tsconfig.json's
 * `paths` give them to tsc and tsx; an installed package resolves its entries through its `exports`.
 */
function resolveOwnEntries(config: WebpackConfiguration): WebpackConfiguration {
  const resolve = config.resolve ?? {};
  const runtimeModules = path.dirname(path.dirname(path.dirname(require.resolve('@temporalio/workflow/package.json'))));
  const modules = [...(resolve.modules ?? ['node_modules']), runtimeModules];
  if (path.extname(__filename) !== '.ts') return { ...config, resolve: { ...resolve, modules } };
  const src = path.resolve(__dirname, '..', 'src');
  const alias = {
    'mcp-agent-temporal$': path.join(src, 'index.ts'),
    'mcp-agent-temporal/workflow$': path.join(src, 'workflow', 'index.ts'),
  };
  return { ...config, resolve: { ...resolve, modules, alias: { ...(resolve.alias as Record<string, string> | undefined), ...alias } } };
}

/** What webpack says when workflow code imports a Node module (`node:fs`, or `fs` it cannot find). */
const NODE_MODULE_IN_WORKFLOW = /Reading from "node:|Can't resolve '(fs|path|os|child_process|net|http|https|crypto|stream|worker_threads)'/;
const SANDBOX_HINT =
  'Workflow code runs in Temporal\'s deterministic sandbox and cannot do I/O or use Node modules: move that work into a ' +
  'function (`functions:` in the config, called with run.node({ function: name })) or an activity; `import type` is fine.';

function quietBundlerLogger(logger: Logger | undefined): SdkLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const fields = { ...meta, sdkComponent: 'bundler' };
    if (level === 'ERROR') {
      const explained = NODE_MODULE_IN_WORKFLOW.test(message) ? `${message}\n${SANDBOX_HINT}` : message;
      if (logger) logger.error(fields, explained);
      else process.stderr.write(`${explained}\n`);
    } else if (level === 'WARN') {
      if (logger) logger.warn(fields, message);
      else process.stderr.write(`${message}\n`);
    } else {
      logger?.debug(fields, message);
    }
  };
  return sdkLoggerWriting(write);
}
