/**
 * OAuth 2.1 for HTTP MCP servers, end to end: the OAuth fixture (an MCP server behind the SDK's
 * requireBearerAuth with its own authorization server, access tokens living 3 s) runs as its own
 * process; agents run on a real Temporal worker with the scripted model.
 *
 * - client credentials: the worker gets its own token; a run longer than the token's life renews it
 *   before it expires and no request is ever refused; a wrong secret fails at once, non-retryably.
 * - authorization code: `mcp-agent login <server>` (the test plays the browser by fetching the
 *   printed URL) stores tokens in a 0600 file; the worker uses them and renews them with the refresh
 *   token, writing the rotated tokens back; once the refresh token is revoked, the call fails
 *   non-retryably telling the operator to log in again.
 * - no token, secret or header reaches workflow history, nor a worker process's log at debug level.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { stringify } from 'yaml';
import type { AgentResult } from '../../workflows/agent';
import { stopProcess } from '../../temporal/dev-server';
import { resolveRun } from '../../src/config/resolve';
import { startOptions } from '../../client/runs';
import { eventually, projectRoot, providerConfig, startAgentEnv, type AgentEnv } from '../support/agent-env';
import { startApi } from '../support/api-http';
import { uniqueTaskQueue } from '../support/harness';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { McpOAuthProvider } from '../../src/mcp/oauth';
import { oauthLogin } from '../../src/mcp/oauth-login';
import { toolResultsSeen } from '../support/requests';
import type { OAuthLogEntry } from '../fixtures/oauth-mcp-server';

const TOKEN_LIFETIME_S = 3;
const SECRET = `svc-secret-${Date.now()}`;
const BIN = path.join(projectRoot, 'bin', 'mcp-agent.js');

let fixture: ChildProcess;
let fixtureUrls: { url: string; sseUrl: string; issuer: string };
let env: AgentEnv;
let dir: string;
let configFile: string;
let tokenFile: string;

async function startFixture(): Promise<void> {
  const script = path.join(projectRoot, 'test', 'fixtures', 'oauth-mcp-server.ts');
  fixture = spawn(
    process.execPath,
    ['--import', 'tsx', script, '--token-lifetime', String(TOKEN_LIFETIME_S), '--client-id', 'svc', '--client-secret', SECRET],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  fixtureUrls = await new Promise((resolve, reject) => {
    createInterface({ input: fixture.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
    fixture.once('exit', (code) => reject(new Error(`the OAuth fixture exited (${code})`)));
  });
}

async function fixtureLog(): Promise<OAuthLogEntry[]> {
  return (await fetch(`${fixtureUrls.issuer}/admin/log`)).json() as Promise<OAuthLogEntry[]>;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-oauth-'));
  await startFixture();
  const servers = {
    svc: { url: fixtureUrls.url, auth: { oauth: { grant: 'client_credentials' as const, client_id: 'svc', client_secret: SECRET } } },
    svc_sse: {
      url: fixtureUrls.sseUrl,
      transport: 'sse' as const,
      auth: { oauth: { grant: 'client_credentials' as const, client_id: 'svc', client_secret: SECRET } },
    },
    wrong: { url: fixtureUrls.url, auth: { oauth: { grant: 'client_credentials' as const, client_id: 'svc', client_secret: 'not-the-secret' } } },
    user: { url: fixtureUrls.url, auth: { oauth: { grant: 'authorization_code' as const } } },
  };
  // The file `mcp-agent login` reads: the user server with the default token folder beside it.
  configFile = path.join(dir, 'mcp_agent.config.yaml');
  const denied = { url: fixtureUrls.url, auth: { oauth: { grant: 'authorization_code', scope: 'tools denied' } } };
  writeFileSync(configFile, stringify({ mcp: { servers: { user: servers.user, denied, svc: servers.svc } } }));
  tokenFile = path.join(dir, '.mcp-agent', 'tokens', 'user.json');
  env = await startAgentEnv((provider) => ({
    ...providerConfig(provider),
    // The worker's config is not loaded from the file, so the token file is named as loadConfig would resolve it.
    mcp: { servers: { ...servers, user: { ...servers.user, auth: { oauth: { ...servers.user.auth.oauth, token_file: tokenFile } } } } },
  }));
});

afterAll(async () => {
  await env?.close();
  if (fixture) await stopProcess(fixture);
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
const uniqueModel = (label: string) => `${label}-${++counter}-${Date.now()}`;

function agentSpec(model: string, servers: string[]) {
  return { type: 'agent', agent: { instruction: 'Use your tools.', provider: 'openai', model, servers } };
}

/** The run's whole history as text: what Temporal stores for it. */
async function historyText(handle: WorkflowHandle): Promise<string> {
  return JSON.stringify(await handle.fetchHistory());
}

