import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors';

/**
 * Bearer tokens from `api.tokens`. With none configured there is no auth (the API binds to
 * localhost by default). Health and the docs stay open so probes and people can reach them.
 */

const OPEN_PATHS = [/^\/health$/, /^\/docs(\/|$)/];
/** A browser's CORS preflight carries no credentials; the request it clears must. */
const OPEN_PREFLIGHTS = /^\/codec\//;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares digests, so neither a token's content nor its length leaks through timing. */
export function tokenMatches(presented: string, tokens: readonly string[]): boolean {
  const presentedDigest = digest(presented);
  return tokens.reduce((found, token) => timingSafeEqual(presentedDigest, digest(token)) || found, false);
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

export function requireBearerTokens(app: FastifyInstance, tokens: readonly string[]): void {
  if (tokens.length === 0) return;
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?', 1)[0];
    if (OPEN_PATHS.some((open) => open.test(path))) return;
    if (request.method === 'OPTIONS' && OPEN_PREFLIGHTS.test(path)) return;
    const token = bearerToken(request.headers.authorization);
    if (token !== undefined && tokenMatches(token, tokens)) return;
    reply.header('www-authenticate', 'Bearer');
    throw new ApiError(401, 'unauthorized', 'Send a configured API token as "Authorization: Bearer <token>".');
  });
}
