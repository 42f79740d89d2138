import { Runtime } from '@temporalio/worker';
import type { Config } from '../config/schema';

/**
 * The worker process's Temporal runtime: with `telemetry.prometheus_address`, it serves the SDK's
 * metrics (task latencies, slots, sticky cache, polls) and ours (src/telemetry/activity-metrics.ts)
 * at `/metrics` there. Must run before the worker's first connection; a process has one runtime.
 */
export function installWorkerRuntime(config: Config): void {
  const address = config.telemetry.prometheus_address;
  if (!address) return;
  Runtime.install({
    telemetryOptions: {
      metrics: { prometheus: { bindAddress: address, countersTotalSuffix: true, unitSuffix: true } },
    },
  });
}
