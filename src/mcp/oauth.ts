import { STATUS_CODES } from 'node:http';
import path from 'node:path';
import {
  discoverOAuthServerInfo,
  fetchToken,
  refreshAuthorization,
  selectResourceURL,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
} from '@modelcontextprotocol/sdk/client/auth.js';
import {
  OAuthError,
  ServerError,
  TemporarilyUnavailableError,
  TooManyRequestsError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type {
  AuthorizationServerMetadata,
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { networkCause, plainExcerpt, urlForMessages } from './errors';
import type { McpPoolLogger, McpServerSettings } from './pool';
import { TokenFileError, TokenStore, type StoredLogin } from './token-store';

/**
 * OAuth 2.1 for HTTP MCP servers (the MCP authorization specification), on the MCP SDK's client
 * auth: the authorization server is discovered from the server's protected-resource metadata
 * (RFC 9728, then RFC 8414), tokens carry the server as their resource indicator (RFC 8707).
 *
 * One provider per configured server and process, handed to the streamable HTTP or SSE transport
 * as its `authProvider`: the transport asks it for the access token before every request, and it
 * renews the token before it expires (a minute early, or halfway through a short-lived token), so
 * requests never go out with an expired token. A 401 still goes through the SDK's `auth()`, which
 * calls back into the same provider. Tokens stay in this process's memory (client credentials) or
 * in the server's token file (authorization code): never in workflow history, never in a log line.
 */

export type McpOAuthSettings =
  | { grant: 'client_credentials'; client_id: string; client_secret: string; scope?: string }
  | {
      grant: 'authorization_code';
      client_id?: string;
      client_secret?: string;
      scope?: string;
      redirect_port?: number;
      token_file?: string;
    };

/**
 * The authorization server refused the credentials (a wrong client secret, a revoked refresh
 * token) or there are none (no login yet): retrying cannot help, a person must act. Its message
 * says what to do and never contains a secret.
 */
export class McpAuthError extends Error {
  constructor(
    readonly server: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`OAuth: ${message}`, options);
    this.name = 'McpAuthError';
  }
}

/**
 * No token could be had for now (the MCP server or its authorization server unreachable, or
 * failing): worth retrying, as an unreachable MCP server is.
 */
export class McpTokenError extends Error {
  constructor(
    readonly server: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`OAuth: ${message}`, options);
    this.name = 'McpTokenError';
  }
}

export const CLIENT_NAME = 'mcp-agent-temporal';
const RENEW_EARLY_MAX_MS = 60_000;

/** When a token obtained at `obtainedAt` is renewed: a minute before it expires, or halfway for a short-lived one. */
export function renewalTime(obtainedAt: number, expiresInSeconds: number | undefined): number | undefined {
  if (expiresInSeconds === undefined || !(expiresInSeconds > 0)) return undefined;
  const lifetime = expiresInSeconds * 1000;
  return obtainedAt + lifetime - Math.min(RENEW_EARLY_MAX_MS, lifetime / 2);
}

/** The default token file of an authorization-code server whose config was not resolved by loadConfig. */
export function tokenFileOf(server: string, oauth: McpOAuthSettings): string {
  return oauth.grant === 'authorization_code' && oauth.token_file
    ? oauth.token_file
    : path.resolve('.mcp-agent', 'tokens', `${server}.json`);
}

export function loginAdvice(server: string): string {
  return `run \`mcp-agent login ${server}\` and give the workers the new token file`;
}

interface Held {
  tokens: OAuthTokens;
  renewAt?: number;
}

interface Discovered {
  authorizationServerUrl: string;
  metadata?: AuthorizationServerMetadata;
  resource?: URL | string;
}

/** The last request of an OAuth flow and how it ended: what a failure of the flow is about. */
export interface OAuthExchange {
  method: string;
  url: string;
  status?: number;
  /** A plain-text excerpt of an error answer's body. */
  body?: string;
  /** Set when no answer came (the network's error). */
  error?: unknown;
}

