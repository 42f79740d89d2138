import type { AnthropicReply } from './anthropic';
import type { ReplyDelta } from './deltas';

/**
 * Assembles a streamed Messages API reply (`stream: true`: message_start, content_block_start /
 * _delta / _stop, message_delta, message_stop) into the reply the non-streaming call returns, and
 * says what each event added. Blocks other than text and tool_use (thinking, server tools) are
 * kept out, as fromAnthropicReply ignores them anyway.
 */

/** The parts of a stream event the assembly reads; every SDK RawMessageStreamEvent is one. */
export interface AnthropicStreamEvent {
  type: string;
  index?: number;
  message?: { usage?: Partial<AnthropicReply['usage']> | null };
  content_block?: { type: string; text?: string; id?: string; name?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: Partial<Record<keyof AnthropicReply['usage'], number | null>> | null;
}

type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; json: string; call: number };

export class AnthropicStreamAssembler {
  private readonly blocks = new Map<number, Block>();
  private readonly usage: AnthropicReply['usage'] = { input_tokens: 0, output_tokens: 0 };
  private stopReason: string | null = null;
  private toolCalls = 0;
  private stopped = false;

  /**
   * Whether the stream said the reply is over (message_stop). The SDK ends its iteration quietly
   * when a connection closes cleanly mid-stream; a partial reply must not pass for a whole one.
   */
  get complete(): boolean {
    return this.stopped;
  }

  /** Takes the next event; returns the deltas it carried. */
  push(event: AnthropicStreamEvent): ReplyDelta[] {
    switch (event.type) {
      case 'message_start':
        this.addUsage(event.message?.usage);
        return [];
      case 'content_block_start':
        return this.start(event.index ?? 0, event.content_block);
      case 'content_block_delta':
        return this.delta(event.index ?? 0, event.delta);
      case 'message_delta':
        if (event.delta?.stop_reason !== undefined) this.stopReason = event.delta.stop_reason;
        this.addUsage(event.usage);
        return [];
      case 'message_stop':
        this.stopped = true;
        return [];
      default:
        return [];
    }
  }

  reply(): AnthropicReply {
    const content = [...this.blocks.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, block]) =>
        block.type === 'text'
          ? { type: 'text', text: block.text }
          : { type: 'tool_use', id: block.id, name: block.name, input: parseInput(block.json) },
      );
    return { content, stop_reason: this.stopReason, usage: { ...this.usage } };
  }

  private start(index: number, block: AnthropicStreamEvent['content_block']): ReplyDelta[] {
    if (block?.type === 'text') {
      const text = block.text ?? '';
      this.blocks.set(index, { type: 'text', text });
      return text ? [{ kind: 'text', text }] : [];
    }
    if (block?.type === 'tool_use') {
      const call = this.toolCalls++;
      const id = String(block.id ?? '');
      const name = String(block.name ?? '');
      this.blocks.set(index, { type: 'tool_use', id, name, json: '', call });
      return [{ kind: 'tool_call', index: call, id, name, arguments: '' }];
    }
    return [];
  }

  private delta(index: number, delta: AnthropicStreamEvent['delta']): ReplyDelta[] {
    const block = this.blocks.get(index);
    if (!block || !delta) return [];
    if (block.type === 'text' && delta.type === 'text_delta' && delta.text) {
      block.text += delta.text;
      return [{ kind: 'text', text: delta.text }];
    }
    if (block.type === 'tool_use' && delta.type === 'input_json_delta' && delta.partial_json) {
      block.json += delta.partial_json;
      return [{ kind: 'tool_call', index: block.call, arguments: delta.partial_json }];
    }
    return [];
  }

  /** message_start has the input side; message_delta's figures are cumulative and win where given. */
  private addUsage(usage: AnthropicStreamEvent['usage'] | undefined): void {
    if (!usage) return;
    for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
      const value = usage[key];
      if (typeof value === 'number') this.usage[key] = value;
    }
  }
}

/** A tool_use block with no input deltas has the input `{}`, as the non-streaming reply says. */
function parseInput(json: string): unknown {
  if (json.trim() === '') return {};
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return {};
  }
}
