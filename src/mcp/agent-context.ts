import { MAX_TOOL_RESULT_CHARS, modelReadableImage } from './content';
import { isTextMimeType } from './mime-types';

/**
 * How an agent's MCP prompt and resources (its spec's `prompt` and `resources`) become what the
 * model reads: the instruction, then the prompt's text when it is used as the instruction, then
 * each resource in a `<resource>` element. Pure; the compose activity reads stored content back
 * before it calls these.
 */

/** One part of a resource, whole: text, or the base64 of binary content. */
export interface ResourcePart {
  uri: string;
  mimeType?: string;
  text?: string;
  blob?: string;
}

export interface ContextResource {
  server: string;
  /** The URI the spec names; each part has its own (a directory may answer with several). */
  uri: string;
  parts: ResourcePart[];
}

export const CONTEXT_RESOURCES_HEADING =
  'Resources given to you as context (read from MCP servers when this run started):';

/** Past this, one resource is cut, with a note, before it crowds out the rest of the context. */
export const MAX_CONTEXT_RESOURCE_CHARS = MAX_TOOL_RESULT_CHARS;

export { isTextMimeType };

export function base64Bytes(base64: string): number {
  return Buffer.byteLength(base64, 'base64');
}

/** An image part the model is shown as an image (beside the system prompt, in the conversation's first messages). */
export function isContextImage(part: ResourcePart): part is ResourcePart & { blob: string; mimeType: string } {
  return part.text === undefined && part.blob !== undefined && part.mimeType !== undefined && modelReadableImage({ data: part.blob, mimeType: part.mimeType });
}

/**
 * A part as the model reads it: text as it is; binary content decoded when its type is textual;
 * an image a model can read, a line that points at it; else a line that says what it is.
 */
export function resourcePartText(part: ResourcePart): string {
  if (part.text !== undefined) return part.text;
  const blob = part.blob ?? '';
  if (isTextMimeType(part.mimeType)) return Buffer.from(blob, 'base64').toString('utf8');
  const shown = isContextImage(part) ? 'shown to you as an image at the start of the conversation' : 'not shown';
  return `[binary content${part.mimeType ? `, ${part.mimeType}` : ''}, ${base64Bytes(blob)} bytes: ${shown}]`;
}

export function clipResource(text: string, limit = MAX_CONTEXT_RESOURCE_CHARS): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}\n[… ${text.length - limit} more characters cut: the resource was too long]`;
}

function attribute(value: string): string {
  return `"${value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`;
}

/** Each part of a resource as a `<resource server=... uri=... mimeType=...>` element. */
export function resourceElements(resource: ContextResource): string[] {
  const parts = resource.parts.length > 0 ? resource.parts : [{ uri: resource.uri, text: '' }];
  return parts.map((part) => {
    const attributes = [`server=${attribute(resource.server)}`, `uri=${attribute(part.uri)}`];
    if (part.mimeType) attributes.push(`mimeType=${attribute(part.mimeType)}`);
    const text = clipResource(resourcePartText(part)).replace(/\n?$/, '\n');
    return `<resource ${attributes.join(' ')}>\n${text}</resource>`;
  });
}

/** A prompt's messages as one instruction: their texts, in order, a blank line apart. */
export function promptInstructionText(messages: readonly { role: string; content: string }[]): string {
  return messages
    .map((message) => message.content.trim())
    .filter((text) => text.length > 0)
    .join('\n\n');
}

/** The system prompt: the instruction, the prompt's text (when it is the instruction), the resources. */
export function composeSystemPrompt(instruction: string, promptText: string | undefined, resources: readonly ContextResource[]): string {
  const sections = [instruction.trim()];
  if (promptText) sections.push(promptText);
  if (resources.length > 0) sections.push([CONTEXT_RESOURCES_HEADING, ...resources.flatMap(resourceElements)].join('\n\n'));
  return sections.filter((section) => section.length > 0).join('\n\n');
}
