import { Context } from '@temporalio/activity';
import { contextView } from '../src/conversation/context';
import { preview } from '../src/conversation/preview';
import type { ConversationStore } from '../src/conversation/store';
import { coveredMessages, messagesAfter, summaryCut, summaryRequestText, SUMMARY_SYSTEM_PROMPT, systemWithSummary } from '../src/conversation/summary';
import { messageTokens, textTokens, toolsTokens } from '../src/conversation/tokens';
import { fromAnthropicReply, toAnthropicParams } from '../src/llm/anthropic';
import { AnthropicStreamAssembler, type AnthropicStreamEvent } from '../src/llm/anthropic-stream';
import { anthropicClient, openAiClient, openAiTokenLimitField, type ProviderSettings } from '../src/llm/clients';
import { providerFailure } from '../src/llm/errors';
import type { LlmRequest, LlmResponse, ToolDefinition } from '../src/llm/messages';
import type { DeltaSink } from '../src/llm/deltas';
import { fromOpenAiReply, toOpenAiParams } from '../src/llm/openai';
import { OpenAiStreamAssembler, type OpenAiStreamChunk } from '../src/llm/openai-stream';
import { costOf, priceOf, type ModelPrice } from '../src/llm/pricing';
import { requestTimeoutMs } from '../src/llm/timeouts';
import type { DeltaPublisher } from '../src/streaming/nats';
import type {
  Interned,
  LlmGenerateRequest,
  LlmGenerateResponse,
  LoopLlmRequest,
  LoopLlmResponse,
  SummarizeRequest,
  SummarizeResponse,
} from './contracts';

/** The config file's `anthropic:` and `openai:` sections, passed as they are, and the worker's store. */
export interface LlmActivityDeps {
  anthropic?: ProviderSettings;
  openai?: ProviderSettings;
  conversations: ConversationStore;
  /** The config's `pricing`, over the defaults: each call's usage says what it cost. */
  pricing?: Record<string, ModelPrice>;
  /**
   * Where streamed deltas go (README, "Streaming"). With one, model turns stream from the provider
   * and publish what arrives; without, they are plain requests. Either way the activity's result is
   * the same whole reply.
   */
  deltas?: DeltaPublisher;
}

/**
 * Often enough that a worker that died mid-call is noticed within any sensible heartbeat timeout;
 * the worker throttles what it actually sends to the server.
 */
const HEARTBEAT_INTERVAL_MS = 1000;

/** Each HTTP request of a call: aborted when the run cancels it, timed out a little before the attempt. */
interface CallOptions {
  signal: AbortSignal;
  timeout: number;
  /** The deltas of a streamed reply; absent: the call does not stream. */
  deltas?: DeltaSink;
}

