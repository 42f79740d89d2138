import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app';
import { configSchema, type ConfigInput } from '../../src/config/schema';
import { openStorage } from '../../src/storage/open';
import { listenForTests, type ApiHttp } from '../support/api-http';

/**
 * Requests the API answers before it needs Temporal. The client points at a closed port and is
 * lazy, so any route that did reach Temporal would fail these tests with a 503.
 */

const baseConfig: ConfigInput = {
  agents: { calculator: { instruction: 'You add numbers.' } },
  workflows: { calc: { type: 'agent', agent: 'calculator', description: 'Adds numbers' } },
};

let connection: Connection;
const storageDir = mkdtempSync(path.join(tmpdir(), 'mcp-agent-api-app-'));

async function appWith(config: ConfigInput = baseConfig, logger = pino({ level: 'silent' })): Promise<FastifyInstance> {
  const parsed = configSchema.parse({ ...config, temporal: { address: '127.0.0.1:1' }, storage: { path: storageDir } });
  const client = new Client({ connection, namespace: parsed.temporal.namespace });
  return buildApp({ config: parsed, client, storage: openStorage(parsed.storage), uiUrl: 'http://localhost:8233', logger });
}

beforeAll(() => {
  connection = Connection.lazy({ address: '127.0.0.1:1' });
});

afterAll(async () => {
  await connection.close();
  rmSync(storageDir, { recursive: true, force: true });
});