/** The ApplicationFailure a failed run ends with (the activity's, passed on by the agent), and its activity's attempts. */
async function runFailureOf(handle: WorkflowHandle): Promise<{ failure: ApplicationFailure; attempts: number }> {
  const error = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  let cause: unknown = (error as WorkflowFailedError).cause;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  const history = await handle.fetchHistory();
  const attempts = (history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : []));
  return { failure: cause as ApplicationFailure, attempts: Math.max(...attempts) };
}

/** Every MCP request of the window carried a token that was valid when it arrived; none was refused. */
function expectNoExpiredOrRefused(log: OAuthLogEntry[], since: number): void {
  const expiry = new Map(log.filter((e) => e.kind === 'token').map((e) => [e.token, e.expires_at as number]));
  const window = log.filter((e) => e.at >= since);
  expect(window.filter((e) => e.kind === 'mcp_refused')).toEqual([]);
  for (const request of window.filter((e) => e.kind === 'mcp')) {
    expect(request.at).toBeLessThan(expiry.get(request.token) as number);
  }
}

/** A token of `grant` issued in the window while the one it replaced was still valid. */
function renewalsBeforeExpiry(log: OAuthLogEntry[], since: number, client: (id?: string) => boolean, grants: string[]): OAuthLogEntry[] {
  const issued = log.filter((e) => e.kind === 'token' && client(e.client_id));
  return issued.filter((e, index) => index > 0 && e.at >= since && grants.includes(e.grant as string) && e.at < (issued[index - 1].expires_at as number));
}

test('an agent calls a tool on an OAuth server with client credentials, over streamable HTTP and SSE; no token reaches history', async () => {
  const model = uniqueModel('oauth-cc');
  env.provider.script(model, [
    { toolCalls: [{ name: 'svc-whoami', arguments: {} }, { name: 'svc_sse-whoami', arguments: {} }] },
    (request) => ({ text: toolResultsSeen(request).map((r) => r.content).join(' / ') }),
  ]);
  const handle = await env.start('agent', 'who are you?', agentSpec(model, ['svc', 'svc_sse']));
  const result = (await handle.result()) as AgentResult;
  expect(result.text).toBe('client svc / client svc');

  const log = await fixtureLog();
  const tokens = log.filter((e) => e.kind === 'token').flatMap((e) => [e.token, e.refresh_token].filter(Boolean) as string[]);
  expect(tokens.length).toBeGreaterThan(0);
  const history = await historyText(handle);
  for (const secret of [...tokens, SECRET]) expect(history).not.toContain(secret);
  expect(history).not.toMatch(/Bearer /);
});

test('a run that outlasts the token renews it before it expires, and no request is ever refused', async () => {
  const model = uniqueModel('oauth-long');
  const turns = 7;
  env.provider.script(model, [
    ...Array.from({ length: turns }, () => ({ toolCalls: [{ name: 'svc-slow', arguments: { ms: 500 } }] })),
    { text: 'done' },
  ]);
  const started = Date.now();
  const handle = await env.start('agent', 'take your time', agentSpec(model, ['svc']));
  const result = (await handle.result()) as AgentResult;
  expect(result).toMatchObject({ text: 'done', stopReason: 'final_answer' });
  expect(result.usage.toolCalls).toBe(turns);
  // The run outlived a token: otherwise this test shows nothing.
  expect(Date.now() - started).toBeGreaterThan(TOKEN_LIFETIME_S * 1000);

  const log = await fixtureLog();
  expectNoExpiredOrRefused(log, started);
  expect(renewalsBeforeExpiry(log, started, (id) => id === 'svc', ['client_credentials']).length).toBeGreaterThanOrEqual(1);
});

