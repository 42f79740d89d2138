/**
 * Resources and prompts through the pool and their activities, against real servers:
 * server-everything over stdio and our fixture over streamable HTTP. No Temporal server needed:
 * MockActivityEnvironment supplies the activity context and the activities run for real.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMcpActivities } from '../../activities/mcp';
import { createMcpResourceActivities } from '../../activities/mcp-resources';
import type { McpReadResourceResult } from '../../activities/contracts';
import { FailureTypes } from '../../src/failure-types';
import { CONTEXT_RESOURCES_HEADING } from '../../src/mcp/agent-context';
import { McpPool } from '../../src/mcp/pool';
import { FIXTURE_PIXEL_PNG, FIXTURE_README, startFixtureHttpServer, type FixtureHttpServer } from '../fixtures/mcp-fixture-server';
import { scratchConversationStore } from '../support/stores';

jest.setTimeout(60_000);

const scratchDir = mkdtempSync(path.join(tmpdir(), 'mcp-resources-'));
afterAll(() => rmSync(scratchDir, { recursive: true, force: true }));

const everythingEntry = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

function run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn, ...args);
}

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('MCP resources and prompts', () => {
  let fixture: FixtureHttpServer;
  let toolsOnly: FixtureHttpServer;
  let pool: McpPool;
  const conversations = scratchConversationStore(1024);
  let activities: ReturnType<typeof createMcpResourceActivities>;

  beforeAll(async () => {
    fixture = await startFixtureHttpServer();
    toolsOnly = await startFixtureHttpServer(0, { canExit: false, toolsOnly: true });
    pool = new McpPool({
      everything: { command: process.execPath, args: [everythingEntry, 'stdio'] },
      fixture: { url: fixture.url },
      tools_only: { url: toolsOnly.url },
      // A stdio "server" that exits at once.
      gone: { command: process.execPath, args: ['-e', ''] },
    });
    activities = createMcpResourceActivities(pool, conversations);
  });

  afterAll(async () => {
    await pool.close();
    await fixture.close();
    await toolsOnly.close();
  });

  describe('server-everything over stdio', () => {
    it('lists its static resources and its templates', async () => {
      const resources = await run(activities.mcpListResources, { server: 'everything' });
      expect(resources).toContainEqual(
        expect.objectContaining({ uri: 'demo://resource/static/document/features.md', name: 'features.md', mimeType: 'text/markdown' }),
      );
      const templates = await run(activities.mcpListResourceTemplates, { server: 'everything' });
      expect(templates.map((t) => t.uriTemplate)).toEqual(
        expect.arrayContaining(['demo://resource/dynamic/text/{resourceId}', 'demo://resource/dynamic/blob/{resourceId}']),
      );
    });

    it('reads a long text resource into the store, with its start inline', async () => {
      const result = await run(activities.mcpReadResource, { server: 'everything', uri: 'demo://resource/static/document/features.md' });
      const [content] = result.contents;
      expect(content).toMatchObject({ uri: 'demo://resource/static/document/features.md', mimeType: 'text/markdown' });
      expect(content.stored).toBeDefined();
      expect(content.text!.length).toBeLessThan(300);
      const whole = await conversations.text(content.stored!.key);
      expect(whole).toContain('# Everything Server - Features');
      expect(whole.startsWith(content.text!.slice(0, -1))).toBe(true);
    });

    it('keeps a short binary resource as base64 with its MIME type', async () => {
      const result = await run(activities.mcpReadResource, { server: 'everything', uri: 'demo://resource/dynamic/blob/3' });
      const [content] = result.contents;
      expect(content.mimeType).toBe('text/plain');
      expect(content.stored).toBeUndefined();
      expect(Buffer.from(content.blob!, 'base64').toString('utf8')).toMatch(/^Resource 3: This is a base64 blob/);
      expect(content.bytes).toBe(Buffer.from(content.blob!, 'base64').length);
    });

    it('lists its prompts with their arguments and gets one', async () => {
      const prompts = await run(activities.mcpListPrompts, { server: 'everything' });
      expect(prompts).toContainEqual({
        name: 'args-prompt',
        title: 'Arguments Prompt',
        description: 'A prompt with two arguments, one required and one optional',
        arguments: [
          { name: 'city', description: 'Name of the city', required: true },
          { name: 'state', required: false },
        ],
      });
      const prompt = await run(activities.mcpGetPrompt, { server: 'everything', name: 'args-prompt', arguments: { city: 'Paris' } });
      expect(prompt.messages).toEqual([{ role: 'user', content: "What's weather in Paris?" }]);
    });

    it('fails without retries on an unknown resource, an unknown prompt and missing arguments', async () => {
      const unknownUri = await failure(run(activities.mcpReadResource, { server: 'everything', uri: 'demo://nothing/here' }));
      expect(unknownUri.type).toBe(FailureTypes.McpRequestFailed);
      expect(unknownUri.nonRetryable).toBe(true);
      expect(unknownUri.message).toBe('MCP server "everything" could not read the resource "demo://nothing/here": Resource demo://nothing/here not found');

      const unknownPrompt = await failure(run(activities.mcpGetPrompt, { server: 'everything', name: 'no-such-prompt' }));
      expect(unknownPrompt).toMatchObject({ type: FailureTypes.McpRequestFailed, nonRetryable: true });
      expect(unknownPrompt.message).toContain('Prompt no-such-prompt not found');

      const missing = await failure(run(activities.mcpGetPrompt, { server: 'everything', name: 'args-prompt' }));
      expect(missing).toMatchObject({ type: FailureTypes.McpRequestFailed, nonRetryable: true });
      expect(missing.message).toBe('Prompt "args-prompt" of MCP server "everything" needs the argument city');
    });

    it("fails without retries on an argument the prompt does not have, which the server would take and drop", async () => {
      const unknown = await failure(run(activities.mcpGetPrompt, { server: 'everything', name: 'args-prompt', arguments: { city: 'Paris', bogus: 'x' } }));
      expect(unknown).toMatchObject({ type: FailureTypes.McpRequestFailed, nonRetryable: true });
      expect(unknown.message).toBe('Prompt "args-prompt" of MCP server "everything" has no argument bogus: its arguments are city (required) and state');
    });
  });

  describe('fixture over streamable HTTP', () => {
    it('lists its resources, templates and prompts', async () => {
      expect(await run(activities.mcpListResources, { server: 'fixture' })).toEqual([
        { uri: 'fixture://notes/readme', name: 'readme', title: 'Fixture notes', description: 'A short markdown note', mimeType: 'text/markdown' },
        { uri: 'fixture://images/pixel.png', name: 'pixel', description: 'A 1x1 PNG', mimeType: 'image/png' },
      ]);
      expect((await run(activities.mcpListResourceTemplates, { server: 'fixture' })).map((t) => t.uriTemplate)).toEqual([
        'fixture://echo/{text}',
        'fixture://lines/{count}',
      ]);
      expect((await run(activities.mcpListPrompts, { server: 'fixture' })).map((p) => p.name)).toEqual(['review', 'briefing']);
    });

    it('reads text as text and a PNG as base64 image/png', async () => {
      expect(await run(activities.mcpReadResource, { server: 'fixture', uri: 'fixture://notes/readme' })).toEqual({
        contents: [{ uri: 'fixture://notes/readme', mimeType: 'text/markdown', text: FIXTURE_README }],
      });
      expect(await run(activities.mcpReadResource, { server: 'fixture', uri: 'fixture://images/pixel.png' })).toEqual({
        contents: [{ uri: 'fixture://images/pixel.png', mimeType: 'image/png', blob: FIXTURE_PIXEL_PNG, bytes: 70 }],
      });
    });

    it('reads a resource a template makes', async () => {
      const result = await run(activities.mcpReadResource, { server: 'fixture', uri: 'fixture://echo/hello%20there' });
      expect(result.contents[0].text).toBe('echo: hello there');
    });
  });

  it('lists nothing, and refuses reads and prompts without asking, for a server that offers neither', async () => {
    expect(await run(activities.mcpListResources, { server: 'tools_only' })).toEqual([]);
    expect(await run(activities.mcpListResourceTemplates, { server: 'tools_only' })).toEqual([]);
    expect(await run(activities.mcpListPrompts, { server: 'tools_only' })).toEqual([]);
    const read = await failure(run(activities.mcpReadResource, { server: 'tools_only', uri: 'fixture://notes/readme' }));
    expect(read).toMatchObject({ type: FailureTypes.McpRequestFailed, nonRetryable: true });
    expect(read.message).toBe('Cannot read the resource "fixture://notes/readme": MCP server "tools_only" offers no resources');
    const prompt = await failure(run(activities.mcpGetPrompt, { server: 'tools_only', name: 'review' }));
    expect(prompt.message).toBe('Cannot get the prompt "review": MCP server "tools_only" offers no prompts');
  });

  it('fails retryably when the server cannot be reached, and not at all retryably for an unknown one', async () => {
    const unreachable = await failure(run(activities.mcpListResources, { server: 'gone' }));
    expect(unreachable).toMatchObject({ type: FailureTypes.McpConnectionFailed, nonRetryable: false });
    const unknown = await failure(run(activities.mcpReadResource, { server: 'nowhere', uri: 'x:y' }));
    expect(unknown).toMatchObject({ type: FailureTypes.UnknownMcpServer, nonRetryable: true });
  });

  it('fails every MCP activity at once, without retries, for a stdio server whose command cannot be started', async () => {
    // Not there (ENOENT), not on PATH, not executable (EACCES), or in a working directory that is not there.
    const notExecutable = path.join(scratchDir, 'not-executable.sh');
    writeFileSync(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
    const unstartable = new McpPool({
      missing: { command: '/nonexistent/binary', args: ['serve'] },
      unlisted: { command: 'no-such-mcp-server-command' },
      denied: { command: notExecutable },
      homeless: { command: process.execPath, cwd: path.join(scratchDir, 'no-such-dir') },
    });
    const tools = createMcpActivities(unstartable, conversations);
    const resources = createMcpResourceActivities(unstartable, conversations);
    const expected: Record<string, RegExp> = {
      missing: /^MCP server "missing": cannot start its command "\/nonexistent\/binary": no such file \(ENOENT\)$/,
      unlisted: /^MCP server "unlisted": cannot start its command "no-such-mcp-server-command": not found on its PATH \(ENOENT\)$/,
      denied: /^MCP server "denied": cannot start its command ".*not-executable\.sh": permission denied: not an executable file \(EACCES\)$/,
      homeless: /^MCP server "homeless": cannot start: its working directory \(cwd\) ".*no-such-dir" does not exist$/,
    };
    try {
      for (const [server, message] of Object.entries(expected)) {
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['mcpListTools', () => run(tools.mcpListTools, { server })],
          ['mcpCallTool', () => run(tools.mcpCallTool, { server, tool: 'anything', arguments: {} })],
          ['mcpListResources', () => run(resources.mcpListResources, { server })],
          ['mcpListResourceTemplates', () => run(resources.mcpListResourceTemplates, { server })],
          ['mcpReadResource', () => run(resources.mcpReadResource, { server, uri: 'file:///a.md' })],
          ['mcpListPrompts', () => run(resources.mcpListPrompts, { server })],
          ['mcpGetPrompt', () => run(resources.mcpGetPrompt, { server, name: 'p' })],
        ];
        for (const [activity, call] of calls) {
          const error = await failure(call());
          expect({ activity, type: error.type, nonRetryable: error.nonRetryable }).toEqual({ activity, type: FailureTypes.McpConnectionFailed, nonRetryable: true });
          expect(error.message).toMatch(message);
        }
      }
    } finally {
      await unstartable.close();
    }
  });

  it('composes the system prompt from the instruction, a prompt and resources, stored whole', async () => {
    const readme = await run(activities.mcpReadResource, { server: 'fixture', uri: 'fixture://notes/readme' });
    const long = await run(activities.mcpReadResource, { server: 'fixture', uri: 'fixture://lines/2000' });
    const pixel = await run(activities.mcpReadResource, { server: 'fixture', uri: 'fixture://images/pixel.png' });
    expect(long.contents[0].stored).toBeDefined();
    const prompt = await run(activities.mcpGetPrompt, { server: 'fixture', name: 'review', arguments: { topic: 'the fixture', tone: 'dry' } });
    const resources = (results: [string, McpReadResourceResult][]) => results.map(([uri, result]) => ({ server: 'fixture', uri, result }));

    const composed = await activities.composeAgentContext({
      instruction: 'You are careful.',
      prompt: { server: 'fixture', name: 'review', as: 'instruction', result: prompt },
      resources: resources([
        ['fixture://notes/readme', readme],
        ['fixture://lines/2000', long],
        ['fixture://images/pixel.png', pixel],
      ]),
    });
    // The image opens the conversation, stored: its bytes are in the store, not in the activity's result.
    const pixelRef = { key: expect.stringMatching(/^image\//), mimeType: 'image/png', bytes: 70 };
    expect(composed.messages).toEqual([
      { role: 'user', content: 'The resource fixture://images/pixel.png from fixture (image/png):', images: [pixelRef] },
    ]);
    const [opening] = await conversations.resolve(composed.messages, { images: true });
    expect(opening).toMatchObject({ images: [{ ...pixelRef, data: FIXTURE_PIXEL_PNG }] });
    expect('key' in composed.system).toBe(true);
    const system = await conversations.json<string>((composed.system as { key: string }).key);
    expect(system.length).toBe(composed.systemChars);
    expect(system).toMatch(/^You are careful\.\n\nYou review the fixture\. Answer in a dry tone\.\n\n/);
    expect(system).toContain(CONTEXT_RESOURCES_HEADING);
    expect(system).toContain(`<resource server="fixture" uri="fixture://notes/readme" mimeType="text/markdown">\n${FIXTURE_README}</resource>`);
    expect(system).toContain('line 1\nline 2\n');
    expect(system).toContain('line 2000\n</resource>');
    expect(system).toContain('<resource server="fixture" uri="fixture://images/pixel.png" mimeType="image/png">\n[binary content, image/png, 70 bytes: shown to you as an image at the start of the conversation]\n</resource>');

    const briefing = await run(activities.mcpGetPrompt, { server: 'fixture', name: 'briefing' });
    const asMessages = await activities.composeAgentContext({
      instruction: 'You are careful.',
      prompt: { server: 'fixture', name: 'briefing', as: 'messages', result: briefing },
      resources: [],
    });
    expect(await conversations.json<string>((asMessages.system as { key: string }).key)).toBe('You are careful.');
    expect(asMessages.messages).toEqual([
      { role: 'user', content: 'Brief me on the fixture server.' },
      { role: 'assistant', content: 'It adds, echoes and repeats.', toolCalls: [] },
    ]);
  });
});
