import { clip, MAX_TOOL_RESULT_CHARS, toolResultText } from '../../src/mcp/content';

const PNG_BYTES = Buffer.from('not really a png, but 34 bytes....');

describe('toolResultText', () => {
  it('joins text parts with newlines', () => {
    const text = toolResultText({
      content: [
        { type: 'text', text: 'first' },
        { type: 'text', text: 'second' },
      ],
    });
    expect(text).toBe('first\nsecond');
  });

  it('summarises images and audio by type, mime type and decoded size', () => {
    const text = toolResultText({
      content: [
        { type: 'image', mimeType: 'image/png', data: PNG_BYTES.toString('base64') },
        { type: 'audio', mimeType: 'audio/wav', data: Buffer.alloc(1234).toString('base64') },
      ],
    });
    expect(text).toBe(`[image image/png, ${PNG_BYTES.length} bytes]\n[audio audio/wav, 1234 bytes]`);
  });

  it('inlines text resources and summarises binary ones and links', () => {
    const text = toolResultText({
      content: [
        { type: 'resource', resource: { uri: 'file:///a.txt', mimeType: 'text/plain', text: 'contents of a' } },
        { type: 'resource', resource: { uri: 'file:///b.bin', mimeType: 'application/zip', blob: Buffer.alloc(10).toString('base64') } },
        { type: 'resource_link', uri: 'file:///c.md', name: 'c' },
      ],
    });
    expect(text).toBe('contents of a\n[resource file:///b.bin application/zip, 10 bytes]\n[resource file:///c.md (c)]');
  });

  it('uses structured content as JSON when there is no text part', () => {
    expect(toolResultText({ content: [], structuredContent: { sum: 3 } })).toBe('{"sum":3}');
    expect(
      toolResultText({
        content: [{ type: 'image', mimeType: 'image/png', data: PNG_BYTES.toString('base64') }],
        structuredContent: { sum: 3 },
      }),
    ).toBe(`{"sum":3}\n[image image/png, ${PNG_BYTES.length} bytes]`);
  });

  it('prefers the text parts over structured content that repeats them', () => {
    expect(toolResultText({ content: [{ type: 'text', text: '3' }], structuredContent: { sum: 3 } })).toBe('3');
  });

  it('is empty for a result with nothing in it', () => {
    expect(toolResultText({ content: [] })).toBe('');
  });
});

describe('oversized results', () => {
  it('cuts text past the limit and says so', () => {
    const long = 'y'.repeat(MAX_TOOL_RESULT_CHARS + 10);
    const text = toolResultText({ content: [{ type: 'text', text: long }] });
    expect(text.startsWith('y'.repeat(MAX_TOOL_RESULT_CHARS))).toBe(true);
    expect(text).toContain('10 more characters cut');
    expect(clip('short', 10)).toBe('short');
  });
});
