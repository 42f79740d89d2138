import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectClient, checkTemporal, type TemporalClient } from '../../client/connection';
import { startOptions } from '../../client/runs';
import { resolveRun } from '../../src/config/resolve';
import { configSchema, type Config } from '../../src/config/schema';
import { providerConfig } from '../support/agent-env';
import { startApi } from '../support/api-http';
import { uniqueTaskQueue } from '../support/harness';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { testStoragePath, testTemporalAddress } from '../support/temporal-env';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * Temporal behind TLS with client certificates and an API key, as Temporal Cloud is: a real
 * gRPC proxy process (test/fixtures/grpc-tls-proxy.ts) in front of the suite's dev server. A
 * worker process configured by the Temporal CLI's environment variables and a client configured by
 * the file (what the API, the MCP server and the CLI use) both get through; a wrong key or a
 * missing certificate does not.
 */

const projectRoot = path.resolve(__dirname, '..', '..');
const API_KEY = 'test-cloud-key';
let dir: string;
let proxy: ChildProcess;
let proxyAddress: string;
let provider: ScriptedProvider;
let worker: WorkerProcess | undefined;
const clients: TemporalClient[] = [];
const taskQueue = uniqueTaskQueue('tls');

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for localhost signed by it, and a client certificate signed by it. */
function makeCertificates(): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test-ca');
  // Extensions make them X.509 v3, which rustls (the worker's side) insists on.
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, subject] of [['server', '/CN=localhost'], ['client', '/CN=mcp-agent']] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  }
}

async function startProxy(): Promise<void> {
  proxy = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot, 'test', 'fixtures', 'grpc-tls-proxy.ts'), testTemporalAddress(), ...['server.crt', 'server.key', 'ca.crt'].map((f) => path.join(dir, f)), API_KEY],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<string>((resolve, reject) => {
    proxy.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(match[1]);
    });
    proxy.once('exit', (code) => reject(new Error(`the TLS proxy exited (${code})`)));
  });
  proxyAddress = `127.0.0.1:${port}`;
}

function config(temporal: Record<string, unknown>): Config {
  return configSchema.parse({
    ...providerConfig(provider),
    temporal: { address: proxyAddress, task_queue: taskQueue, ...temporal },
    storage: { path: testStoragePath() },
  });
}

function client(temporal: Record<string, unknown>): TemporalClient {
  const connected = connectClient(config(temporal));
  clients.push(connected);
  return connected;
}

const files = () => ({
  ca_file: path.join(dir, 'ca.crt'),
  cert_file: path.join(dir, 'client.crt'),
  key_file: path.join(dir, 'client.key'),
  server_name: 'localhost',
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mcp-agent-tls-'));
  makeCertificates();
  provider = await startScriptedProvider();
  await startProxy();
});

afterAll(async () => {
  await worker?.stop();
  await Promise.all(clients.map((c) => c.connection.close()));
  proxy?.kill('SIGTERM');
  await provider?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a worker process and a client reach Temporal over mTLS with an API key, and a run completes', async () => {
  worker = await startWorkerProcess({
    config: providerConfig(provider),
    taskQueue,
    label: 'TLS worker',
    env: {
      TEMPORAL_ADDRESS: proxyAddress,
      TEMPORAL_API_KEY: API_KEY,
      TEMPORAL_TLS_CA: path.join(dir, 'ca.crt'),
      TEMPORAL_TLS_CERT: path.join(dir, 'client.crt'),
      TEMPORAL_TLS_KEY: path.join(dir, 'client.key'),
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
    },
  });

  const { client: temporal } = client({ api_key: API_KEY, tls: files() });
  await checkTemporal(temporal, 10_000);
  const model = `tls-${Date.now()}`;
  provider.script(model, [{ text: 'over TLS' }]);
  const cfg = config({ api_key: API_KEY, tls: files() });
  const run = resolveRun(cfg, 'agent', { type: 'agent', agent: { instruction: 'Answer.', provider: 'openai', model } });
  const handle = await temporal.workflow.start(run.workflowType, startOptions({ ...run, input: 'hi' }, `tls-run-${Date.now()}`, taskQueue));
  expect(await handle.result()).toMatchObject({ text: 'over TLS' });
});

test('a wrong API key is refused as unauthenticated, and a client without a certificate cannot connect', async () => {
  const wrongKey = client({ api_key: 'not-the-key', tls: files() });
  await expect(checkTemporal(wrongKey.client, 5000)).rejects.toThrow(/API key/);
  const { ca_file, server_name } = files();
  const noCertificate = client({ api_key: API_KEY, tls: { ca_file, server_name } });
  await expect(checkTemporal(noCertificate.client, 5000)).rejects.toThrow();
});

test('the API answers with 503 naming the settings to check when Temporal refuses its API key, never a 500', async () => {
  const running = await startApi(config({ api_key: 'not-the-key', tls: files() }));
  try {
    for (const path of ['/runs', '/runs/some-run', '/runs/some-run/events']) {
      const reply = await running.api.get(path);
      expect(reply.status).toBe(503);
      expect(reply.body.error.code).toBe('temporal_unauthorized');
      expect(reply.body.error.message).toMatch(/temporal\.api_key or TEMPORAL_API_KEY.*API key/);
    }
    const started = await running.api.post('/workflows/agent/run', { input: 'hi', spec: { type: 'agent', agent: { instruction: 'Answer.' } } });
    expect(started.status).toBe(503);
    expect(started.body.error.code).toBe('temporal_unauthorized');
  } finally {
    await running.close();
  }
});

test('an unreadable certificate path stops start-up naming its key', () => {
  expect(() => connectClient(config({ tls: { ca_file: path.join(dir, 'missing.crt') } }))).toThrow(/temporal\.tls\.ca_file: cannot read/);
});
