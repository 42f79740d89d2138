import type { RecordedRequest } from '../../src/testing/scripted-model';

/** What the model was shown, read from the wire body of a recorded provider request. */

export interface SeenToolResult {
  toolCallId: string;
  content: string;
  isError: boolean;
}

type Json = Record<string, unknown>;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c) => (c as Json).text ?? '').join('');
  return '';
}

export function toolResultsSeen(request: RecordedRequest): SeenToolResult[] {
  const messages = request.body.messages as Json[];
  if (request.provider === 'openai') {
    return messages
      .filter((m) => m.role === 'tool')
      .map((m) => ({
        toolCallId: String(m.tool_call_id),
        content: textOf(m.content),
        // The OpenAI wire format has no error flag; our converter marks errors in the text.
        isError: /^error:/i.test(textOf(m.content)),
      }));
  }
  return messages.flatMap((m) =>
    Array.isArray(m.content)
      ? (m.content as Json[])
          .filter((b) => b.type === 'tool_result')
          .map((b) => ({ toolCallId: String(b.tool_use_id), content: textOf(b.content), isError: b.is_error === true }))
      : [],
  );
}

export function toolNamesOffered(request: RecordedRequest): string[] {
  const tools = (request.body.tools as Json[] | undefined) ?? [];
  return tools.map((t) => String(request.provider === 'openai' ? (t.function as Json).name : t.name));
}

/**
 * The conversation a model was sent, one line per message (`user: …`, `assistant: …`,
 * `tool: …`), system prompt left out; for OpenAI's wire format.
 */
export function conversationSeen(request: RecordedRequest): string[] {
  const messages = request.body.messages as Json[];
  return messages
    .filter((m) => m.role !== 'system')
    .map((m) => {
      const calls = Array.isArray(m.tool_calls) ? (m.tool_calls as Json[]).map((c) => `[${(c.function as Json).name}]`).join('') : '';
      return `${String(m.role)}: ${textOf(m.content)}${calls}`;
    });
}

export function systemSeen(request: RecordedRequest): string {
  const messages = request.body.messages as Json[];
  if (request.provider === 'openai') return textOf(messages.find((m) => m.role === 'system')?.content);
  return typeof request.body.system === 'string' ? request.body.system : textOf(request.body.system);
}
