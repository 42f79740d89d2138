import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { InvalidClientError, InvalidGrantError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { parseCommandLine } from '../../src/cli/args';
import { ConfigError } from '../../src/config/errors';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logging';
import { McpAuthError, renewalTime, tokenRequestFailure } from '../../src/mcp/oauth';
import { TokenFileError, TokenStore, type StoredLogin } from '../../src/mcp/token-store';

/** OAuth config validation, the token file store, renewal timing, what counts as refused, log redaction. */

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'oauth-test-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function load(yaml: string, env: NodeJS.ProcessEnv = {}, secrets?: string) {
  writeFileSync(path.join(dir, 'mcp_agent.config.yaml'), yaml);
  if (secrets !== undefined) writeFileSync(path.join(dir, 'mcp_agent.secrets.yaml'), secrets);
  return loadConfig({ cwd: dir, env });
}

function problemsOf(yaml: string): readonly string[] {
  try {
    load(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the config loaded');
}

const server = (auth: string, extra = '') => `
mcp:
  servers:
    docs:
      url: http://127.0.0.1:9/mcp
${extra}      auth:
${auth}
`;

describe('auth.oauth in the config', () => {
  test('client credentials take the secret from the secrets file or the environment', () => {
    const config = load(
      server(`        oauth: { grant: client_credentials, client_id: svc, client_secret: "\${DOCS_SECRET}", scope: "tools read" }`),
      { DOCS_SECRET: 'from-env' },
    );
    expect(config.mcp.servers.docs.auth).toEqual({
      oauth: { grant: 'client_credentials', client_id: 'svc', client_secret: 'from-env', scope: 'tools read' },
    });
    const merged = load(
      server(`        oauth: { grant: client_credentials, client_id: svc }`),
      {},
      'mcp:\n  servers:\n    docs:\n      auth:\n        oauth:\n          client_secret: from-secrets-file\n',
    );
    expect(merged.mcp.servers.docs.auth?.oauth).toMatchObject({ client_secret: 'from-secrets-file' });
  });

  test('problems name the key path', () => {
    expect(problemsOf(server(`        oauth: { grant: client_credentials, client_id: svc }`))).toEqual([
      'mcp.servers.docs.auth.oauth.client_secret: expected string, received undefined',
    ]);
    expect(problemsOf(server(`        oauth: { grant: password, client_id: svc }`))).toEqual([
      'mcp.servers.docs.auth.oauth.grant: unknown value "password"; expected one of "client_credentials", "authorization_code"',
    ]);
    expect(problemsOf(server(`        oauth: { client_id: svc }`))).toEqual([
      'mcp.servers.docs.auth.oauth.grant: required, one of "client_credentials", "authorization_code"',
    ]);
    expect(problemsOf(server(`        oauth: { grant: authorization_code, redirect_port: 70000, client_secret: x, secret: y }`))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^mcp\.servers\.docs\.auth\.oauth\.redirect_port: /),
        'mcp.servers.docs.auth.oauth.secret: unknown key',
      ]),
    );
  });

  test('OAuth is for streamable_http and sse, and replaces a static Authorization header', () => {
    expect(problemsOf(`
mcp:
  servers:
    ws:
      url: ws://127.0.0.1:9/
      transport: websocket
      auth: { oauth: { grant: authorization_code } }
    local:
      command: node
      auth: { oauth: { grant: authorization_code } }
`)).toEqual([
      'mcp.servers.ws.auth: only the streamable_http and sse transports take OAuth, not websocket',
      'mcp.servers.local.auth: only the streamable_http and sse transports take OAuth, not stdio',
    ]);
    expect(problemsOf(server(`        oauth: { grant: authorization_code }`, `      headers: { Authorization: "Bearer x" }\n`))).toEqual([
      'mcp.servers.docs.headers.Authorization: set either this header or auth, not both',
    ]);
    const sse = load(`
mcp:
  servers:
    legacy: { url: "http://127.0.0.1:9/sse", transport: sse, auth: { oauth: { grant: authorization_code } } }
`);
    expect(sse.mcp.servers.legacy.auth?.oauth.grant).toBe('authorization_code');
  });

  test('an authorization-code server gets an absolute token file: its own, else <token_dir>/<server>.json', () => {
    const byDefault = load(server(`        oauth: { grant: authorization_code }`));
    expect(byDefault.mcp.token_dir).toBe(path.join(dir, '.mcp-agent', 'tokens'));
    expect(byDefault.mcp.servers.docs.auth?.oauth).toMatchObject({ token_file: path.join(dir, '.mcp-agent', 'tokens', 'docs.json') });

    const fromEnv = load(server(`        oauth: { grant: authorization_code }`), { MCP_AGENT_TOKEN_DIR: '/var/run/mcp-tokens' });
    expect(fromEnv.mcp.servers.docs.auth?.oauth).toMatchObject({ token_file: '/var/run/mcp-tokens/docs.json' });

    const own = load(server(`        oauth: { grant: authorization_code, token_file: secrets/docs-tokens.json }`));
    expect(own.mcp.servers.docs.auth?.oauth).toMatchObject({ token_file: path.join(dir, 'secrets', 'docs-tokens.json') });

    const service = load(server(`        oauth: { grant: client_credentials, client_id: a, client_secret: b }`));
    expect(service.mcp.servers.docs.auth?.oauth).not.toHaveProperty('token_file');
  });
});