/**
 * A fetch for the SDK's OAuth functions that notes the last request it made: their errors say
 * "fetch failed" or "HTTP 404" without saying to whom.
 */
export class WatchedFetch {
  last?: OAuthExchange;

  constructor(private readonly inner: FetchLike = fetch) {}

  readonly fetch: FetchLike = async (url, init) => {
    const exchange: OAuthExchange = { method: init?.method ?? 'GET', url: String(url) };
    this.last = exchange;
    try {
      const response = await this.inner(url, init);
      exchange.status = response.status;
      if (response.status >= 400) exchange.body = plainExcerpt(await response.clone().text().catch(() => ''));
      return response;
    } catch (error) {
      exchange.error = error;
      throw error;
    }
  };
}

/** `HTTP 404 Not Found`. */
export function httpStatusText(status: number): string {
  return STATUS_CODES[status] ? `HTTP ${status} ${STATUS_CODES[status]}` : `HTTP ${status}`;
}

/**
 * An OAuth error's text without the HTML page a server may have answered with: the SDK puts a
 * body it cannot parse whole into its message ("HTTP 404: Invalid OAuth error response: ... Raw
 * body: <!DOCTYPE html>...").
 */
function oauthErrorDetail(error: OAuthError): string {
  const unparsed = /^HTTP (\d{3}): Invalid OAuth error response: [\s\S]*?Raw body: ([\s\S]*)$/.exec(error.message);
  if (unparsed) {
    const body = plainExcerpt(unparsed[2]);
    return `${httpStatusText(Number(unparsed[1]))}${body ? `: ${body}` : ''}`;
  }
  const code = (error.constructor as { errorCode?: string }).errorCode ?? error.name;
  return error.message ? `${code}: ${plainExcerpt(error.message, 300)}` : code;
}

/**
 * Who could not be reached, when the last request got no answer: the MCP server itself (where
 * discovery starts) or its authorization server.
 */
function unreachable(serverUrl: string | undefined, last: OAuthExchange | undefined): string | undefined {
  if (!last?.error) return undefined;
  const cause = networkCause(last.error);
  if (!cause) return undefined;
  const sameOrigin = serverUrl !== undefined && URL.canParse(serverUrl) && URL.canParse(last.url) && new URL(serverUrl).origin === new URL(last.url).origin;
  return sameOrigin
    ? `the MCP server at ${urlForMessages(serverUrl)} cannot be reached (${cause})`
    : `its authorization server at ${urlForMessages(last.url)} cannot be reached (${cause})`;
}

/**
 * What a token request failure means: refused credentials are final, an unreachable or failing
 * server is not. `watched` (the flow's WatchedFetch and the MCP server's URL) lets the message say
 * who could not be reached.
 */
export function tokenRequestFailure(
  server: string,
  error: unknown,
  refused: (reason: string) => string,
  watched?: { serverUrl: string; fetch: WatchedFetch },
): Error {
  if (error instanceof McpAuthError || error instanceof TokenFileError || error instanceof McpTokenError) return error;
  const transient = error instanceof ServerError || error instanceof TemporarilyUnavailableError || error instanceof TooManyRequestsError;
  if (error instanceof OAuthError && (!transient || /^HTTP 4\d\d\b/.test(error.message))) {
    return new McpAuthError(server, refused(oauthErrorDetail(error)));
  }
  const away = unreachable(watched?.serverUrl, watched?.fetch.last);
  if (away) return new McpTokenError(server, `could not get a token for MCP server "${server}": ${away}`, { cause: error });
  const network = networkCause(error);
  const message = error instanceof OAuthError ? oauthErrorDetail(error) : error instanceof Error ? plainExcerpt(error.message, 300) : String(error);
  return new McpTokenError(server, `could not get a token for MCP server "${server}" from its authorization server: ${message}${network ? ` (${network})` : ''}`, {
    cause: error,
  });
}