test('a wrong client secret fails the tool listing at once, non-retryably, saying what to check', async () => {
  const model = uniqueModel('oauth-wrong');
  env.provider.script(model, [{ text: 'never reached' }]);
  const handle = await env.start('agent', 'hi', agentSpec(model, ['wrong']));
  const { failure, attempts } = await runFailureOf(handle);
  expect(failure).toMatchObject({ type: 'McpConnectionFailed', nonRetryable: true });
  expect(failure.message).toBe(
    'MCP server "wrong": could not connect: OAuth: the authorization server refused the client credentials of MCP server "wrong" ' +
      '(invalid_client: Client authentication failed); check auth.oauth.client_id and client_secret',
  );
  expect(attempts).toBe(1);
  expect(await historyText(handle)).not.toContain('not-the-secret');
});

test('an access token the server revokes early is answered with 401, and the SDK auth flow gets a new one through the same provider', async () => {
  const { pool } = env.worker;
  // A call past the renewal point of the token held now renews it: the next token is seconds from due.
  await new Promise((resolve) => setTimeout(resolve, (TOKEN_LIFETIME_S * 1000) / 2 + 100));
  expect((await pool.callTool('svc', 'whoami', {})).content).toEqual([{ type: 'text', text: 'client svc' }]);
  const since = Date.now();
  await fetch(`${fixtureUrls.issuer}/admin/revoke?access=1`, { method: 'POST' });
  expect((await pool.callTool('svc', 'whoami', {})).content).toEqual([{ type: 'text', text: 'client svc' }]);
  const log = (await fixtureLog()).filter((e) => e.at >= since);
  expect(log.map((e) => e.kind)).toEqual(['mcp_refused', 'token', 'mcp']);
  expect(log[1]).toMatchObject({ grant: 'client_credentials', client_id: 'svc' });
  expect(log[2].token).toBe(log[1].token);
});

test("the API's own MCP pool gets tokens itself; a refused secret is a 503 saying so", async () => {
  // A copy of the config, as the API process has its own: its own providers, so its own tokens.
  const running = await startApi(structuredClone(env.worker.config));
  try {
    const since = Date.now();
    const tools = await running.api.get('/servers/svc/tools');
    expect(tools.status).toBe(200);
    expect((tools.body as { tools: { name: string }[] }).tools.map((tool) => tool.name).sort()).toEqual(['slow', 'whoami']);
    const log = (await fixtureLog()).filter((e) => e.at >= since);
    expect(log).toContainEqual(expect.objectContaining({ kind: 'token', grant: 'client_credentials', client_id: 'svc' }));
    expect(log.filter((e) => e.kind === 'mcp_refused')).toEqual([]);

    const refused = await running.api.get('/servers/wrong/tools');
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({
      error: {
        code: 'mcp_server_unavailable',
        message: expect.stringContaining('OAuth: the authorization server refused the client credentials of MCP server "wrong" (invalid_client'),
      },
    });
  } finally {
    await running.close();
  }
});

test('login is only for authorization-code servers of the config', async () => {
  const unknown = await runCli(['login', 'nowhere']);
  expect(unknown).toMatchObject({ code: 2, stdout: '' });
  expect(unknown.stderr).toContain('mcp-agent: login: unknown MCP server "nowhere"; configured: user, denied, svc');
  const service = await runCli(['login', 'svc']);
  expect(service).toMatchObject({ code: 2, stdout: '' });
  expect(service.stderr).toContain('login: MCP server "svc" uses the client_credentials grant, for which workers get tokens themselves');
});

test('a login the person denies exits 1 saying so, and stores nothing', async () => {
  const denied = await loginAsBrowser('denied', 'Authorization failed; see the terminal.');
  expect(denied.code).toBe(1);
  expect(denied.stderr).toBe(
    'mcp-agent: login: OAuth: the authorization server did not authorize mcp-agent (access_denied: The user denied the request)\n',
  );
  expect(existsSync(path.join(dir, '.mcp-agent', 'tokens', 'denied.json'))).toBe(false);
});

