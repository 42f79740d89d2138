import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { ConfigError } from './errors';
import type { Config } from './schema';

/**
 * How every process reaches Temporal (worker, API, MCP server, dev): the address, TLS (a CA, a
 * client certificate for mTLS, a server name) and an API key, as the SDK's connections take them.
 * Certificates are read here, once, so a wrong path stops start-up naming its key.
 */

export interface TemporalConnectionSettings {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

export function temporalConnectionSettings(temporal: Config['temporal']): TemporalConnectionSettings {
  const { address, api_key: apiKey, tls } = temporal;
  return {
    address,
    ...(apiKey && { apiKey }),
    // An API key goes only over TLS (Temporal Cloud), unless the file says tls: false.
    ...(tls === undefined ? apiKey && { tls: true } : { tls: tlsConfig(tls) }),
  };
}

function tlsConfig(tls: NonNullable<Config['temporal']['tls']>): TLSConfig | boolean {
  if (typeof tls === 'boolean') return tls;
  return {
    ...(tls.server_name && { serverNameOverride: tls.server_name }),
    ...(tls.ca_file && { serverRootCACertificate: pem(tls.ca_file, 'ca_file') }),
    ...(tls.cert_file &&
      tls.key_file && { clientCertPair: { crt: pem(tls.cert_file, 'cert_file'), key: pem(tls.key_file, 'key_file') } }),
  };
}

function pem(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw ConfigError.fromProblems('temporal connection', [{ path: ['temporal', 'tls', key], message: `cannot read ${file}: ${reason}` }]);
  }
}
