import { Context } from '@temporalio/activity';
import { fromAnthropicReply, toAnthropicParams } from '../src/llm/anthropic';
import { anthropicClient, openAiClient, openAiTokenLimitField, type ProviderSettings } from '../src/llm/clients';
import { providerFailure } from '../src/llm/errors';
import type { LlmRequest, LlmResponse } from '../src/llm/messages';
import { fromOpenAiReply, toOpenAiParams } from '../src/llm/openai';

/** The config file's `anthropic:` and `openai:` sections, passed as they are. */
export interface LlmActivityDeps {
  anthropic?: ProviderSettings;
  openai?: ProviderSettings;
}

/**
 * Often enough that a worker that died mid-call is noticed within any sensible heartbeat timeout;
 * the worker throttles what it actually sends to the server.
 */
const HEARTBEAT_INTERVAL_MS = 1000;

export function createLlmActivities(deps: LlmActivityDeps) {
  return {
    /** One model turn. Heartbeats while waiting, and a cancelled run aborts the HTTP request. */
    async llmGenerate(request: LlmRequest): Promise<LlmResponse> {
      const context = Context.current();
      const signal = context.cancellationSignal;
      const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
      try {
        return await generate(request, deps, signal);
      } catch (error) {
        // The SDK reports an abort as its own error; Temporal expects the cancellation back.
        if (signal.aborted) throw signal.reason;
        throw providerFailure(request.provider, error) ?? error;
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}

async function generate(request: LlmRequest, deps: LlmActivityDeps, signal: AbortSignal): Promise<LlmResponse> {
  switch (request.provider) {
    case 'anthropic': {
      const reply = await anthropicClient(deps.anthropic).messages.create(toAnthropicParams(request), { signal });
      return fromAnthropicReply(reply, request.output);
    }
    case 'openai': {
      const params = toOpenAiParams(request, openAiTokenLimitField(deps.openai));
      const reply = await openAiClient(deps.openai).chat.completions.create(params, { signal });
      return fromOpenAiReply(reply, request.output);
    }
  }
}
