import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { missingPromptArguments, promptArgumentProblems, promptArgumentsMessage } from '../../src/mcp/prompt-arguments';
import { ConfigError } from '../../src/config/errors';
import { loadConfig } from '../../src/config/load';
import { resolveAgent } from '../../src/config/resolve';
import {
  clipResource,
  composeSystemPrompt,
  CONTEXT_RESOURCES_HEADING,
  isTextMimeType,
  promptInstructionText,
  resourceElements,
  resourcePartText,
} from '../../src/mcp/agent-context';
import { isConnectionLoss, isNotFoundAnswer, McpNotOfferedError, RESOURCE_NOT_FOUND, serverAnswer } from '../../src/mcp/errors';
import { listAllPages } from '../../src/mcp/tool-list';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('resources as the model reads them', () => {
  it('takes textual MIME types as text once decoded', () => {
    for (const type of ['text/plain', 'text/markdown; charset=utf-8', 'application/json', 'application/vnd.api+json', 'image/svg+xml', 'application/yaml']) {
      expect({ type, text: isTextMimeType(type) }).toEqual({ type, text: true });
    }
    for (const type of [undefined, 'image/png', 'application/octet-stream', 'application/pdf', 'audio/wav']) {
      expect({ type, text: isTextMimeType(type) }).toEqual({ type, text: false });
    }
  });

  it('shows text as it is, decodes textual binary, points at images a model reads, and names other binary content', () => {
    expect(resourcePartText({ uri: 'a:b', text: 'plain' })).toBe('plain');
    expect(resourcePartText({ uri: 'a:b', mimeType: 'text/plain', blob: base64('héllo') })).toBe('héllo');
    expect(resourcePartText({ uri: 'a:b', mimeType: 'image/png', blob: base64('12345') })).toBe(
      '[binary content, image/png, 5 bytes: shown to you as an image at the start of the conversation]',
    );
    expect(resourcePartText({ uri: 'a:b', mimeType: 'image/tiff', blob: base64('12345') })).toBe('[binary content, image/tiff, 5 bytes: not shown]');
    expect(resourcePartText({ uri: 'a:b', blob: base64('xy') })).toBe('[binary content, 2 bytes: not shown]');
  });

  it('wraps each part in a <resource> element with escaped attributes', () => {
    expect(
      resourceElements({
        server: 'docs',
        uri: 'file:///dir',
        parts: [
          { uri: 'file:///dir/a "1".md', mimeType: 'text/markdown', text: '# A\n' },
          { uri: 'file:///dir/b&c.txt', text: 'b' },
        ],
      }),
    ).toEqual([
      '<resource server="docs" uri="file:///dir/a &quot;1&quot;.md" mimeType="text/markdown">\n# A\n</resource>',
      '<resource server="docs" uri="file:///dir/b&amp;c.txt">\nb\n</resource>',
    ]);
    expect(resourceElements({ server: 'docs', uri: 'x:empty', parts: [] })).toEqual(['<resource server="docs" uri="x:empty">\n\n</resource>']);
  });

  it('cuts a resource past the limit, saying how much', () => {
    expect(clipResource('abcdef', 4)).toBe('abcd\n[… 2 more characters cut: the resource was too long]');
    expect(clipResource('abcd', 4)).toBe('abcd');
  });

  it("joins a prompt's messages into one instruction", () => {
    expect(promptInstructionText([{ role: 'user', content: ' First. ' }, { role: 'assistant', content: '' }, { role: 'user', content: 'Second.' }])).toBe(
      'First.\n\nSecond.',
    );
  });

  it('puts the instruction, the prompt and the resources in that order', () => {
    const resources = [{ server: 's', uri: 'a:b', parts: [{ uri: 'a:b', text: 'body' }] }];
    expect(composeSystemPrompt('Be brief.', 'Review X.', resources)).toBe(
      `Be brief.\n\nReview X.\n\n${CONTEXT_RESOURCES_HEADING}\n\n<resource server="s" uri="a:b">\nbody\n</resource>`,
    );
    expect(composeSystemPrompt('Be brief.', undefined, [])).toBe('Be brief.');
    expect(composeSystemPrompt('', 'Only the prompt.', [])).toBe('Only the prompt.');
  });
});

