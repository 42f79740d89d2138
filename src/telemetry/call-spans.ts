import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptors, Next } from '@temporalio/worker';

/**
 * A span for each model, tool, MCP and embedding call, inside the Temporal interceptor's
 * `RunActivity` span, with OpenTelemetry's GenAI attributes (operation, provider, model, tokens,
 * finish reason; tool name) so that tracing backends that know GenAI show them as such. Prompts
 * and results are not recorded: they can be large and private, and the run's transcript has them.
 */

const tracer = () => trace.getTracer('mcp-agent-temporal');

type Fields = Record<string, unknown>;
const fields = (value: unknown): Fields => (typeof value === 'object' && value !== null ? (value as Fields) : {});
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

interface CallSpan {
  name: string;
  attributes: Attributes;
  /** Attributes of the result, and whether it was an error answer (a tool's isError). */
  finish?(result: Fields): { attributes: Attributes; error?: string };
}

function describe(activityType: string, input: Fields): CallSpan | undefined {
  switch (activityType) {
    case 'llmGenerate': {
      const provider = str(input.provider) ?? 'unknown';
      const model = str(input.model) ?? 'unknown';
      return {
        name: `chat ${model}`,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': provider,
          'gen_ai.system': provider,
          'gen_ai.request.model': model,
          ...(typeof input.maxTokens === 'number' && { 'gen_ai.request.max_tokens': input.maxTokens }),
          ...(typeof input.temperature === 'number' && { 'gen_ai.request.temperature': input.temperature }),
          ...(typeof input.turn === 'number' && { 'mcp_agent.turn': input.turn }),
          ...('summarize' in input && { 'mcp_agent.summary': true }),
        },
        finish: (result) => {
          const usage = fields(result.usage);
          return {
            attributes: {
              ...(typeof usage.inputTokens === 'number' && { 'gen_ai.usage.input_tokens': usage.inputTokens }),
              ...(typeof usage.outputTokens === 'number' && { 'gen_ai.usage.output_tokens': usage.outputTokens }),
              ...(str(result.stopReason) && { 'gen_ai.response.finish_reasons': [String(result.stopReason)] }),
            },
          };
        },
      };
    }
    case 'mcpCallTool':
    case 'callFunction': {
      const tool = str(activityType === 'mcpCallTool' ? input.tool : input.name) ?? 'unknown';
      const server = activityType === 'mcpCallTool' ? str(input.server) : undefined;
      return {
        name: `execute_tool ${tool}`,
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': tool,
          'gen_ai.tool.type': activityType === 'mcpCallTool' ? 'extension' : 'function',
          ...(server && { 'mcp.method.name': 'tools/call', 'mcp_agent.mcp.server': server }),
        },
        finish: (result) => ({ attributes: {}, ...(result.isError === true && { error: 'tool_error' }) }),
      };
    }
    case 'mcpReadResource':
    case 'mcpGetPrompt': {
      const method = activityType === 'mcpReadResource' ? 'resources/read' : 'prompts/get';
      const target = str(input.uri) ?? str(input.name) ?? 'unknown';
      return {
        name: `${method} ${target}`,
        attributes: {
          'mcp.method.name': method,
          'mcp_agent.mcp.server': str(input.server) ?? 'unknown',
          ...(activityType === 'mcpReadResource' ? { 'mcp.resource.uri': target } : { 'gen_ai.prompt.name': target }),
        },
      };
    }
    case 'embed': {
      const model = str(input.model) ?? 'default';
      return {
        name: `embeddings ${model}`,
        attributes: {
          'gen_ai.operation.name': 'embeddings',
          'gen_ai.provider.name': str(input.provider) ?? 'unknown',
          'gen_ai.request.model': model,
          ...(Array.isArray(input.texts) && { 'mcp_agent.texts': input.texts.length }),
        },
      };
    }
    default:
      return undefined;
  }
}

class CallSpans implements ActivityInboundCallsInterceptor {
  constructor(private readonly context: Context) {}

  execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const call = describe(this.context.info.activityType, fields(input.args[0]));
    if (!call) return next(input);
    const attributes = { ...call.attributes, 'mcp_agent.attempt': this.context.info.attempt };
    return tracer().startActiveSpan(call.name, { kind: SpanKind.CLIENT, attributes }, async (span: Span) => {
      try {
        const result = await next(input);
        const finished = call.finish?.(fields(result));
        if (finished) span.setAttributes(finished.attributes);
        if (finished?.error) span.setStatus({ code: SpanStatusCode.ERROR, message: finished.error }).setAttribute('error.type', finished.error);
        return result;
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        span.recordException(failure);
        span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message }).setAttribute('error.type', failure.name);
        throw error;
      } finally {
        span.end();
      }
    });
  }
}

/** For the worker's `interceptors.activity`, after the Temporal OpenTelemetry interceptor whose span they nest in. */
export function callSpansInterceptor(): (context: Context) => ActivityInterceptors {
  return (context) => ({ inbound: new CallSpans(context) });
}
