import { startScriptedProvider, type RecordedRequest, type ScriptedProvider, type ScriptedReply } from '../testing/scripted-model';

/**
 * The model `npm run dev` answers with when no provider is configured (src/dev/main.ts), so that a
 * fresh checkout shows a run end to end before anyone has a key. It cannot think: it adds the first
 * two numbers of the question with a tool that takes `{a, b}` (the shipped `calc` workflow's
 * everything-get-sum), answers with what the tool said, and otherwise says what it is and how to
 * configure a real model. Both wire formats, streamed or not, as the scripted model serves them.
 */

export const DEMO_MODEL_NOTICE =
  'This answer comes from the demo model that `npm run dev` starts when no model provider is configured: it can only ' +
  'add two numbers with a tool that takes {a, b} (such as the calc workflow\'s everything-get-sum) and write no JSON. Set OPENAI_API_KEY or ' +
  'ANTHROPIC_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server) and restart npm run dev for a real model.';

/** A long-lived server: it keeps no request bodies. */
export function startDemoModel(): Promise<ScriptedProvider> {
  return startScriptedProvider({ fallback: demoReply, keepRequests: false });
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The text of a message's content, string or parts (OpenAI's text parts, Anthropic's text blocks and tool results). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return list(content)
    .map((part) => (isRecord(part) ? (typeof part.text === 'string' ? part.text : part.type === 'tool_result' ? textOf(part.content) : '') : ''))
    .join('');
}

/** What the tool said, when the last message is a tool's result (OpenAI's `tool` role, Anthropic's tool_result block). */
function toolResult(request: RecordedRequest, last: Json): string | undefined {
  if (request.provider === 'openai') return last.role === 'tool' ? textOf(last.content) : undefined;
  const results = list(last.content).filter((part) => isRecord(part) && part.type === 'tool_result');
  return last.role === 'user' && results.length > 0 ? textOf(results) : undefined;
}

/** An offered tool whose input schema has numbers `a` and `b`, by its name as the request gives it. */
function sumTool(request: RecordedRequest): string | undefined {
  for (const tool of list(request.body.tools)) {
    if (!isRecord(tool)) continue;
    const fn = isRecord(tool.function) ? tool.function : tool;
    const schema = request.provider === 'openai' ? fn.parameters : tool.input_schema;
    const properties = isRecord(schema) && isRecord(schema.properties) ? schema.properties : {};
    if (typeof fn.name === 'string' && 'a' in properties && 'b' in properties) return fn.name;
  }
  return undefined;
}

/** No tokens: nothing was spent, so the run's usage and cost (priced by the configured model's name) stay at zero. */
const NO_USAGE = { input: 0, output: 0 };

export function demoReply(request: RecordedRequest): ScriptedReply {
  return { ...reply(request), usage: NO_USAGE };
}

function reply(request: RecordedRequest): ScriptedReply {
  const messages = list(request.body.messages).filter(isRecord);
  const last = messages[messages.length - 1];
  if (!last) return { text: DEMO_MODEL_NOTICE };
  const said = toolResult(request, last);
  if (said !== undefined) return { text: said };
  const numbers = (textOf(last.content).match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
  const tool = sumTool(request);
  if (tool && numbers.length >= 2) return { toolCalls: [{ name: tool, arguments: { a: numbers[0], b: numbers[1] } }] };
  return { text: DEMO_MODEL_NOTICE };
}