export function createLlmActivities(deps: LlmActivityDeps) {
  return {
    /** One model call. Heartbeats while waiting, and a cancelled run aborts the HTTP request. */
    async llmGenerate(request: LlmGenerateRequest): Promise<LlmGenerateResponse> {
      const context = Context.current();
      const signal = context.cancellationSignal;
      const call: CallOptions = { signal, timeout: requestTimeoutMs(context.info.startToCloseTimeoutMs) };
      const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
      const { workflowExecution, activityId, attempt } = context.info;
      // A summary is housekeeping, not a turn anyone watches being written (its event is context_summarized).
      const stream =
        deps.deltas && workflowExecution && !('summarize' in request) && deps[request.provider]?.stream !== false
          ? deps.deltas.forCall({ workflowId: workflowExecution.workflowId, activityId, attempt })
          : undefined;
      if (stream) call.deltas = stream.sink;
      try {
        if ('summarize' in request) return await summarize(request, deps, call);
        const reply = 'log' in request ? await loopTurn(request, deps, call) : await generate(await withImages(request, deps.conversations), deps, call);
        // The last deltas reach the API before the result does (through Temporal), so none lands after llm_finished.
        await stream?.flush();
        return reply;
      } catch (error) {
        // What arrived before the failure still goes out; nobody waits for it.
        void stream?.flush();
        // The SDK reports an abort as its own error; Temporal expects the cancellation back.
        if (signal.aborted) throw signal.reason;
        throw providerFailure(request.provider, error) ?? error;
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}

/**
 * A loop's next turn: the stored conversation and what is new, cut to the context budget, goes to
 * the model; what is new and the reply are stored as the conversation's next entry.
 */
async function loopTurn(request: LoopLlmRequest, deps: LlmActivityDeps, call: CallOptions): Promise<LoopLlmResponse> {
  const store = deps.conversations;
  const [system, tools, chain, summaryText] = await Promise.all([
    interned(request.system, store, (texts) => texts.join('')),
    interned(request.tools, store, (lists) => lists.flat()),
    store.chain(request.log.head, request.summary?.upTo),
    request.summary ? store.text(request.summary.key) : undefined,
  ]);
  const cut = request.summary ? chain.findIndex((link) => link.key === request.summary!.upTo) : -1;
  const conversation = [...messagesAfter(chain, cut), ...request.log.append];
  const base = request.systemSuffix ? `${system.value}\n\n${request.systemSuffix}` : system.value;
  const systemText = summaryText === undefined ? base : systemWithSummary(base, summaryText);
  const fixedTokens = textTokens(systemText.length) + toolsTokensOf(tools.value);
  const view = contextView(conversation, fixedTokens, request.context);
  const reply = await generate(
    {
      provider: request.provider,
      model: request.model,
      ...(systemText && { system: systemText }),
      messages: await store.resolve(view.messages, { images: true }),
      tools: tools.value,
      maxTokens: request.maxTokens,
      temperature: request.temperature,
      stopSequences: request.stopSequences,
      parallelToolCalls: request.parallelToolCalls,
    },
    deps,
    call,
  );
  const head = await store.append(request.log.head, [...request.log.append, { ...reply.message, turn: request.turn }]);
  return {
    ...reply,
    head,
    keys: { ...(sendsKeyFromNowOn(request.system, system) && { system: system.key }), ...(sendsKeyFromNowOn(request.tools, tools) && { tools: tools.key }) },
    context: {
      tokens: view.tokens,
      fullTokens: view.fullTokens + messageTokens(reply.message),
      dropped: view.dropped,
      stubbed: view.stubbed,
    },
  };
}

/**
 * A tool list's tokens, once per list: from the second turn on, a loop's tool list is the store's
 * cached value (ConversationStore.json), the same object every turn, which is not measured again.
 */
const toolsTokensByList = new WeakMap<readonly ToolDefinition[], number>();
function toolsTokensOf(tools: readonly ToolDefinition[]): number {
  let tokens = toolsTokensByList.get(tools);
  if (tokens === undefined) {
    tokens = toolsTokens(tools);
    toolsTokensByList.set(tools, tokens);
  }
  return tokens;
}

async function interned<T extends string | ToolDefinition[]>(
  value: Interned<T>,
  store: ConversationStore,
  join: (parts: T[]) => T,
): Promise<{ value: T; key: string }> {
  if ('key' in value) return { value: await store.json<T>(value.key), key: value.key };
  const whole = await internedValue(value, store, join);
  return { value: whole, key: await store.putJson(whole) };
}

/**
 * Whether the workflow is to send the key from now on in place of what it sent: not when it sent
 * the key (history holds it already), nor when what it sent is shorter than the key (a one-line
 * prompt, an empty list).
 */
function sendsKeyFromNowOn(sent: Interned<unknown>, stored: { key: string }): boolean {
  return !('key' in sent) && JSON.stringify(sent).length > JSON.stringify({ key: stored.key }).length;
}

/** An interned value as it is; parts put together in order (lists end to end, texts one after another). */
async function internedValue<T>(value: Interned<T>, store: ConversationStore, join: (parts: T[]) => T): Promise<T> {
  if ('key' in value) return store.json<T>(value.key);
  if (!('parts' in value)) return value.value;
  return join(await Promise.all(value.parts.map((part) => internedValue(part, store, join))));
}

/** Summarizes the conversation's start, from where the last summary ended to where the activity picks. */
async function summarize(request: SummarizeRequest, deps: LlmActivityDeps, call: CallOptions): Promise<SummarizeResponse> {
  const store = deps.conversations;
  const chain = await store.chain(request.head, request.summary?.upTo);
  const from = request.summary ? chain.findIndex((link) => link.key === request.summary!.upTo) + 1 : 0;
  const cut = summaryCut(chain, from, request.summarize.keepTokens, request.summarize.pending);
  const noUsage = { inputTokens: 0, outputTokens: 0 };
  if (cut === undefined || cut < from) return { usage: noUsage };
  const covered = await store.resolve(coveredMessages(chain, from, cut));
  if (covered.length === 0) return { usage: noUsage };
  const previous = request.summary ? await store.text(request.summary.key) : undefined;
  const reply = await generate(
    {
      provider: request.provider,
      model: request.model,
      system: SUMMARY_SYSTEM_PROMPT,
      messages: [{ role: 'user', content: summaryRequestText(previous, covered) }],
      tools: [],
      maxTokens: request.maxTokens,
    },
    deps,
    call,
  );
  const text = reply.message.content.trim();
  return {
    // The whole summary is in the store; history and events need only its start.
    summary: { upTo: chain[cut].key, key: await store.putText(text), text: preview(text), messages: covered.length },
    usage: reply.usage,
  };
}

/**
 * A plain call whose messages carry stored images (a sampling request's, src/mcp/server-requests.ts)
 * with their bytes read back, as a loop's turn has them: history carries only the references.
 */
async function withImages(request: LlmRequest, store: ConversationStore): Promise<LlmRequest> {
  const refers = request.messages.some((message) => message.role !== 'assistant' && message.images?.some((image) => image.data === undefined));
  return refers ? { ...request, messages: await store.resolve(request.messages, { images: true }) } : request;
}

async function generate(request: LlmRequest, deps: LlmActivityDeps, call: CallOptions): Promise<LlmResponse> {
  const reply = await callProvider(request, deps, call);
  const price = priceOf(request.model, deps.pricing);
  return price ? { ...reply, usage: { ...reply.usage, costUsd: costOf(reply.usage, price) } } : reply;
}

async function callProvider(request: LlmRequest, deps: LlmActivityDeps, call: CallOptions): Promise<LlmResponse> {
  const options = { signal: call.signal, timeout: call.timeout };
  const sink = call.deltas;
  switch (request.provider) {
    case 'anthropic': {
      const client = anthropicClient(deps.anthropic);
      const params = toAnthropicParams(request);
      if (!sink) return fromAnthropicReply(await client.messages.create(params, options), request.output);
      const assembler = new AnthropicStreamAssembler();
      const events = await client.messages.create({ ...params, stream: true }, options);
      for await (const event of events) publish(assembler.push(event as AnthropicStreamEvent), sink);
      if (!assembler.complete) throw new IncompleteStreamError('anthropic');
      return fromAnthropicReply(assembler.reply(), request.output);
    }
    case 'openai': {
      const client = openAiClient(deps.openai);
      const params = toOpenAiParams(request, openAiTokenLimitField(deps.openai));
      if (!sink) return fromOpenAiReply(await client.chat.completions.create(params, options), request.output);
      const assembler = new OpenAiStreamAssembler();
      // Without include_usage a streamed reply says nothing of its tokens.
      const chunks = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }, options);
      for await (const chunk of chunks) publish(assembler.push(chunk as OpenAiStreamChunk), sink);
      if (!assembler.complete) throw new IncompleteStreamError('openai');
      return fromOpenAiReply(assembler.reply(), request.output);
    }
  }
}

/** A stream that ended before its reply did: the attempt fails, and Temporal retries the call. */
class IncompleteStreamError extends Error {
  constructor(provider: string) {
    super(`the ${provider} stream ended before the reply was complete`);
    this.name = 'IncompleteStreamError';
  }
}

/** A sink that throws must not fail the call: deltas are only for watching. */
function publish(deltas: ReturnType<AnthropicStreamAssembler['push']>, sink: DeltaSink): void {
  for (const delta of deltas) {
    try {
      sink(delta);
    } catch {
      // Best effort.
    }
  }
}

