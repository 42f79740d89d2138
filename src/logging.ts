import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Secrets that must never reach a log line, wherever an object carrying them is logged: OAuth
 * tokens and client secrets (src/mcp/oauth.ts logs none, this is the net under it) and
 * Authorization headers.
 */
export const REDACTED_PATHS = [
  'access_token',
  'refresh_token',
  'client_secret',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.*.access_token',
  '*.*.refresh_token',
  '*.*.client_secret',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
];

/** One pino logger per process, named by its role so interleaved dev output stays readable. */
export function createLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const options = { name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