/** `mcp-agent <args>` with the test's config file, to its end. */
async function runCli(args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, MCP_AGENT_CONFIG: configFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `mcp-agent login user` in a subprocess; the test is the browser: it fetches the printed URL. */
async function loginAsBrowser(server = 'user', pageSays = `mcp-agent is authorized for MCP server "${server}"`): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, 'login', server], {
    cwd: dir,
    env: { ...process.env, MCP_AGENT_CONFIG: configFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const browsed = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout += `${line}\n`;
      if (/^https?:\/\//.test(line)) fetch(line).then((res) => res.text()).then(resolve, reject);
    });
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const page = await browsed;
  expect(page).toContain(pageSays);
  return { code, stdout, stderr };
}

describe('authorization code', () => {
  test('mcp-agent login stores tokens that a worker then uses and renews with the refresh token', async () => {
    const loginStarted = Date.now();
    const login = await loginAsBrowser();
    expect(login).toMatchObject({ code: 0, stderr: '' });
    expect(login.stdout).toContain('Open this URL in a browser to authorize mcp-agent for MCP server "user"');
    expect(login.stdout).toContain(`Logged in to "user". Tokens stored in ${tokenFile} (mode 0600); the access token lasts ${TOKEN_LIFETIME_S} s`);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);

    const logAfterLogin = (await fixtureLog()).filter((e) => e.at >= loginStarted);
    const authorize = logAfterLogin.find((e) => e.kind === 'authorize');
    const registered = logAfterLogin.find((e) => e.kind === 'register');
    // No client_id configured: login registered one (dynamic client registration), then PKCE.
    expect(registered?.client_id).toMatch(/^dyn-/);
    expect(authorize?.client_id).toBe(registered?.client_id);
    const stored = JSON.parse(readFileSync(tokenFile, 'utf8'));
    expect(stored).toMatchObject({ server: 'user', resource: fixtureUrls.url, client: { client_id: registered?.client_id } });
    expect(logAfterLogin).toContainEqual(expect.objectContaining({ kind: 'token', grant: 'authorization_code', token: stored.tokens.access_token }));

    const model = uniqueModel('oauth-user');
    env.provider.script(model, [
      ...Array.from({ length: 6 }, () => ({ toolCalls: [{ name: 'user-slow', arguments: { ms: 500 } }] })),
      { toolCalls: [{ name: 'user-whoami', arguments: {} }] },
      (request) => ({ text: toolResultsSeen(request).at(-1)?.content ?? '' }),
    ]);
    const started = Date.now();
    const handle = await env.start('agent', 'as me', agentSpec(model, ['user']));
    const result = (await handle.result()) as AgentResult;
    expect(result.text).toBe(`client ${registered?.client_id}`);
    expect(Date.now() - started).toBeGreaterThan(TOKEN_LIFETIME_S * 1000);

    const log = await fixtureLog();
    expectNoExpiredOrRefused(log, started);
    const refreshed = log.filter((e) => e.kind === 'token' && e.grant === 'refresh_token' && e.at >= started);
    expect(refreshed.length).toBeGreaterThanOrEqual(1);
    // The rotated tokens were written back: the file holds the newest pair.
    const latest = JSON.parse(readFileSync(tokenFile, 'utf8'));
    expect(latest.tokens.refresh_token).toBe(refreshed.at(-1)?.refresh_token);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const history = await historyText(handle);
    for (const entry of log.filter((e) => e.kind === 'token')) {
      expect(history).not.toContain(entry.token);
      if (entry.refresh_token) expect(history).not.toContain(entry.refresh_token);
    }
  });

  test('a revoked refresh token fails the call non-retryably, telling the operator to run mcp-agent login', async () => {
    await fetch(`${fixtureUrls.issuer}/admin/revoke`, { method: 'POST' });
    // Past the renewal point of the worker's current access token, so its next use needs the refresh token.
    await new Promise((resolve) => setTimeout(resolve, TOKEN_LIFETIME_S * 1000));
    const model = uniqueModel('oauth-revoked');
    env.provider.script(model, [{ toolCalls: [{ name: 'user-whoami', arguments: {} }] }, { text: 'never reached' }]);
    const handle = await env.start('agent', 'as me', agentSpec(model, ['user']));
    const { failure, attempts } = await runFailureOf(handle);
    expect(failure).toMatchObject({ type: 'McpConnectionFailed', nonRetryable: true });
    expect(failure.message).toContain('the authorization server refused the stored refresh token of MCP server "user" (invalid_grant: Refresh token is invalid or revoked)');
    expect(failure.message).toContain(`run \`mcp-agent login user\` and give the workers the new token file (${tokenFile})`);
    expect(attempts).toBe(1);
    // The file is kept for the operator (another worker may have renewed it): never deleted on refusal.
    expect(statSync(tokenFile).isFile()).toBe(true);
  });

  test('a new login makes the server usable again', async () => {
    expect((await loginAsBrowser()).code).toBe(0);
    const model = uniqueModel('oauth-relogin');
    env.provider.script(model, [{ toolCalls: [{ name: 'user-whoami', arguments: {} }] }, (request) => ({ text: toolResultsSeen(request)[0].content })]);
    const handle = await env.start('agent', 'as me', agentSpec(model, ['user']));
    expect(((await handle.result()) as AgentResult).text).toMatch(/^client dyn-/);
  });

  test('a worker whose tokens were revoked picks up a new login from the file when the server answers 401', async () => {
    const { pool } = env.worker;
    // A call past the renewal point renews: the worker then holds tokens it will not renew for seconds.
    await new Promise((resolve) => setTimeout(resolve, (TOKEN_LIFETIME_S * 1000) / 2 + 100));
    expect((await pool.callTool('user', 'whoami', {})).isError).toBeFalsy();
    await fetch(`${fixtureUrls.issuer}/admin/revoke?all=1`, { method: 'POST' });
    const settings = { url: fixtureUrls.url, auth: { oauth: { grant: 'authorization_code' as const, token_file: tokenFile } } };
    await oauthLogin({ server: 'user', settings, onAuthorizationUrl: (url) => void fetch(url) });
    const since = Date.now();
    const result = await pool.callTool('user', 'whoami', {});
    expect(result.content).toEqual([{ type: 'text', text: expect.stringMatching(/^client dyn-/) }]);
    const log = (await fixtureLog()).filter((e) => e.at >= since);
    expect(log.map((e) => e.kind)).toEqual(['mcp_refused', 'token_refused', 'token', 'mcp']);
  });

  test('a grant revoked at once (access and refresh token) fails after the 401 non-retryably too, not as a lost connection', async () => {
    await fetch(`${fixtureUrls.issuer}/admin/revoke?all=1`, { method: 'POST' });
    const model = uniqueModel('oauth-revoked-all');
    env.provider.script(model, [{ toolCalls: [{ name: 'user-whoami', arguments: {} }] }, { text: 'never reached' }]);
    const handle = await env.start('agent', 'as me', agentSpec(model, ['user']));
    const { failure, attempts } = await runFailureOf(handle);
    expect(failure).toMatchObject({ type: 'McpConnectionFailed', nonRetryable: true });
    expect(failure.message).toContain('OAuth: the authorization server refused the stored refresh token of MCP server "user"');
    expect(failure.message).toContain('run `mcp-agent login user`');
    expect(attempts).toBe(1);
  });
});

