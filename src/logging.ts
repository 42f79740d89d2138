import pino, { type Logger } from 'pino';

/** One pino logger per process, named by its role so interleaved dev output stays readable. */
export function createLogger(name: string, level: string): Logger {
  return pino({ name, level });
}