function login(overrides: Partial<StoredLogin> = {}): StoredLogin {
  return {
    version: 1,
    server: 'docs',
    resource: 'http://127.0.0.1:9/mcp',
    redirect_uri: 'http://127.0.0.1:5555/callback',
    client: { client_id: 'dyn-1' },
    tokens: { access_token: 'at-secret-value', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-secret-value' },
    obtained_at: 1_000,
    updated_at: new Date(1_000).toISOString(),
    ...overrides,
  };
}

describe('token store', () => {
  test('writes the file with mode 0600 in a 0700 folder, and reads it back', async () => {
    const store = new TokenStore(path.join(dir, 'tokens', 'docs.json'));
    expect(await store.read()).toBeUndefined();
    await store.write(login());
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(store.file)).mode & 0o777).toBe(0o700);
    expect(await store.read()).toEqual(login());
    expect(await store.readableByOthers()).toBe(false);

    await store.write(login({ tokens: { access_token: 'newer', token_type: 'Bearer' } }));
    expect((await store.read())?.tokens.access_token).toBe('newer');
    // Atomic replacement leaves no temporary files behind.
    expect(readFileSync(store.file, 'utf8')).toContain('"newer"');
    expect(readdirSync(path.dirname(store.file))).toEqual(['docs.json']);
  });

  test('a damaged file is reported by key, never by value', async () => {
    const file = path.join(dir, 'docs.json');
    const store = new TokenStore(file);
    writeFileSync(file, 'not json');
    await expect(store.read()).rejects.toThrow(new TokenFileError(file, 'is not JSON'));
    writeFileSync(file, JSON.stringify({ ...login(), tokens: { refresh_token: 'rt-secret-value' } }));
    const error = await store.read().catch((e: Error) => e);
    expect(error).toBeInstanceOf(TokenFileError);
    expect((error as Error).message).toContain('tokens.access_token');
    expect((error as Error).message).not.toContain('rt-secret-value');
  });

  test('the lock lets one renewal run at a time, and a stale lock is taken over', async () => {
    const store = new TokenStore(path.join(dir, 'docs.json'));
    const order: string[] = [];
    const critical = (name: string) => async () => {
      order.push(`${name} in`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      order.push(`${name} out`);
    };
    await Promise.all([store.withLock(critical('a')), store.withLock(critical('b'))]);
    // Either may go first; they never overlap.
    expect([['a in', 'a out', 'b in', 'b out'], ['b in', 'b out', 'a in', 'a out']]).toContainEqual(order);
    expect(existsSync(`${store.file}.lock`)).toBe(false);

    mkdirSync(dir, { recursive: true });
    writeFileSync(`${store.file}.lock`, '99999\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${store.file}.lock`, old, old);
    await expect(store.withLock(async () => 'ran')).resolves.toBe('ran');
  });
});

test('a token is renewed a minute before it expires, or halfway through a short one; without expires_in, only when refused', () => {
  expect(renewalTime(0, 3600)).toBe(3_540_000);
  expect(renewalTime(1_000, 2)).toBe(2_000);
  expect(renewalTime(0, 90)).toBe(45_000);
  expect(renewalTime(0, undefined)).toBeUndefined();
});

test('a refused grant is final; a failing or unreachable authorization server is worth retrying', () => {
  const refused = (reason: string) => `refused (${reason})`;
  const revoked = tokenRequestFailure('docs', new InvalidGrantError('Refresh token is invalid or revoked'), refused);
  expect(revoked).toBeInstanceOf(McpAuthError);
  expect(revoked.message).toBe('OAuth: refused (invalid_grant: Refresh token is invalid or revoked)');
  expect(tokenRequestFailure('docs', new InvalidClientError('bad secret'), refused)).toBeInstanceOf(McpAuthError);
  expect(tokenRequestFailure('docs', new ServerError('HTTP 401: Invalid OAuth error response'), refused)).toBeInstanceOf(McpAuthError);
  const down = tokenRequestFailure('docs', new ServerError('HTTP 503: Invalid OAuth error response'), refused);
  expect(down).not.toBeInstanceOf(McpAuthError);
  expect(tokenRequestFailure('docs', new TypeError('fetch failed'), refused)).not.toBeInstanceOf(McpAuthError);
});

test('an HTML page an authorization server answers with is cut to a line of plain text', () => {
  const refused = (reason: string) => `refused (${reason})`;
  const page = '<!DOCTYPE html>\n<html lang="en">\n<head>\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot POST /token</pre>\n</body>\n</html>\n';
  const sdkMessage = `HTTP 404: Invalid OAuth error response: SyntaxError: Unexpected token '<', "<!DOCTYPE "... is not valid JSON. Raw body: ${page}`;
  expect(tokenRequestFailure('docs', new ServerError(sdkMessage), refused).message).toBe('OAuth: refused (HTTP 404 Not Found: Error Cannot POST /token)');
  const down = tokenRequestFailure('docs', new ServerError(sdkMessage.replace('HTTP 404', 'HTTP 502')), refused);
  expect(down.message).toBe('OAuth: could not get a token for MCP server "docs" from its authorization server: HTTP 502 Bad Gateway: Error Cannot POST /token');
});

test('the logger redacts tokens, client secrets and Authorization headers', () => {
  let written = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      written += String(chunk);
      done();
    },
  });
  const logger = createLogger('test', 'info', sink);
  logger.info(
    { access_token: 'at-1', tokens: { refresh_token: 'rt-1', access_token: 'at-2' }, oauth: { client_secret: 's-1' }, headers: { authorization: 'Bearer at-3' } },
    'hello',
  );
  expect(written).toContain('hello');
  for (const secret of ['at-1', 'rt-1', 'at-2', 's-1', 'at-3']) expect(written).not.toContain(secret);
});

test('mcp-agent login <server> [--port N] parses', () => {
  const read = () => '';
  expect(parseCommandLine(['login', 'docs'], read).command).toEqual({ name: 'login', server: 'docs' });
  expect(parseCommandLine(['login', 'docs', '--port', '8765'], read).command).toEqual({ name: 'login', server: 'docs', port: 8765 });
  expect(() => parseCommandLine(['login'], read)).toThrow('login: missing server (usage: login <server>)');
  expect(() => parseCommandLine(['login', 'docs', '--port', 'x'], read)).toThrow('--port: must be a port number from 0 to 65535, got "x"');
});