export class McpOAuthProvider implements OAuthClientProvider {
  private held?: Held;
  private renewing?: Promise<OAuthTokens>;
  private discovery?: OAuthDiscoveryState;
  private verifier?: string;
  private clientInfo?: OAuthClientInformationMixed;
  private login?: StoredLogin;
  private warnedPermissions = false;
  /** Set when the SDK's auth(), renewing after a 401, was refused and is about to try once more. */
  private refusedInAuth?: 'all' | 'tokens';
  /** How the last renewal got its tokens: 'file' when a login or another process had put fresh ones there. */
  private renewedBy?: 'file';
  readonly store?: TokenStore;
  /** The fetch of the OAuth requests made here; its last request says whom a failure is about. */
  private readonly watch: WatchedFetch;

  constructor(
    readonly server: string,
    readonly serverUrl: string,
    readonly oauth: McpOAuthSettings,
    private readonly log: McpPoolLogger,
    fetchFn?: FetchLike,
  ) {
    if (oauth.grant === 'authorization_code') this.store = new TokenStore(tokenFileOf(server, oauth));
    this.watch = new WatchedFetch(fetchFn);
  }

  get redirectUrl(): string | undefined {
    if (this.oauth.grant === 'client_credentials') return undefined;
    // Never visited by a worker (redirectToAuthorization refuses); it tells auth() this is an interactive client.
    return this.login?.redirect_uri ?? 'http://127.0.0.1/callback';
  }

  get clientMetadata(): OAuthClientMetadata {
    const { scope } = this.oauth;
    const confidential = this.oauth.client_secret !== undefined;
    return this.oauth.grant === 'client_credentials'
      ? { client_name: CLIENT_NAME, redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', ...(scope && { scope }) }
      : {
          client_name: CLIENT_NAME,
          redirect_uris: [this.redirectUrl as string],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: confidential ? 'client_secret_basic' : 'none',
          ...(scope && { scope }),
        };
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    if (this.clientInfo) return this.clientInfo;
    if (this.login) return this.login.client as OAuthClientInformationMixed;
    const { client_id, client_secret } = this.oauth;
    return client_id ? { client_id, ...(client_secret && { client_secret }) } : undefined;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.clientInfo = info;
  }

  /** The access token the transport sends, renewed first when it is due. */
  async tokens(): Promise<OAuthTokens> {
    if (this.oauth.grant === 'authorization_code') this.throwIfRefusedInAuth();
    const held = this.held;
    if (held && !isDue(held)) return held.tokens;
    if (!this.renewing) {
      const renewing = this.renew();
      this.renewing = renewing;
      renewing.then(
        () => this.renewing === renewing && (this.renewing = undefined),
        () => this.renewing === renewing && (this.renewing = undefined),
      );
    }
    return this.renewing;
  }

  /** Called by the SDK's auth() after a 401 made it fetch or refresh tokens itself. */
  async saveTokens(tokens: OAuthTokens): Promise<void> {
    const obtainedAt = Date.now();
    this.hold(tokens, obtainedAt);
    if (this.store && this.login) {
      const login = { ...this.login, tokens, obtained_at: obtainedAt, updated_at: new Date().toISOString() };
      await this.store.write(login);
      this.login = login;
    }
  }

  redirectToAuthorization(): never {
    throw new McpAuthError(this.server, `MCP server "${this.server}" needs a new login: the stored tokens were refused; ${loginAdvice(this.server)}`);
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (this.verifier === undefined) throw new Error('no PKCE code verifier was saved');
    return this.verifier;
  }

  prepareTokenRequest(scope?: string): URLSearchParams | undefined {
    if (this.oauth.grant !== 'client_credentials') return undefined;
    this.throwIfRefusedInAuth();
    const params = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) params.set('scope', scope);
    return params;
  }

