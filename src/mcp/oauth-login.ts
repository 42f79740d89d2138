import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { auth, type OAuthClientProvider, type OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { urlForMessages } from './errors';
import {
  CLIENT_NAME,
  httpStatusText,
  McpAuthError,
  tokenFileOf,
  tokenRequestFailure,
  WatchedFetch,
  type McpOAuthSettings,
  type OAuthExchange,
} from './oauth';
import type { McpServerSettings } from './pool';
import { TokenStore, type StoredLogin } from './token-store';

/**
 * `mcp-agent login <server>`: the OAuth authorization code flow with PKCE for one configured server,
 * through the MCP SDK's auth() (discovery, dynamic client registration when no client_id is
 * configured, PKCE, the code exchange). The redirect comes back to a loopback listener
 * (http://127.0.0.1:PORT/callback, RFC 8252); the tokens go to the server's token file, mode 0600,
 * where workers read them.
 */

export interface LoginOptions {
  server: string;
  settings: McpServerSettings;
  /** The loopback port (default: the server's redirect_port, else any free port). */
  port?: number;
  /** How long to wait for the browser to come back (default 5 minutes). */
  timeoutMs?: number;
  /** Shown to the person: the URL to open, and where the redirect is awaited. */
  onAuthorizationUrl(url: URL, redirectUri: string): void;
  fetchFn?: FetchLike;
}

export interface LoginResult {
  file: string;
  expiresIn?: number;
  refreshToken: boolean;
  scope?: string;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** The provider of one login: nothing stored is reused, everything it learns goes into the new token file. */
class LoginProvider implements OAuthClientProvider {
  private registered?: OAuthClientInformationMixed;
  private verifier?: string;
  private discovery?: OAuthDiscoveryState;
  saved?: OAuthTokens;
  authorizationUrl?: URL;
  constructor(
    private readonly oauth: Extract<McpOAuthSettings, { grant: 'authorization_code' }>,
    readonly redirectUrl: string,
    private readonly stateValue: string,
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: CLIENT_NAME,
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: this.oauth.client_secret ? 'client_secret_basic' : 'none',
      ...(this.oauth.scope && { scope: this.oauth.scope }),
    };
  }

  state(): string {
    return this.stateValue;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    if (this.registered) return this.registered;
    const { client_id, client_secret } = this.oauth;
    return client_id ? { client_id, ...(client_secret && { client_secret }) } : undefined;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.registered = info;
  }

  tokens(): OAuthTokens | undefined {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (this.verifier === undefined) throw new Error('no PKCE code verifier was saved');
    return this.verifier;
  }

  /** A refused code is not retried with other credentials: the person logs in again. */
  invalidateCredentials(): void {}

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }
}

/** A redirect that carried this login's `state` and a `code`: its browser tab waits for the outcome. */
interface Redirect {
  code: string;
  /** Answers the waiting browser tab: success only once the tokens are stored, else why not. */
  answer(outcome: { ok: true } | { ok: false; reason: string }): void;
}

interface Loopback {
  redirectUri: string;
  /** The redirect carrying `state` and a code; rejects on an error redirect. */
  redirect: Promise<Redirect>;
  close(): Promise<void>;
}

