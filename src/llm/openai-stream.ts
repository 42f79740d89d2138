import type { ReplyDelta } from './deltas';
import type { OpenAiReply } from './openai';

/**
 * Assembles a streamed Chat Completions reply (`stream: true`, chunks of `choices[0].delta`, and
 * with `stream_options.include_usage` a last chunk with the usage) into the reply the
 * non-streaming call returns, and says what each chunk added. Only the first choice counts, as in
 * fromOpenAiReply.
 */

/** The parts of a chunk the assembly reads; every SDK ChatCompletionChunk is one. */
export interface OpenAiStreamChunk {
  choices?: ReadonlyArray<{
    index?: number;
    delta?: {
      content?: string | null;
      refusal?: string | null;
      tool_calls?: ReadonlyArray<{
        index?: number;
        id?: string | null;
        type?: string | null;
        function?: { name?: string | null; arguments?: string | null } | null;
      }> | null;
    } | null;
    finish_reason?: string | null;
  }> | null;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

interface PartialCall {
  id: string;
  type: string;
  name: string;
  arguments: string;
  /** Its position among the calls seen so far: servers number calls by `index`, not always from 0. */
  position: number;
}

export class OpenAiStreamAssembler {
  private content: string | null = null;
  private refusal: string | null = null;
  private readonly calls = new Map<number, PartialCall>();
  private finishReason: string | null = null;
  private usage?: OpenAiReply['usage'];

  /**
   * Whether the first choice has finished (finish_reason). The SDK ends its iteration quietly when
   * a connection closes cleanly mid-stream; a partial reply must not pass for a whole one.
   */
  get complete(): boolean {
    return this.finishReason !== null;
  }

  /** Takes the next chunk; returns the deltas it carried. */
  push(chunk: OpenAiStreamChunk): ReplyDelta[] {
    if (chunk.usage && typeof chunk.usage.prompt_tokens === 'number') {
      this.usage = { prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.completion_tokens ?? 0 };
    }
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    if (!choice) return [];
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    const delta = choice.delta;
    if (!delta) return [];
    const deltas: ReplyDelta[] = [];
    if (delta.content) {
      this.content = (this.content ?? '') + delta.content;
      deltas.push({ kind: 'text', text: delta.content });
    }
    if (delta.refusal) {
      this.refusal = (this.refusal ?? '') + delta.refusal;
      deltas.push({ kind: 'text', text: delta.refusal });
    }
    for (const part of delta.tool_calls ?? []) deltas.push(this.toolCall(part));
    return deltas;
  }

  reply(): OpenAiReply {
    const calls = [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    return {
      choices: [
        {
          message: {
            content: this.content,
            refusal: this.refusal,
            ...(calls.length > 0 && {
              tool_calls: calls.map((call) => ({
                id: call.id,
                type: call.type,
                function: { name: call.name, arguments: call.arguments },
              })),
            }),
          },
          finish_reason: this.finishReason,
        },
      ],
      ...(this.usage && { usage: this.usage }),
    };
  }

  private toolCall(part: NonNullable<NonNullable<NonNullable<OpenAiStreamChunk['choices']>[number]['delta']>['tool_calls']>[number]): ReplyDelta {
    const key = part.index ?? 0;
    let call = this.calls.get(key);
    if (!call) {
      call = { id: '', type: 'function', name: '', arguments: '', position: this.calls.size };
      this.calls.set(key, call);
    }
    if (part.id) call.id = part.id;
    if (part.type) call.type = part.type;
    if (part.function?.name) call.name += part.function.name;
    const args = part.function?.arguments ?? '';
    call.arguments += args;
    return {
      kind: 'tool_call',
      index: call.position,
      ...(part.id && { id: part.id }),
      ...(part.function?.name && { name: call.name }),
      arguments: args,
    };
  }
}