describe('the provider across processes', () => {
  const silent = { debug() {}, info() {}, warn() {} };

  test('concurrent requests share one renewal', async () => {
    const provider = new McpOAuthProvider('svc', fixtureUrls.url, { grant: 'client_credentials', client_id: 'svc', client_secret: SECRET }, silent);
    const since = Date.now();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => provider.tokens()));
    expect(new Set(tokens.map((t) => t.access_token)).size).toBe(1);
    expect((await fixtureLog()).filter((e) => e.at >= since && e.kind === 'token')).toHaveLength(1);
  });

  test('two workers sharing a token file renew it once, and the other takes the rotated tokens from the file', async () => {
    const file = path.join(dir, 'shared', 'user.json');
    const settings = { url: fixtureUrls.url, auth: { oauth: { grant: 'authorization_code' as const, token_file: file } } };
    await oauthLogin({ server: 'user', settings, onAuthorizationUrl: (url) => void fetch(url) });
    const oauth = settings.auth.oauth;
    const workers = [new McpOAuthProvider('user', fixtureUrls.url, oauth, silent), new McpOAuthProvider('user', fixtureUrls.url, oauth, silent)];
    const first = await Promise.all(workers.map((worker) => worker.tokens()));
    expect(first[0].access_token).toBe(first[1].access_token);
    // Past the renewal point: both renew at once, as two workers' next calls would.
    await new Promise((resolve) => setTimeout(resolve, (TOKEN_LIFETIME_S * 1000) / 2 + 100));
    const since = Date.now();
    const renewed = await Promise.all(workers.map((worker) => worker.tokens()));
    expect(renewed[0].access_token).toBe(renewed[1].access_token);
    expect(renewed[0].access_token).not.toBe(first[0].access_token);
    const log = (await fixtureLog()).filter((e) => e.at >= since);
    // One refresh: the rotating server would have refused the second use of the same refresh token.
    expect(log.filter((e) => e.kind === 'token' && e.grant === 'refresh_token')).toHaveLength(1);
    expect(log.filter((e) => e.kind === 'token_refused')).toEqual([]);
    expect(JSON.parse(readFileSync(file, 'utf8')).tokens.access_token).toBe(renewed[0].access_token);
  });
});

