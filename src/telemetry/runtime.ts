import { Runtime, type LogLevel, type LogMetadata, type Logger as SdkLogger } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../config/schema';

/**
 * The worker process's Temporal runtime. Its logs (the SDK's own, such as a failed attempt's
 * "Activity failed", and the core's warnings) go to the process's logger, one JSON line each
 * like every other line the worker writes, rather than the SDK's multi-line console blocks. With
 * `telemetry.prometheus_address`, it serves the SDK's metrics (task latencies, slots, sticky
 * cache, polls) and ours (src/telemetry/activity-metrics.ts) at `/metrics` there. Must run before
 * the worker's first connection; a process has one runtime.
 */
export function installWorkerRuntime(config: Config, logger: Logger): void {
  const address = config.telemetry.prometheus_address;
  Runtime.install({
    logger: sdkLogger(logger),
    telemetryOptions: {
      logging: { forward: {} },
      ...(address && { metrics: { prometheus: { bindAddress: address, countersTotalSuffix: true, unitSuffix: true } } }),
    },
  });
}

const levels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** The SDK's logger interface on pino; an `error` in the metadata goes where pino's serializer writes its stack. */
function sdkLogger(logger: Logger): SdkLogger {
  return sdkLoggerWriting((level, message, meta) => {
    const { error, ...fields } = meta ?? {};
    logger[levels[level]](error === undefined ? fields : { ...fields, err: error }, message);
  });
}

/** The SDK's logger interface, every level through `write`. */
export function sdkLoggerWriting(write: (level: LogLevel, message: string, meta?: LogMetadata) => void): SdkLogger {
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
