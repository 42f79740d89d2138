import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import { MODEL_IMAGE_TYPES } from '../llm/messages';

/**
 * Workflow history should not carry base64 blobs, so binary parts become a one-line summary in the
 * text; images a model can read also go to the store and reach the model beside that text
 * (`toolResultImages`).
 */
/**
 * A long tool result is stored once and history carries its key (src/conversation/store.ts), but
 * every later model call of the run is sent it whole: past this, a result is cut, with a note that
 * tells the model so, before it crowds out the rest of the context.
 */
export const MAX_TOOL_RESULT_CHARS = 256 * 1024;

export function toolResultText(result: Pick<CallToolResult, 'content' | 'structuredContent'>): string {
  const parts = (result.content ?? []).map(contentBlockText);
  const hasText = (result.content ?? []).some((block) => block.type === 'text');
  if (!hasText && result.structuredContent !== undefined) parts.unshift(JSON.stringify(result.structuredContent));
  return clip(parts.join('\n'), MAX_TOOL_RESULT_CHARS);
}

export function clip(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}\n[… ${text.length - limit} more characters cut: the tool's result was too long]`;
}

export function contentBlockText(block: ContentBlock): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
    case 'audio':
      return `[${block.type} ${block.mimeType}, ${base64Bytes(block.data)} bytes]`;
    case 'resource': {
      const { resource } = block;
      if ('text' in resource && typeof resource.text === 'string') return resource.text;
      const size = 'blob' in resource && typeof resource.blob === 'string' ? `, ${base64Bytes(resource.blob)} bytes` : '';
      return `[resource ${resource.uri}${resource.mimeType ? ` ${resource.mimeType}` : ''}${size}]`;
    }
    case 'resource_link':
      return `[resource ${block.uri}${block.name ? ` (${block.name})` : ''}]`;
    default:
      return `[${(block as { type: string }).type} content]`;
  }
}

/** Anthropic's limit for one image; a larger one stays a line of text. */
export const MAX_MODEL_IMAGE_BYTES = 5 * 1024 * 1024;

/** The images of a result a model can be shown: image parts and image resources, base64 as MCP carries them. */
export function toolResultImages(result: Pick<CallToolResult, 'content'>): Array<{ data: string; mimeType: string }> {
  return (result.content ?? []).flatMap((block) => {
    const image =
      block.type === 'image'
        ? { data: block.data, mimeType: block.mimeType }
        : block.type === 'resource' && 'blob' in block.resource && typeof block.resource.blob === 'string'
          ? { data: block.resource.blob, mimeType: block.resource.mimeType ?? '' }
          : undefined;
    return image && modelReadableImage(image) ? [image] : [];
  });
}

export function modelReadableImage(image: { data: string; mimeType: string }): boolean {
  return MODEL_IMAGE_TYPES.includes(image.mimeType) && base64Bytes(image.data) <= MAX_MODEL_IMAGE_BYTES;
}

function base64Bytes(data: string): number {
  return Buffer.byteLength(data, 'base64');
}
