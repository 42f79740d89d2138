import type { Context } from '@temporalio/activity';
import type { MetricCounter, MetricHistogram, MetricMeter } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptors, Next } from '@temporalio/worker';
import type { Config } from '../config/schema';
import { DEFAULT_PRICES } from '../llm/pricing';

/**
 * Our own metrics of the calls the worker makes, beside the Temporal SDK's: model calls (latency,
 * tokens, outcome by provider and model) and tool calls (latency and outcome by server and tool).
 * They go through the activity's metric meter, so they reach whatever the worker's runtime exports
 * (its Prometheus endpoint), and cost nothing where it exports nothing. An interceptor, so that the
 * activities themselves stay about their calls.
 */

interface Instruments {
  llmCalls: MetricCounter;
  llmLatency: MetricHistogram;
  llmTokens: MetricCounter;
  toolCalls: MetricCounter;
  toolLatency: MetricHistogram;
}

const instrumentsByMeter = new WeakMap<MetricMeter, Instruments>();

function instruments(meter: MetricMeter): Instruments {
  let found = instrumentsByMeter.get(meter);
  if (!found) {
    found = {
      llmCalls: meter.createCounter('mcp_agent_llm_calls', undefined, 'Model call attempts by provider, model and outcome'),
      llmLatency: meter.createHistogram('mcp_agent_llm_latency', 'int', 'ms', 'Model call attempt latency'),
      llmTokens: meter.createCounter('mcp_agent_llm_tokens', undefined, 'Tokens by provider, model and direction (input, output)'),
      toolCalls: meter.createCounter('mcp_agent_tool_calls', undefined, 'Tool call attempts by server (or function), tool and outcome'),
      toolLatency: meter.createHistogram('mcp_agent_tool_latency', 'int', 'ms', 'Tool call attempt latency'),
    };
    instrumentsByMeter.set(meter, found);
  }
  return found;
}

type Tags = Record<string, string>;

const record = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});
const text = (value: unknown, fallback: string): string => (typeof value === 'string' && value !== '' ? value : fallback);

/** Every string under a `model` key at any depth: agents, inline agents and patterns of workflows, sampling. */
function modelsNamedIn(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) modelsNamedIn(item, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'model' && typeof item === 'string' && item !== '') into.add(item);
      else modelsNamedIn(item, into);
    }
  }
  return into;
}

/**
 * The models the config names anywhere (agents; workflows' agent references, inline agents and
 * pattern models at any depth; servers' `sampling.model`; provider defaults; prices) and the
 * priced defaults: a model label takes only these, anything else (an ad-hoc spec may name any
 * string) is `other`, so that a stream of made-up names cannot grow the worker's series without
 * bound.
 */
export function knownModels(config: Config): ReadonlySet<string> {
  return new Set([
    ...modelsNamedIn([config.agents, config.workflows, config.mcp.servers], new Set()),
    config.openai.default_model,
    config.anthropic.default_model,
    ...Object.keys(config.pricing),
    ...Object.keys(DEFAULT_PRICES),
  ]);
}

/** What a call is about, from its activity type and input; undefined for activities we do not count. */
function describeCall(activityType: string, input: Record<string, unknown>, models: ReadonlySet<string>): { kind: 'llm' | 'tool'; tags: Tags } | undefined {
  if (activityType === 'llmGenerate') {
    const model = text(input.model, 'unknown');
    return { kind: 'llm', tags: { provider: text(input.provider, 'unknown'), model: models.has(model) ? model : 'other' } };
  }
  if (activityType === 'mcpCallTool') return { kind: 'tool', tags: { server: text(input.server, 'unknown'), tool: text(input.tool, 'unknown') } };
  if (activityType === 'callFunction') return { kind: 'tool', tags: { server: 'function', tool: text(input.name, 'unknown') } };
  return undefined;
}

class CallMetrics implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly context: Context,
    private readonly models: ReadonlySet<string>,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const call = describeCall(this.context.info.activityType, record(input.args[0]), this.models);
    if (!call) return next(input);
    const meter = instruments(this.context.metricMeter);
    const started = Date.now();
    let result: unknown;
    try {
      result = await next(input);
    } catch (error) {
      // A call its run no longer wants is not a failing provider or server: its run cancelled it
      // (an interrupted turn), or closed meanwhile (a cancelled run, which does not wait for its
      // calls, so Temporal no longer has them). One that timed out or was stopped by a shutdown is
      // still counted as failed.
      const details = this.context.cancellationDetails;
      this.count(meter, call, details?.cancelRequested || details?.notFound ? 'cancelled' : 'failed', Date.now() - started);
      throw error;
    }
    const reply = record(result);
    if (call.kind === 'llm') {
      const usage = record(reply.usage);
      if (typeof usage.inputTokens === 'number') meter.llmTokens.add(usage.inputTokens, { ...call.tags, direction: 'input' });
      if (typeof usage.outputTokens === 'number') meter.llmTokens.add(usage.outputTokens, { ...call.tags, direction: 'output' });
    }
    this.count(meter, call, reply.isError === true ? 'tool_error' : 'ok', Date.now() - started);
    return result;
  }

  private count(meter: Instruments, call: { kind: 'llm' | 'tool'; tags: Tags }, outcome: string, ms: number): void {
    if (call.kind === 'llm') {
      meter.llmCalls.add(1, { ...call.tags, outcome });
      meter.llmLatency.record(ms, call.tags);
    } else {
      meter.toolCalls.add(1, { ...call.tags, outcome });
      meter.toolLatency.record(ms, { server: call.tags.server });
    }
  }
}

/** For the worker's `interceptors.activity`. */
export function callMetricsInterceptor(config: Config): (context: Context) => ActivityInterceptors {
  const models = knownModels(config);
  return (context) => ({ inbound: new CallMetrics(context, models) });
}
