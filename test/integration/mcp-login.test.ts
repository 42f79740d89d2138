/**
 * `mcp-agent login <server>` when it cannot succeed, end to end through the CLI: against an MCP
 * server without OAuth (server-everything over streamable HTTP), against one nobody listens for,
 * and with a code the authorization server refuses (the OAuth fixture; the test is the browser).
 * Each exits 1 saying what is wrong; the browser tab is told the outcome of the code exchange.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { freePort, stopProcess } from '../../temporal/dev-server';
import { projectRoot } from '../support/agent-env';

const BIN = path.join(projectRoot, 'bin', 'mcp-agent.js');
const everythingEntry = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

let everything: ChildProcess;
let oauthFixture: ChildProcess;
let everythingUrl: string;
let downUrl: string;
let dir: string;
let configFile: string;

/** A child process that prints a line matching `ready` (on stdout or stderr) once it listens. */
async function startServer(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, args, { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const line = await new Promise<string>((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (text) => ready.test(text) && resolve(text));
    }
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code})`)));
  });
  return { child, line };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-login-'));
  const port = await freePort();
  everything = (await startServer([everythingEntry, 'streamableHttp'], { PORT: String(port) }, /listening on port/)).child;
  everythingUrl = `http://127.0.0.1:${port}/mcp`;
  downUrl = `http://127.0.0.1:${await freePort()}/mcp`;
  const fixture = await startServer(['--import', 'tsx', path.join(projectRoot, 'test', 'fixtures', 'oauth-mcp-server.ts')], {}, /^\{/);
  oauthFixture = fixture.child;
  const { url: fixtureUrl } = JSON.parse(fixture.line) as { url: string };
  const login = { oauth: { grant: 'authorization_code' } };
  configFile = path.join(dir, 'mcp_agent.config.yaml');
  writeFileSync(
    configFile,
    stringify({ mcp: { servers: { tracker: { url: everythingUrl, auth: login }, down: { url: downUrl, auth: login }, user: { url: fixtureUrl, auth: login } } } }),
  );
}, 60_000);

afterAll(async () => {
  if (everything) await stopProcess(everything);
  if (oauthFixture) await stopProcess(oauthFixture);
  rmSync(dir, { recursive: true, force: true });
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `mcp-agent login <server>`; `browse` gets each URL it prints, as a person would open it. */
async function login(server: string, browse?: (url: string) => Promise<void>): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, 'login', server], { cwd: dir, env: { ...process.env, MCP_AGENT_CONFIG: configFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const browsing: Promise<void>[] = [];
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout += `${line}\n`;
    if (browse && /^https?:\/\//.test(line)) browsing.push(browse(line));
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  await Promise.all(browsing);
  return { code, stdout, stderr };
}

test('login to an MCP server without OAuth says it advertises none and what registration got, without its HTML', async () => {
  const run = await login('tracker');
  expect(run.code).toBe(1);
  const origin = new URL(everythingUrl).origin;
  expect(run.stderr).toBe(
    `mcp-agent: login: OAuth: MCP server "tracker" at ${everythingUrl} advertises no OAuth: it serves no protected-resource metadata (RFC 9728) ` +
      `and no authorization-server metadata (RFC 8414), and dynamic client registration at ${origin}/register answered HTTP 404 Not Found ` +
      '("Error Cannot POST /register"). If the server needs no login, remove auth.oauth from its config; if its authorization server takes only ' +
      'clients registered beforehand, set auth.oauth.client_id; otherwise check its url\n',
  );
  expect(run.stderr).not.toMatch(/<[a-z!]/i);
});

test('login to an MCP server nobody listens for says the server cannot be reached, and why', async () => {
  const run = await login('down');
  expect(run).toMatchObject({ code: 1 });
  expect(run.stderr).toBe(
    `mcp-agent: login: OAuth: could not get a token for MCP server "down": the MCP server at ${downUrl} cannot be reached ` +
      `(connect ECONNREFUSED ${new URL(downUrl).host})\n`,
  );
});

test('the browser is told the login failed when the code is refused, never that it is authorized', async () => {
  const pages: { status: number; text: string }[] = [];
  const run = await login('user', async (authorizationUrl) => {
    // The authorization server redirects back with a code; the test swaps it for a bogus one.
    const approved = await fetch(authorizationUrl, { redirect: 'manual' });
    const callback = new URL(approved.headers.get('location') as string);
    callback.searchParams.set('code', 'bogus-code');
    const page = await fetch(callback);
    pages.push({ status: page.status, text: await page.text() });
  });
  expect(run.code).toBe(1);
  expect(run.stderr).toBe(
    'mcp-agent: login: OAuth: the authorization server refused the login to MCP server "user" (invalid_grant: Unknown or expired code)\n',
  );
  expect(pages).toHaveLength(1);
  expect(pages[0].status).toBe(502);
  expect(pages[0].text).toContain(
    'mcp-agent could not log in to MCP server "user": the authorization server refused the login to MCP server "user" (invalid_grant: Unknown or expired code). See the terminal.',
  );
  expect(pages[0].text).not.toContain('is authorized');
  expect(existsSync(path.join(dir, '.mcp-agent', 'tokens', 'user.json'))).toBe(false);
});