/** For text content (no attributes here): a failure's reason may quote what a server sent. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] as string);
}

function page(title: string, text: string): string {
  return `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><p>${escapeHtml(text)}</p>`;
}

async function listenForRedirect(port: number, state: string, server: string): Promise<Loopback> {
  let settle!: { resolve(redirect: Redirect): void; reject(error: Error): void };
  const redirect = new Promise<Redirect>((resolve, reject) => (settle = { resolve, reject }));
  redirect.catch(() => undefined);
  let received = false;
  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    if (url.searchParams.get('state') !== state) {
      // Not the redirect of this login (a stale tab, a forged request): ignored, the wait goes on.
      res.writeHead(400, { 'content-type': 'text/html' }).end(page('mcp-agent login', 'This redirect does not belong to the login in progress.'));
      return;
    }
    if (received) {
      res.writeHead(409, { 'content-type': 'text/html' }).end(page('mcp-agent login', 'This login already received its redirect; see the terminal.'));
      return;
    }
    received = true;
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    if (error || !code) {
      const description = url.searchParams.get('error_description');
      res.writeHead(400, { 'content-type': 'text/html' }).end(page('mcp-agent login', 'Authorization failed; see the terminal.'));
      settle.reject(new McpAuthError(server, `the authorization server did not authorize mcp-agent (${error ?? 'no code'}${description ? `: ${description}` : ''})`));
      return;
    }
    // The tab waits while the code is exchanged: the code can still be refused (invalid_grant), and
    // a page saying "authorized" before then would be wrong.
    settle.resolve({
      code,
      answer(outcome) {
        if (res.writableEnded) return;
        if (outcome.ok) {
          res.writeHead(200, { 'content-type': 'text/html' }).end(page('mcp-agent login', `mcp-agent is authorized for MCP server "${server}". You can close this window.`));
        } else {
          res
            .writeHead(502, { 'content-type': 'text/html' })
            .end(page('mcp-agent login failed', `mcp-agent could not log in to MCP server "${server}": ${outcome.reason}. See the terminal.`));
        }
      },
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = http.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${bound}/callback`,
    redirect,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function oauthLogin(options: LoginOptions): Promise<LoginResult> {
  const { server, settings } = options;
  const oauth = settings.auth?.oauth;
  if (!oauth) throw new McpAuthError(server, `MCP server "${server}" has no auth.oauth in the config`);
  if (oauth.grant !== 'authorization_code') {
    throw new McpAuthError(server, `MCP server "${server}" uses the ${oauth.grant} grant: workers get their tokens themselves, there is nothing to log in to`);
  }
  if (!settings.url) throw new McpAuthError(server, `MCP server "${server}" has no url`);
  const serverUrl = settings.url;
  const port = options.port ?? oauth.redirect_port ?? 0;
  // Ties the redirect to this login (CSRF): a redirect with another state is ignored.
  const state = randomBytes(16).toString('base64url');
  const loopback = await listenForRedirect(port, state, server).catch((error: Error) => {
    throw new McpAuthError(server, `cannot listen for the redirect on 127.0.0.1:${port}: ${error.message}`);
  });
  try {
    return await loginThrough(loopback, state, serverUrl, oauth, options);
  } finally {
    await loopback.close();
  }
}

async function loginThrough(
  loopback: Loopback,
  state: string,
  serverUrl: string,
  oauth: Extract<McpOAuthSettings, { grant: 'authorization_code' }>,
  options: LoginOptions,
): Promise<LoginResult> {
  const { server } = options;
  const watch = new WatchedFetch(options.fetchFn);
  const fetchFn = watch.fetch;
  const provider = new LoginProvider(oauth, loopback.redirectUri, state);
  const refused = (reason: string) => `the authorization server refused the login to MCP server "${server}" (${reason})`;
  try {
    const started = await auth(provider, { serverUrl, ...(oauth.scope && { scope: oauth.scope }), fetchFn });
    if (started !== 'REDIRECT' || !provider.authorizationUrl) throw new Error('the authorization server did not start a browser login');
  } catch (error) {
    throw noOAuthFailure(server, serverUrl, oauth, provider.discoveryState(), watch.last, error) ?? tokenRequestFailure(server, error, refused, { serverUrl, fetch: watch });
  }
  options.onAuthorizationUrl(provider.authorizationUrl, loopback.redirectUri);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const redirect = await withTimeout(loopback.redirect, timeoutMs, `no redirect came back to ${loopback.redirectUri} within ${Math.round(timeoutMs / 1000)} s`);
  try {
    const result = await exchangeAndStore(redirect.code, loopback, serverUrl, oauth, provider, watch, options);
    redirect.answer({ ok: true });
    return result;
  } catch (error) {
    // Token request failures are already in words (exchangeAndStore); a token file that cannot be written says so itself.
    const reason = error instanceof Error ? error.message : String(error);
    redirect.answer({ ok: false, reason: reason.replace(/^OAuth: /, '') });
    throw error;
  }
}

async function exchangeAndStore(
  code: string,
  loopback: Loopback,
  serverUrl: string,
  oauth: Extract<McpOAuthSettings, { grant: 'authorization_code' }>,
  provider: LoginProvider,
  watch: WatchedFetch,
  options: LoginOptions,
): Promise<LoginResult> {
  const { server } = options;
  const refused = (reason: string) => `the authorization server refused the login to MCP server "${server}" (${reason})`;
  const obtainedAt = Date.now();
  try {
    const done = await auth(provider, { serverUrl, authorizationCode: code, fetchFn: watch.fetch });
    if (done !== 'AUTHORIZED' || !provider.saved) throw new Error('the code exchange returned no tokens');
  } catch (error) {
    throw tokenRequestFailure(server, error, refused, { serverUrl, fetch: watch });
  }
  const tokens = provider.saved;
  const client = provider.clientInformation();
  if (!client) throw new Error('no OAuth client information after the login');
  const store = new TokenStore(tokenFileOf(server, oauth));
  const login: StoredLogin = {
    version: 1,
    server,
    resource: serverUrl,
    redirect_uri: loopback.redirectUri,
    client,
    tokens,
    obtained_at: obtainedAt,
    updated_at: new Date().toISOString(),
  };
  await store.write(login);
  return {
    file: store.file,
    ...(tokens.expires_in !== undefined && { expiresIn: tokens.expires_in }),
    refreshToken: tokens.refresh_token !== undefined,
    ...(tokens.scope !== undefined && { scope: tokens.scope }),
  };
}

/**
 * A login that failed against a server that advertises no OAuth at all (no protected-resource
 * metadata, no authorization-server metadata): the SDK then tries the default endpoints at the
 * server's origin, which an MCP server without OAuth answers with its 404 page, reported as the
 * authorization server refusing. Said as it is instead, with what to do. Undefined otherwise.
 */
function noOAuthFailure(
  server: string,
  serverUrl: string,
  oauth: Extract<McpOAuthSettings, { grant: 'authorization_code' }>,
  discovery: OAuthDiscoveryState | undefined,
  last: OAuthExchange | undefined,
  error: unknown,
): Error | undefined {
  if (!discovery || discovery.resourceMetadata || discovery.authorizationServerMetadata) return undefined;
  if (!last || last.error !== undefined || last.status === undefined || last.status < 400) return undefined;
  // Without a client_id the one POST of the flow's start is dynamic client registration.
  const step = last.method === 'POST' && !oauth.client_id ? 'dynamic client registration' : `${last.method} request`;
  const body = last.body ? ` ("${last.body}")` : '';
  return new McpAuthError(
    server,
    `MCP server "${server}" at ${urlForMessages(serverUrl)} advertises no OAuth: it serves no protected-resource metadata (RFC 9728) ` +
      `and no authorization-server metadata (RFC 8414), and ${step} at ${urlForMessages(last.url)} answered ${httpStatusText(last.status)}${body}. ` +
      'If the server needs no login, remove auth.oauth from its config; if its authorization server takes only clients registered beforehand, ' +
      'set auth.oauth.client_id; otherwise check its url',
    { cause: error },
  );
}
