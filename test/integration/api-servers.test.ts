import { freePort } from '../../temporal/dev-server';
import { startApi, type RunningApi } from '../support/api-http';
import { testConfig, uniqueTaskQueue } from '../support/harness';
import { FIXTURE_PIXEL_PNG, FIXTURE_README, startFixtureHttpServer, type FixtureHttpServer } from '../fixtures/mcp-fixture-server';

/**
 * `GET /servers` and each server's tools, resources and prompts through the real API over HTTP,
 * which reaches the servers through an MCP pool of its own: server-everything over stdio, the
 * fixture over streamable HTTP, and a server nobody listens for.
 */

const everythingEntry = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

describe('API: MCP servers', () => {
  let fixture: FixtureHttpServer;
  let toolsOnly: FixtureHttpServer;
  let running: RunningApi;
  let downUrl: string;

  beforeAll(async () => {
    fixture = await startFixtureHttpServer();
    toolsOnly = await startFixtureHttpServer(0, { canExit: false, toolsOnly: true });
    downUrl = `http://127.0.0.1:${await freePort()}/mcp`;
    running = await startApi(
      testConfig(
        {
          mcp: {
            servers: {
              everything: { command: process.execPath, args: [everythingEntry, 'stdio'], description: 'Test tools' },
              fixture: { url: fixture.url, allowed_tools: ['add', 'echo'] },
              down: { url: downUrl, description: 'Nobody listens here' },
              bare: { url: toolsOnly.url },
              hang: { command: 'sleep', args: ['1000'], read_timeout_seconds: 2 },
              exits: { command: process.execPath, args: ['-e', 'console.error("cannot open /etc/app.conf"); process.exit(3)'] },
              missing: { command: '/nonexistent/binary' },
            },
          },
        },
        uniqueTaskQueue('api-servers'),
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await running?.close();
    await fixture?.close();
    await toolsOnly?.close();
  });

  const get = (path: string) => running.api.get(path);

  it('lists the configured servers with their transports', async () => {
    const reply = await get('/servers');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      servers: [
        { name: 'everything', transport: 'stdio', description: 'Test tools' },
        { name: 'fixture', transport: 'streamable_http' },
        { name: 'down', transport: 'streamable_http', description: 'Nobody listens here' },
        { name: 'bare', transport: 'streamable_http' },
        { name: 'hang', transport: 'stdio' },
        { name: 'exits', transport: 'stdio' },
        { name: 'missing', transport: 'stdio' },
      ],
    });
  });

  it("lists a server's tools as it lists them, after allowed_tools", async () => {
    const everything = await get('/servers/everything/tools');
    expect(everything.status).toBe(200);
    expect(everything.body.tools).toContainEqual(
      expect.objectContaining({
        name: 'get-sum',
        description: 'Returns the sum of two numbers',
        inputSchema: expect.objectContaining({ type: 'object', properties: expect.objectContaining({ a: expect.anything() }) }),
      }),
    );
    const fixtureTools = await get('/servers/fixture/tools');
    expect(fixtureTools.body.tools.map((tool: { name: string }) => tool.name)).toEqual(['add', 'echo']);
  });

  it("lists a server's resources and resource templates", async () => {
    const reply = await get('/servers/everything/resources');
    expect(reply.status).toBe(200);
    expect(reply.body.resources).toContainEqual(
      expect.objectContaining({ uri: 'demo://resource/static/document/features.md', name: 'features.md', mimeType: 'text/markdown' }),
    );
    expect(reply.body.resourceTemplates).toContainEqual(
      expect.objectContaining({ uriTemplate: 'demo://resource/dynamic/text/{resourceId}', name: 'Dynamic Text Resource' }),
    );
  });

  it('reads a text resource and a binary one', async () => {
    const text = await get(`/servers/fixture/resources/read?uri=${encodeURIComponent('fixture://notes/readme')}`);
    expect(text.status).toBe(200);
    expect(text.body).toEqual({ contents: [{ uri: 'fixture://notes/readme', mimeType: 'text/markdown', text: FIXTURE_README }] });
    const blob = await get(`/servers/fixture/resources/read?uri=${encodeURIComponent('fixture://images/pixel.png')}`);
    expect(blob.body).toEqual({ contents: [{ uri: 'fixture://images/pixel.png', mimeType: 'image/png', blob: FIXTURE_PIXEL_PNG }] });
    const doc = await get(`/servers/everything/resources/read?uri=${encodeURIComponent('demo://resource/static/document/features.md')}`);
    expect(doc.body.contents[0].text).toContain('# Everything Server - Features');
  });

  it('lists prompts and gets one with its arguments', async () => {
    const list = await get('/servers/everything/prompts');
    expect(list.status).toBe(200);
    expect(list.body.prompts).toContainEqual(
      expect.objectContaining({ name: 'args-prompt', arguments: [expect.objectContaining({ name: 'city', required: true }), expect.objectContaining({ name: 'state' })] }),
    );
    const prompt = await running.api.post('/servers/everything/prompts/args-prompt', { arguments: { city: 'Paris', state: 'Texas' } });
    expect(prompt.status).toBe(200);
    expect(prompt.body).toEqual({ messages: [{ role: 'user', content: { type: 'text', text: "What's weather in Paris, Texas?" } }] });
    const noArguments = await running.api.post('/servers/fixture/prompts/briefing', {});
    expect(noArguments.status).toBe(200);
    expect(noArguments.body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    // No body is no arguments: a prompt that takes none needs nothing sent.
    const noBody = await running.api.request('POST', '/servers/fixture/prompts/briefing');
    expect(noBody.status).toBe(200);
    expect(noBody.body).toEqual(noArguments.body);
    const noBodyNeeded = await running.api.request('POST', '/servers/fixture/prompts/review');
    expect(noBodyNeeded.status).toBe(400);
    expect(noBodyNeeded.body.error).toMatchObject({ code: 'invalid_prompt_arguments', message: 'Prompt "review" of MCP server "fixture" needs the argument topic.' });
  });

  it('answers 404 for an unknown server, resource or prompt', async () => {
    for (const path of ['/servers/nope/tools', '/servers/nope/resources', '/servers/nope/prompts', '/servers/nope/resources/read?uri=x:y']) {
      const reply = await get(path);
      expect({ path, status: reply.status, code: reply.body.error?.code }).toEqual({ path, status: 404, code: 'server_not_found' });
      expect(reply.body.error.message).toBe('Unknown MCP server "nope". Configured: everything, fixture, down, bare, hang, exits, missing.');
    }
    const resource = await get(`/servers/fixture/resources/read?uri=${encodeURIComponent('fixture://nothing/here')}`);
    expect(resource.status).toBe(404);
    expect(resource.body.error).toEqual({
      code: 'resource_not_found',
      message: 'MCP server "fixture" has no resource "fixture://nothing/here": Resource fixture://nothing/here not found.',
    });
    const prompt = await running.api.post('/servers/fixture/prompts/nope', {});
    expect(prompt.status).toBe(404);
    expect(prompt.body.error).toEqual({ code: 'prompt_not_found', message: 'MCP server "fixture" has no prompt "nope". Its prompts: review, briefing.' });
  });

  it('lists no resources or prompts of a server that offers none, and answers 404 for its resources and prompts', async () => {
    expect((await get('/servers/bare/resources')).body).toEqual({ resources: [], resourceTemplates: [] });
    expect((await get('/servers/bare/prompts')).body).toEqual({ prompts: [] });
    const read = await get(`/servers/bare/resources/read?uri=${encodeURIComponent('fixture://notes/readme')}`);
    expect(read.status).toBe(404);
    expect(read.body.error).toEqual({
      code: 'resource_not_found',
      message: 'MCP server "bare" has no resource "fixture://notes/readme": MCP server "bare" offers no resources.',
    });
    const prompt = await running.api.post('/servers/bare/prompts/review', {});
    expect(prompt.status).toBe(404);
    expect(prompt.body.error).toEqual({ code: 'prompt_not_found', message: 'MCP server "bare" has no prompt "review". Its prompts: (none).' });
  });

  it('answers 400 for a URI that is not one, a missing one, and missing prompt arguments', async () => {
    const uri = await get('/servers/fixture/resources/read?uri=not%20a%20uri');
    expect(uri.status).toBe(400);
    expect(uri.body.error.code).toBe('invalid_request');
    expect(uri.body.error.message).toContain('query.uri: must be a URI with a scheme');
    const missingUri = await get('/servers/fixture/resources/read');
    expect(missingUri.status).toBe(400);
    expect(missingUri.body.error.message).toContain("query.uri: required: the resource's URI, e.g. ?uri=file%3A%2F%2F%2Fnotes.md");
    const args = await running.api.post('/servers/fixture/prompts/review', { arguments: { tone: 'dry' } });
    expect(args.status).toBe(400);
    expect(args.body.error).toMatchObject({
      code: 'invalid_prompt_arguments',
      message: 'Prompt "review" of MCP server "fixture" needs the argument topic.',
      details: [{ path: 'body.arguments.topic', message: 'required' }],
    });
    // The server would take these and drop them without a word; the prompt's own list says they are wrong.
    const unknown = await running.api.post('/servers/everything/prompts/args-prompt', { arguments: { city: 'Paris', bogus: 'x' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toEqual({
      code: 'invalid_prompt_arguments',
      message: 'Prompt "args-prompt" of MCP server "everything" has no argument bogus: its arguments are city (required) and state.',
      details: [{ path: 'body.arguments.bogus', message: 'unknown argument' }],
    });
    const both = await running.api.post('/servers/fixture/prompts/review', { arguments: { tone: 'dry', subject: 'x' } });
    expect(both.status).toBe(400);
    expect(both.body.error).toEqual({
      code: 'invalid_prompt_arguments',
      message: 'Prompt "review" of MCP server "fixture" needs the argument topic and has no argument subject: its arguments are topic (required) and tone.',
      details: [
        { path: 'body.arguments.topic', message: 'required' },
        { path: 'body.arguments.subject', message: 'unknown argument' },
      ],
    });
    const noneTaken = await running.api.post('/servers/fixture/prompts/briefing', { arguments: { topic: 'x' } });
    expect(noneTaken.status).toBe(400);
    expect(noneTaken.body.error.message).toBe('Prompt "briefing" of MCP server "fixture" has no argument topic: it has none.');
    const notStrings = await running.api.post('/servers/fixture/prompts/review', { arguments: { topic: 42 } });
    expect(notStrings.status).toBe(400);
    expect(notStrings.body.error.code).toBe('invalid_request');
  });

  it('answers 400 for a query key a route does not take, as /runs does, rather than ignoring it', async () => {
    const cases: [string, string][] = [
      ['/servers?x=1', 'x'],
      ['/servers/everything/tools?x=1', 'x'],
      // The lists come whole (every page the server has), so there is no cursor to page with.
      ['/servers/everything/resources?cursor=zzz', 'cursor'],
      ['/servers/everything/prompts?limit=5', 'limit'],
      [`/servers/fixture/resources/read?uri=${encodeURIComponent('fixture://notes/readme')}&x=1`, 'x'],
    ];
    for (const [path, key] of cases) {
      const reply = await get(path);
      expect({ path, status: reply.status, error: reply.body.error }).toEqual({
        path,
        status: 400,
        error: { code: 'invalid_request', message: `The request is not valid: query.${key}: unknown key.`, details: [{ path: `query.${key}`, message: 'unknown key' }] },
      });
    }
    const prompt = await running.api.post('/servers/fixture/prompts/briefing?x=1', {});
    expect(prompt.status).toBe(400);
    expect(prompt.body.error.message).toBe('The request is not valid: query.x: unknown key.');
  });

  it("answers 422 with the server's message when it fails a request", async () => {
    const reply = await running.api.post('/servers/everything/prompts/resource-prompt', { arguments: { resourceType: 'Video', resourceId: '1' } });
    expect(reply.status).toBe(422);
    expect(reply.body.error).toEqual({
      code: 'mcp_server_error',
      message: 'MCP server "everything" answered with an error: Invalid resourceType: Video. Must be Text or Blob.',
      details: { code: -32603 },
    });
  });

  it('answers 503 when the server cannot be reached, naming its address and the network error', async () => {
    for (const path of ['/servers/down/tools', '/servers/down/resources', '/servers/down/prompts']) {
      const reply = await get(path);
      expect({ path, status: reply.status, code: reply.body.error?.code }).toEqual({ path, status: 503, code: 'mcp_server_unavailable' });
      expect(reply.body.error.message).toBe(`MCP server "down": could not connect: could not reach ${downUrl}: connect ECONNREFUSED ${new URL(downUrl).host}`);
    }
  });

  it('answers 503 for a stdio server that exits at start, with its exit code, and its stderr in the details', async () => {
    const reply = await get('/servers/exits/tools');
    expect(reply.status).toBe(503);
    expect(reply.body.error).toEqual({
      code: 'mcp_server_unavailable',
      message: 'MCP server "exits": could not connect: the server process exited with code 3 before it answered initialize',
      details: { stderr: 'cannot open /etc/app.conf' },
    });
  });

  it('answers 504 when the server does not answer within read_timeout_seconds, naming the setting', async () => {
    const started = Date.now();
    const reply = await get('/servers/hang/tools');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(reply.status).toBe(504);
    expect(reply.body.error).toEqual({
      code: 'mcp_server_timeout',
      message: 'MCP server "hang" did not answer within 2 s while connecting (initialize); raise mcp.servers.hang.read_timeout_seconds if it needs longer.',
    });
  });

  it('answers 503 naming the command when a stdio server cannot be started', async () => {
    const reply = await get('/servers/missing/tools');
    expect(reply.status).toBe(503);
    expect(reply.body.error).toEqual({
      code: 'mcp_server_unavailable',
      message: 'MCP server "missing": cannot start its command "/nonexistent/binary": no such file (ENOENT)',
    });
  });
});