  /**
   * The SDK's auth() calls this when the authorization server refused what it sent (invalid_client,
   * invalid_grant), then tries once more. The token file may hold newer tokens than the refused ones
   * (a new login, or another worker's renewal with a server that rotates refresh tokens): the
   * second try uses those. Otherwise it would send the same credentials again, so it is stopped
   * with an McpAuthError, which says what to do and is not retried. The token file is never
   * deleted here: another worker may hold newer tokens in it.
   */
  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if ((scope === 'all' || scope === 'tokens') && (await this.adoptNewerLogin())) return;
    if (scope === 'all' || scope === 'tokens') this.refusedInAuth = scope;
    if (scope === 'all' || scope === 'tokens') this.held = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
    if (scope === 'all' || scope === 'client') this.clientInfo = undefined;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }

  /** Takes the token file's tokens when they are not the ones just refused. */
  private async adoptNewerLogin(): Promise<boolean> {
    if (!this.store) return false;
    const spent = this.held?.tokens.refresh_token ?? this.login?.tokens.refresh_token;
    const stored = await this.store.read().catch(() => undefined);
    const newer = stored?.tokens.refresh_token !== undefined && stored.tokens.refresh_token !== spent && stored.resource === this.serverUrl;
    if (!stored || !newer) return false;
    this.clientInfo = undefined;
    this.adopt(stored);
    return true;
  }

  private throwIfRefusedInAuth(): void {
    const refused = this.refusedInAuth;
    if (!refused) return;
    this.refusedInAuth = undefined;
    const what =
      this.oauth.grant === 'client_credentials'
        ? `the client credentials of MCP server "${this.server}"; check auth.oauth.client_id and client_secret`
        : refused === 'tokens'
          ? `the stored refresh token of MCP server "${this.server}": it was revoked or has expired; ${loginAdvice(this.server)}`
          : `the client registration of MCP server "${this.server}"; ${loginAdvice(this.server)}`;
    throw new McpAuthError(this.server, `the authorization server refused ${what}`);
  }

  private hold(tokens: OAuthTokens, obtainedAt: number): void {
    this.held = { tokens, renewAt: renewalTime(obtainedAt, tokens.expires_in) };
  }

  private async renew(): Promise<OAuthTokens> {
    const renewal = this.held !== undefined;
    this.renewedBy = undefined;
    const tokens = this.oauth.grant === 'client_credentials' ? await this.clientCredentials() : await this.fromTokenFile();
    // Never the tokens: the server, the grant, the lifetime, and who renewed them.
    this.log.info(
      { server: this.server, grant: this.oauth.grant, expires_in: tokens.expires_in },
      this.renewedBy === 'file'
        ? 'OAuth access token read from the token file'
        : renewal
          ? 'OAuth access token renewed before expiry'
          : 'OAuth access token obtained',
    );
    return tokens;
  }

  private async clientCredentials(): Promise<OAuthTokens> {
    const started = Date.now();
    try {
      const found = await this.discover();
      const tokens = await fetchToken(this, found.authorizationServerUrl, { metadata: found.metadata, resource: found.resource as URL | undefined, fetchFn: this.watch.fetch });
      this.hold(tokens, started);
      return tokens;
    } catch (error) {
      throw tokenRequestFailure(
        this.server,
        error,
        (reason) => `the authorization server refused the client credentials of MCP server "${this.server}" (${reason}); check auth.oauth.client_id and client_secret`,
        { serverUrl: this.serverUrl, fetch: this.watch },
      );
    }
  }

  /** Tokens from the file when another process (or login) put fresh ones there, else renewed with the refresh token. */
  private async fromTokenFile(): Promise<OAuthTokens> {
    const store = this.store as TokenStore;
    const stored = await this.readLogin(store);
    if (!isDue(heldOf(stored))) return this.adopt(stored, 'file');
    return store.withLock(async () => {
      const current = await this.readLogin(store);
      if (!isDue(heldOf(current))) return this.adopt(current, 'file');
      const refreshToken = current.tokens.refresh_token;
      if (!refreshToken) {
        throw new McpAuthError(this.server, `the access token of MCP server "${this.server}" expired and no refresh token is stored; ${loginAdvice(this.server)}`);
      }
      const started = Date.now();
      let tokens: OAuthTokens;
      try {
        const found = await this.discover();
        tokens = await refreshAuthorization(found.authorizationServerUrl, {
          metadata: found.metadata,
          clientInformation: current.client as OAuthClientInformationMixed,
          refreshToken,
          resource: found.resource,
          fetchFn: this.watch.fetch,
        });
      } catch (error) {
        throw tokenRequestFailure(
          this.server,
          error,
          (reason) =>
            `the authorization server refused the stored refresh token of MCP server "${this.server}" (${reason}): it was revoked or has expired; ${loginAdvice(this.server)} (${store.file})`,
          { serverUrl: this.serverUrl, fetch: this.watch },
        );
      }
      const login: StoredLogin = { ...current, tokens: { ...tokens, issuer: current.tokens.issuer }, obtained_at: started, updated_at: new Date().toISOString() };
      await store.write(login);
      return this.adopt(login);
    });
  }

  private async readLogin(store: TokenStore): Promise<StoredLogin> {
    let login: StoredLogin | undefined;
    try {
      login = await store.read();
    } catch (error) {
      throw new McpAuthError(this.server, `${(error as Error).message}; ${loginAdvice(this.server)}`);
    }
    if (!login) throw new McpAuthError(this.server, `no login for MCP server "${this.server}" (no ${store.file}); ${loginAdvice(this.server)}`);
    if (login.resource !== this.serverUrl) {
      throw new McpAuthError(this.server, `${store.file} holds tokens for ${login.resource}, not ${this.serverUrl}; ${loginAdvice(this.server)}`);
    }
    if (!this.warnedPermissions && (await store.readableByOthers())) {
      this.warnedPermissions = true;
      this.log.warn({ server: this.server, file: store.file }, 'OAuth token file is readable by other users: chmod 600 it');
    }
    return login;
  }

  private adopt(login: StoredLogin, from?: 'file'): OAuthTokens {
    this.renewedBy = from;
    this.login = login;
    this.held = heldOf(login);
    return login.tokens as OAuthTokens;
  }

  private async discover(): Promise<Discovered> {
    if (!this.discovery) {
      const info = await discoverOAuthServerInfo(this.serverUrl, { fetchFn: this.watch.fetch });
      this.discovery = {
        authorizationServerUrl: info.authorizationServerUrl,
        authorizationServerMetadata: info.authorizationServerMetadata,
        resourceMetadata: info.resourceMetadata,
      };
    }
    const { authorizationServerUrl, authorizationServerMetadata: metadata, resourceMetadata } = this.discovery;
    const selected = await selectResourceURL(this.serverUrl, this, resourceMetadata);
    // As the SDK's auth() does: the metadata's own spelling, not the parsed URL's href (a trailing slash).
    const resource = selected && resourceMetadata ? resourceMetadata.resource : selected;
    return { authorizationServerUrl, metadata, resource };
  }
}

function heldOf(login: StoredLogin): Held {
  return { tokens: login.tokens as OAuthTokens, renewAt: renewalTime(login.obtained_at, login.tokens.expires_in) };
}

function isDue(held: Held): boolean {
  return held.renewAt !== undefined && Date.now() >= held.renewAt;
}

const providers = new WeakMap<McpServerSettings, McpOAuthProvider>();
const silent: McpPoolLogger = { debug() {}, info() {}, warn() {} };

/**
 * The OAuth provider of a configured server in this process, made on first use; undefined when the
 * server has no `auth`. One per config entry, so reconnects and every pool using the entry share its tokens.
 */
export function oauthProviderFor(server: string, settings: McpServerSettings, logger: McpPoolLogger = silent): McpOAuthProvider | undefined {
  const oauth = settings.auth?.oauth;
  if (!oauth || !settings.url) return undefined;
  let provider = providers.get(settings);
  if (!provider) {
    provider = new McpOAuthProvider(server, settings.url, oauth, logger);
    providers.set(settings, provider);
  }
  return provider;
}