describe('the API without Temporal', () => {
  let app: FastifyInstance;
  let api: ApiHttp;

  beforeAll(async () => {
    app = await appWith();
    api = await listenForTests(app);
  });

  afterAll(async () => {
    await app.close();
  });

  it('lists the config workflows', async () => {
    const reply = await api.get('/workflows');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ workflows: [{ name: 'calc', type: 'agent', description: 'Adds numbers' }] });
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const reply = await api.request('POST', '/workflows/calc/run', {
      headers: { 'content-type': 'application/json' },
      body: '{"input": ',
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('invalid_json');
  });

  it('lists every body problem by path', async () => {
    const reply = await api.post('/workflows/calc/run', { inputs: 'x', id: 'has space' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('invalid_request');
    expect(reply.body.error.details).toEqual(
      expect.arrayContaining([
        { path: 'body.input', message: 'required' },
        { path: 'body.inputs', message: 'unknown key' },
        { path: 'body.id', message: 'must contain no whitespace' },
      ]),
    );
  });

  it('says once, and plainly, that an id or a workflow filter is empty', async () => {
    const id = await api.post('/workflows/calc/run', { input: 'x', id: '' });
    expect(id.status).toBe(400);
    expect(id.body.error).toEqual({
      code: 'invalid_request',
      message: 'The request is not valid: body.id: must not be empty.',
      details: [{ path: 'body.id', message: 'must not be empty' }],
    });
    const workflow = await api.get('/runs?workflow=');
    expect(workflow.status).toBe(400);
    expect(workflow.body.error.details).toEqual([{ path: 'query.workflow', message: 'must not be empty' }]);
  });

  it('refuses a run id that a URL path cannot name', async () => {
    for (const id of ['.', '..']) {
      const reply = await api.post('/workflows/calc/run', { input: 'x', id });
      expect(reply.status).toBe(400);
      expect(reply.body.error.details).toEqual([{ path: 'body.id', message: 'must not be "." or ".."' }]);
    }
  });

  it('documents that a message cannot be null, as it refuses one', async () => {
    const doc = (await api.get('/docs/json')).body;
    const body = doc.paths['/runs/{runId}/messages'].post.requestBody.content['application/json'].schema;
    expect(body.properties.input.not).toEqual({ type: 'null' });
  });

  it('documents a body the route may go without (cancel, a prompt) as optional, and the others as required', async () => {
    const doc = (await api.get('/docs/json')).body;
    expect(doc.paths['/runs/{runId}/cancel'].post.requestBody.required).toBe(false);
    expect(doc.paths['/servers/{name}/prompts/{prompt}'].post.requestBody.required).toBe(false);
    // JSON null is taken as no body, and the document says so.
    expect(doc.paths['/runs/{runId}/cancel'].post.requestBody.content['application/json'].schema.anyOf).toContainEqual(expect.objectContaining({ type: 'null' }));
    expect(doc.paths['/runs/{runId}/messages'].post.requestBody.required).toBe(true);
    expect(doc.paths['/runs/{runId}/input'].post.requestBody.required).toBe(true);
  });

  it('refuses a message that is null or missing with 400, before asking Temporal', async () => {
    const nothing = await api.post('/runs/r1/messages', { input: null });
    expect(nothing.status).toBe(400);
    expect(nothing.body.error).toMatchObject({
      code: 'invalid_request',
      details: [{ path: 'body.input', message: 'must be text or JSON other than null' }],
    });
    const missing = await api.post('/runs/r1/messages', {});
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual([{ path: 'body.input', message: 'required' }]);
  });

  it('treats an empty JSON body as a missing one', async () => {
    const reply = await api.request('POST', '/workflows/calc/run', { headers: { 'content-type': 'application/json' }, body: '' });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({ code: 'invalid_request', details: [{ path: 'body' }] });
  });

  it('says in plain words that a body is missing or null, or that a value is not an object', async () => {
    for (const body of ['', 'null']) {
      const reply = await api.request('POST', '/workflows/calc/run', { headers: { 'content-type': 'application/json' }, body });
      expect(reply.body.error.details).toEqual([{ path: 'body', message: 'expected a JSON object, received no body (or null)' }]);
    }
    const spec = await api.post('/workflows/agent/run', { input: 'x', spec: 'agent' });
    expect(spec.body.error.details).toEqual([{ path: 'body.spec', message: 'expected object, received string' }]);
  });

  it('accepts JSON only', async () => {
    const reply = await api.request('POST', '/workflows/calc/run', {
      headers: { 'content-type': 'text/plain' },
      body: 'add 2 and 3',
    });
    expect(reply.status).toBe(415);
    expect(reply.body.error.code).toBe('unsupported_media_type');
  });

  it('answers a body over the limit with 413, naming the limit', async () => {
    const reply = await api.post('/workflows/calc/run', { input: 'x'.repeat(1024 * 1024 + 1) });
    expect(reply.status).toBe(413);
    expect(reply.body.error).toEqual({ code: 'body_too_large', message: 'The request body is larger than the API takes (1 MiB of JSON).' });
  });

  it('validates list and wait parameters', async () => {
    const list = await api.get('/runs?status=sleeping&limit=501');
    expect(list.status).toBe(400);
    expect(list.body.error.details.map((d: { path: string }) => d.path)).toEqual(['query.status', 'query.limit']);
    for (const name of ['calc%00', 'ca%07lc', 'a%1Fb', 'x%7F']) {
      const controls = await api.get(`/runs?workflow=${name}`);
      expect(controls.status).toBe(400);
      expect(controls.body.error.details[0].path).toBe('query.workflow');
    }
    // The visibility store drops quotes at a literal's ends, so these once listed the calc runs.
    for (const name of ["calc'", "'calc", '%22calc%22', 'ca%22lc', "o'brien"]) {
      const quoted = await api.get(`/runs?workflow=${name}`);
      expect(quoted.status).toBe(400);
      expect(quoted.body.error).toMatchObject({
        code: 'invalid_request',
        details: [{ path: 'query.workflow', message: 'must be a workflow name (no whitespace, control characters, quotes or backslashes)' }],
      });
    }
    const wait = await api.get('/runs/r1/result?wait=-1');
    expect(wait.status).toBe(400);
    expect(wait.body.error.details).toEqual([{ path: 'query.wait', message: 'too small: expected number to be >=0' }]);
  });

  it('takes only JSON numbers where the document says number: an empty or hex wait is 400, not 0 or 16', async () => {
    for (const query of ['wait=', 'wait=%20', 'wait=0x10', 'wait=1e']) {
      const reply = await api.get(`/runs/r1/result?${query}`);
      expect(reply.status).toBe(400);
      expect(reply.body.error.details[0].path).toBe('query.wait');
    }
    const messages = await api.post('/runs/r1/messages?wait=', { input: 'hi' });
    expect(messages.status).toBe(400);
    expect(messages.body.error.details[0].path).toBe('query.wait');
    const limit = await api.get('/runs?limit=');
    expect(limit.status).toBe(400);
    expect(limit.body.error.details[0].path).toBe('query.limit');
  });

  it('answers a method a path does not take with 405 and Allow, before reading any body', async () => {
    for (const [method, path, allow] of [
      ['DELETE', '/runs/r1', 'GET, HEAD'],
      ['PUT', '/runs/r1/cancel', 'POST'],
      ['OPTIONS', '/health', 'GET, HEAD'],
      ['GET', '/workflows/calc/run', 'POST'],
    ] as const) {
      const reply = await api.request(method, path);
      expect(reply.status).toBe(405);
      expect(reply.headers.get('allow')).toBe(allow);
      expect(reply.body.error).toEqual({ code: 'method_not_allowed', message: `${path} does not take ${method}; it takes ${allow}.` });
    }
    const withBody = await api.request('PATCH', '/runs/r1/input', { headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(withBody.status).toBe(405);
    expect((await api.request('DELETE', '/nowhere')).status).toBe(404);
  });

  it('refuses a body key that could reach a prototype, saying which', async () => {
    const proto = await api.request('POST', '/workflows/calc/run', {
      headers: { 'content-type': 'application/json' },
      body: '{"input": {"__proto__": {"admin": true}}}',
    });
    expect(proto.status).toBe(400);
    expect(proto.body.error).toEqual({
      code: 'forbidden_key',
      message: 'The request body has a "__proto__" key, which the API does not take: rename it.',
    });
    const constructor = await api.post('/workflows/calc/run', { input: { constructor: { prototype: {} } } });
    expect(constructor.status).toBe(400);
    expect(constructor.body.error.code).toBe('forbidden_key');
  });

  it('answers a run id longer than Temporal takes with 400, and a broken percent-encoding with 400', async () => {
    const long = await api.get(`/runs/${'r'.repeat(1001)}`);
    expect(long.status).toBe(400);
    expect(long.body.error.details[0].path).toBe('path.runId');
    expect((await api.get(`/runs/${'r'.repeat(1000)}/result?wait=x`)).body.error.details[0].path).toBe('query.wait');
    const encoding = await api.get('/runs/%E0%A4%A');
    expect(encoding.status).toBe(400);
    expect(encoding.body.error.code).toBe('invalid_url');
  });

  it('answers an unknown route with 404 not_found', async () => {
    const reply = await api.get('/nowhere?x=1');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ error: { code: 'not_found', message: 'There is no route GET /nowhere.' } });
  });

  it('answers an unknown workflow name with 404 workflow_not_found', async () => {
    const reply = await api.post('/workflows/nope/run', { input: 'hi' });
    expect(reply.status).toBe(404);
    expect(reply.body.error).toEqual({ code: 'workflow_not_found', message: 'No workflow or pattern type is named "nope".' });
    // A typo of a known name says which one.
    const typo = await api.post('/workflows/paralel/run', { input: 'hi' });
    expect(typo.body.error.message).toBe('No workflow or pattern type is named "paralel". Did you mean "parallel"?');
  });

  it('answers a spec that cannot run with 400 invalid_spec', async () => {
    const adhoc = await api.post('/workflows/agent/run', { input: 'hi', spec: { agent: 'ghost' } });
    expect(adhoc.status).toBe(400);
    expect(adhoc.body.error).toMatchObject({ code: 'invalid_spec', details: ['spec.agent: unknown agent "ghost"'] });
    const missing = await api.post('/workflows/agent/run', { input: 'hi' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('invalid_spec');
    const configured = await api.post('/workflows/calc/run', { input: 'hi', spec: { agent: 'calculator' } });
    expect(configured.status).toBe(400);
    expect(configured.body.error.code).toBe('invalid_spec');
  });

  it('serves an OpenAPI document of every route, and a page for it', async () => {
    const reply = await api.get('/docs/json');
    expect(reply.status).toBe(200);
    const doc = reply.body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/codec/decode',
      '/codec/encode',
      '/health',
      '/metrics',
      '/runs',
      '/runs/{runId}',
      '/runs/{runId}/cancel',
      '/runs/{runId}/close',
      '/runs/{runId}/events',
      '/runs/{runId}/input',
      '/runs/{runId}/messages',
      '/runs/{runId}/pause',
      '/runs/{runId}/result',
      '/runs/{runId}/resume',
      '/servers',
      '/servers/{name}/prompts',
      '/servers/{name}/prompts/{prompt}',
      '/servers/{name}/resources',
      '/servers/{name}/resources/read',
      '/servers/{name}/tools',
      '/workflows',
      '/workflows/calc/run',
      '/workflows/{name}/run',
    ]);
    // A config workflow has an operation of its own, without `spec`; the template is for pattern types and requires one.
    const adhoc = doc.paths['/workflows/{name}/run'].post;
    expect(Object.keys(adhoc.responses)).toEqual(['202', '400', '404', '409', '413', '415', '503']);
    expect(adhoc.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['input', 'spec']));
    expect(adhoc.parameters.find((p: { name: string }) => p.name === 'name').schema.enum).toEqual(
      expect.arrayContaining(['agent', 'router', 'orchestrator', 'parallel', 'evaluator_optimizer', 'swarm']),
    );
    const calc = doc.paths['/workflows/calc/run'].post;
    expect(calc.summary).toBe('Start a run of the config workflow "calc" (agent)');
    expect(Object.keys(calc.requestBody.content['application/json'].schema.properties)).not.toContain('spec');
    expect(calc.requestBody.content['application/json'].schema.properties.input.not).toEqual({ type: 'null' });
    expect(Object.keys(calc.responses)).not.toContain('404');
    // The event stream's 200 describes each SSE message, whose data is a RunEvent.
    const stream = doc.paths['/runs/{runId}/events'].get.responses['200'].content['text/event-stream'].schema;
    expect(JSON.stringify(stream)).toContain('#/components/schemas/RunEvent');
    expect(Object.keys(doc.paths['/runs/{runId}/messages'].post.responses)).toEqual(expect.arrayContaining(['413', '415', '422']));
    expect(doc.components.schemas.Run.properties.status.enum).toContain('waiting_for_input');
    // A run whose workflow task keeps failing says so, and why.
    expect(Object.keys(doc.components.schemas.Run.properties.workflowTaskFailing.properties)).toEqual(['attempt', 'cause', 'message', 'since']);
    expect(doc.components.schemas.Run.required).not.toContain('workflowTaskFailing');
    expect(doc.paths['/runs/{runId}/input'].post.description).toContain('workflow_task_failing');
    expect(doc.components.schemas.Run.properties.status.enum).toContain('idle');
    const page = await api.get('/docs/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('bearer tokens', () => {
  let app: FastifyInstance;
  let api: ApiHttp;

  beforeAll(async () => {
    app = await appWith({ ...baseConfig, api: { tokens: ['s3cret', 'other'] } });
    api = await listenForTests(app);
  });

  afterAll(async () => {
    await app.close();
  });

  it('turns away requests without a configured token', async () => {
    for (const authorization of [undefined, 'Bearer wrong', 'Basic s3cret', 'Bearer s3cret2']) {
      const reply = await api.get('/workflows', authorization ? { authorization } : {});
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe('Bearer');
      expect(reply.body.error.code).toBe('unauthorized');
    }
  });

  it('lets a configured token in', async () => {
    for (const token of ['s3cret', 'other']) {
      const reply = await api.get('/workflows', { authorization: `Bearer ${token}` });
      expect(reply.status).toBe(200);
    }
  });

  it('keeps the docs open and documents the scheme', async () => {
    const reply = await api.get('/docs/json');
    expect(reply.status).toBe(200);
    expect(reply.body.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } });
  });
});

describe('logging failed requests', () => {
  interface LogLine {
    level: number;
    msg: string;
    code?: string;
    status?: number;
    err?: { stack?: string };
  }
  const lines: LogLine[] = [];
  let app: FastifyInstance;
  let api: ApiHttp;

  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
    // Nothing listens on port 1: the server is unreachable, an upstream problem the contract answers with 503.
    app = await appWith({ ...baseConfig, mcp: { servers: { down: { url: 'http://127.0.0.1:1/mcp' } } } }, logger);
    app.get('/test-bug', async () => {
      throw new TypeError('a bug of ours');
    });
    api = await listenForTests(app);
  });

  afterAll(async () => {
    await app.close();
  });

  const loggedFor = (code: string) => lines.filter((line) => line.code === code);

  it('logs an unreachable upstream (503) at warn with its code and message, without a stack', async () => {
    const reply = await api.get('/servers/down/tools');
    expect(reply.status).toBe(503);
    const [line, ...more] = loggedFor('mcp_server_unavailable');
    expect(more).toEqual([]);
    expect(line).toEqual(expect.objectContaining({ level: 40, status: 503, code: 'mcp_server_unavailable', msg: reply.body.error.message }));
    expect(line.err).toBeUndefined();
    expect(JSON.stringify(line)).not.toMatch(/\n\s+at /);
  });

  it("logs the caller's mistake (4xx) at info, without a stack", async () => {
    const reply = await api.get('/servers/nope/tools');
    expect(reply.status).toBe(404);
    expect(loggedFor('server_not_found')).toEqual([expect.objectContaining({ level: 30, status: 404, msg: reply.body.error.message })]);
    expect(loggedFor('server_not_found')[0].err).toBeUndefined();
  });

  it('logs a bug of ours (500) at error, with the error and its stack', async () => {
    const reply = await api.get('/test-bug');
    expect(reply.status).toBe(500);
    expect(reply.body.error.code).toBe('internal');
    const [line] = loggedFor('internal');
    expect(line).toMatchObject({ level: 50, status: 500, err: { stack: expect.stringContaining('TypeError: a bug of ours') } });
  });
});