describe('MCP errors for resources and prompts', () => {
  it("reads the server's own answer without the SDK's prefixes, and tells not-found answers apart", () => {
    const notFound = new McpError(ErrorCode.InvalidParams, 'MCP error -32602: Resource demo://x not found');
    expect(serverAnswer(notFound)).toEqual({ code: ErrorCode.InvalidParams, message: 'Resource demo://x not found' });
    expect(isNotFoundAnswer(serverAnswer(notFound)!)).toBe(true);
    expect(isNotFoundAnswer({ code: RESOURCE_NOT_FOUND, message: 'gone' })).toBe(true);
    expect(isNotFoundAnswer({ code: ErrorCode.InvalidParams, message: 'Invalid arguments for prompt p' })).toBe(false);
    expect(isNotFoundAnswer({ code: ErrorCode.InternalError, message: 'Resource not found' })).toBe(false);
    // A lost connection and a timeout are not answers.
    expect(serverAnswer(new McpError(ErrorCode.ConnectionClosed, 'closed'))).toBeUndefined();
    expect(serverAnswer(new McpError(ErrorCode.RequestTimeout, 'slow'))).toBeUndefined();
    expect(serverAnswer(new Error('fetch failed'))).toBeUndefined();
  });

  it('does not take a missing capability for a lost connection', () => {
    const error = new McpNotOfferedError('docs', 'prompts');
    expect(error.message).toBe('MCP server "docs" offers no prompts');
    expect(isConnectionLoss(error)).toBe(false);
  });

  it('names the required prompt arguments a request left out', () => {
    const declared = [{ name: 'city', required: true }, { name: 'state', required: false }, { name: 'zip' }];
    expect(missingPromptArguments(declared, {})).toEqual(['city']);
    expect(missingPromptArguments(declared, { city: '' })).toEqual([]);
    expect(missingPromptArguments(undefined, {})).toEqual([]);
  });

  it('names the arguments a request gives that the prompt does not have, and the ones it has', () => {
    const declared = [{ name: 'city', required: true }, { name: 'state' }];
    const unknown = promptArgumentProblems(declared, { city: 'Paris', bogus: 'x' });
    expect(unknown).toEqual({ missing: [], unknown: ['bogus'] });
    expect(promptArgumentsMessage('everything', 'args-prompt', declared, unknown)).toBe(
      'Prompt "args-prompt" of MCP server "everything" has no argument bogus: its arguments are city (required) and state.',
    );
    const both = promptArgumentProblems(declared, { zip: '1', town: 'x' });
    expect(promptArgumentsMessage('everything', 'args-prompt', declared, both)).toBe(
      'Prompt "args-prompt" of MCP server "everything" needs the argument city and has no arguments zip, town: its arguments are city (required) and state.',
    );
    expect(promptArgumentsMessage('fixture', 'briefing', undefined, promptArgumentProblems(undefined, { topic: 'x' }))).toBe(
      'Prompt "briefing" of MCP server "fixture" has no argument topic: it has none.',
    );
    expect(promptArgumentsMessage('fixture', 'review', [{ name: 'topic', required: true }], promptArgumentProblems([{ name: 'topic', required: true }], {}))).toBe(
      'Prompt "review" of MCP server "fixture" needs the argument topic.',
    );
  });
});

describe('listAllPages', () => {
  it('follows cursors to the last page, and stops at the page limit saying so', async () => {
    const pages: Record<string, { items: number[]; nextCursor?: string }> = {
      start: { items: [1, 2], nextCursor: 'b' },
      b: { items: [3], nextCursor: 'c' },
      c: { items: [4] },
    };
    const truncated = jest.fn();
    expect(await listAllPages(async (cursor) => pages[cursor ?? 'start'], truncated)).toEqual([1, 2, 3, 4]);
    expect(truncated).not.toHaveBeenCalled();
    expect(await listAllPages(async () => ({ items: [0], nextCursor: 'again' }), truncated, 3)).toEqual([0, 0, 0]);
    expect(truncated).toHaveBeenCalledWith(3, 3);
  });
});

describe('agent resources and prompt in the config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'config-resources-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (yaml: string) => {
    writeFileSync(path.join(dir, 'mcp_agent.config.yaml'), yaml);
    return loadConfig({ cwd: dir, env: {} });
  };

  it('resolves "<server>:<uri>" and {server, uri} alike, and the prompt with its default use', () => {
    const config = load(`
mcp:
  servers:
    docs: { url: http://localhost:8000/mcp }
agents:
  reader:
    resources: ["docs:file:///guide.md", { server: docs, uri: "docs://a:b" }]
    prompt: { server: docs, name: review, arguments: { topic: tests } }
`);
    const agent = resolveAgent(config, 'reader', 'reader');
    expect(agent.resources).toEqual([
      { server: 'docs', uri: 'file:///guide.md' },
      { server: 'docs', uri: 'docs://a:b' },
    ]);
    expect(agent.prompt).toEqual({ server: 'docs', name: 'review', arguments: { topic: 'tests' }, as: 'instruction' });
  });

  it('lists every mistake by key path: unknown servers, a string without a server, non-string arguments', () => {
    let error: unknown;
    try {
      load(`
mcp:
  servers:
    docs: { url: http://localhost:8000/mcp }
agents:
  reader:
    resources: ["nope:file:///a.md", "no-server", { server: gone, uri: "x:y" }, { server: docs }]
    prompt: { server: away, name: p, arguments: { n: 3 }, as: system }
`);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(
      expect.arrayContaining([
        'agents.reader.resources[1]: must be "<server>:<uri>", e.g. "docs:file:///guide.md"',
        'agents.reader.resources[3].uri: expected string, received undefined',
        'agents.reader.prompt.arguments.n: expected string, received number',
        'agents.reader.prompt.as: invalid option: expected one of "instruction"|"messages"',
        // The string is split at its first colon as it is parsed: the server is "nope".
        'agents.reader.resources[0].server: unknown MCP server "nope"',
        'agents.reader.resources[2].server: unknown MCP server "gone"',
        'agents.reader.prompt.server: unknown MCP server "away"',
      ]),
    );
  });
});
