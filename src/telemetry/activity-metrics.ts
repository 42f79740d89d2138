import type { Context } from '@temporalio/activity';
import type { MetricCounter, MetricHistogram, MetricMeter } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptors, Next } from '@temporalio/worker';

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

/** What a call is about, from its activity type and input; undefined for activities we do not count. */
function describeCall(activityType: string, input: Record<string, unknown>): { kind: 'llm' | 'tool'; tags: Tags } | undefined {
  if (activityType === 'llmGenerate') return { kind: 'llm', tags: { provider: text(input.provider, 'unknown'), model: text(input.model, 'unknown') } };
  if (activityType === 'mcpCallTool') return { kind: 'tool', tags: { server: text(input.server, 'unknown'), tool: text(input.tool, 'unknown') } };
  if (activityType === 'callFunction') return { kind: 'tool', tags: { server: 'function', tool: text(input.name, 'unknown') } };
  return undefined;
}

class CallMetrics implements ActivityInboundCallsInterceptor {
  constructor(private readonly context: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const call = describeCall(this.context.info.activityType, record(input.args[0]));
    if (!call) return next(input);
    const meter = instruments(this.context.metricMeter);
    const started = Date.now();
    let result: unknown;
    try {
      result = await next(input);
    } catch (error) {
      this.count(meter, call, 'failed', Date.now() - started);
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
export const callMetricsInterceptor = (context: Context): ActivityInterceptors => ({ inbound: new CallMetrics(context) });
