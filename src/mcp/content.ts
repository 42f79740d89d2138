import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';

/**
 * Models read text, and workflow history should not carry base64 blobs, so binary parts become a
 * one-line summary and only text reaches the model.
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

function base64Bytes(data: string): number {
  return Buffer.byteLength(data, 'base64');
}