describe('a worker process', () => {
  let worker: WorkerProcess | undefined;

  afterAll(async () => {
    await worker?.stop();
  });

  test('logging at debug level, it writes the lines of a run that renews both kinds of token, and none of the tokens or the secret', async () => {
    const userTokens = path.join(dir, 'worker-process', 'user.json');
    const user = { url: fixtureUrls.url, auth: { oauth: { grant: 'authorization_code' as const, token_file: userTokens } } };
    await oauthLogin({ server: 'user', settings: user, onAuthorizationUrl: (url) => void fetch(url) });
    const taskQueue = uniqueTaskQueue('oauth-worker');
    // The names the suite's config has, so the run resolves as any other; the token file is this worker's own.
    const servers = { svc: { url: fixtureUrls.url, auth: { oauth: { grant: 'client_credentials' as const, client_id: 'svc', client_secret: SECRET } } }, user };
    worker = await startWorkerProcess({
      config: { ...providerConfig(env.provider), logger: { level: 'debug' }, mcp: { servers } },
      taskQueue,
      label: 'OAuth worker',
    });

    const model = uniqueModel('oauth-process');
    env.provider.script(model, [
      ...Array.from({ length: 7 }, () => ({ toolCalls: [{ name: 'svc-slow', arguments: { ms: 500 } }, { name: 'user-slow', arguments: { ms: 500 } }] })),
      { toolCalls: [{ name: 'svc-whoami', arguments: {} }, { name: 'user-whoami', arguments: {} }] },
      (request) => ({ text: toolResultsSeen(request).slice(-2).map((r) => r.content).join(' / ') }),
    ]);
    const started = Date.now();
    const run = resolveRun(env.worker.config, 'agent', agentSpec(model, ['svc', 'user']));
    const handle = await env.worker.client.workflow.start(run.workflowType, startOptions({ ...run, input: 'both of us' }, `${model}-run`, taskQueue));
    env.handles.push(handle);
    expect(((await handle.result()) as AgentResult).text).toMatch(/^client svc \/ client dyn-/);
    expect(Date.now() - started).toBeGreaterThan(TOKEN_LIFETIME_S * 1000);
    // Stopped, so every line it would write is written.
    worker.kill('SIGTERM');
    await eventually(async () => worker!.output().includes('"msg":"worker stopped"'));

    // This worker obtained and renewed tokens of both grants during the run: there were tokens to leak.
    const log = await fixtureLog();
    const issued = log.filter((e) => e.kind === 'token' && e.at >= started);
    expect(new Set(issued.map((e) => e.grant))).toEqual(new Set(['client_credentials', 'refresh_token']));
    const secrets = [
      ...log.filter((e) => e.kind === 'token').flatMap((e) => [e.token, e.refresh_token].filter(Boolean) as string[]),
      SECRET,
      Buffer.from(`svc:${SECRET}`).toString('base64'),
    ];
    const output = worker.output();
    const lines = output.split('\n').filter(Boolean);
    // Not vacuous: debug lines, the run's own lines and the OAuth renewals' lines are all there.
    expect(lines.some((line) => line.includes('"level":20'))).toBe(true);
    expect(lines.filter((line) => line.includes(handle.workflowId) && line.includes('"activityType":"mcpCallTool"')).length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.includes('OAuth access token renewed before expiry')).length).toBeGreaterThan(0);
    for (const secret of secrets) expect(output).not.toContain(secret);
    expect(output).not.toMatch(/Bearer /i);
  }, 180_000);
});
