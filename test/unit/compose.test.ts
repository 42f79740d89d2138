import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_FILE_NAME, configOverrideVariables, loadConfig, runtimeSettings, SECRETS_FILE_NAME } from '../../src/config/load';
import { configSchema } from '../../src/config/schema';
import { searchAttributeNames } from '../../workflows/definitions';

/**
 * docker-compose.yml, the Dockerfile and the files they mount, read as files: there is no Docker
 * engine here, so nothing runs `docker compose`. The values are compared with the ones the code
 * uses (defaults, file names, search attributes), so a change on either side shows up here.
 */

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Healthcheck {
  test: string | string[];
}
interface BindMount {
  type: string;
  source: string;
  target: string;
  read_only?: boolean;
}
interface Service {
  image?: string;
  build?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  container_name?: string;
  ports?: string[];
  environment?: Record<string, string | null>;
  volumes?: Array<string | BindMount>;
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const packageScripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

/** What Compose makes of `${VAR:-default}` and `${VAR-default}` with nothing set in the shell; a bare `${VAR}` has no such value. */
function withComposeDefaults(value: string): string {
  return value.replace(/\$\{\w+(?::?-([^}]*))?\}/g, (whole, fallback?: string) => {
    if (fallback === undefined) throw new Error(`${whole} has no default`);
    return fallback;
  });
}

const words = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(' ') : (value ?? ''));

function env(service: string): Record<string, string | null> {
  return services[service].environment ?? {};
}

function envValue(service: string, name: string): string {
  const value = env(service)[name];
  if (typeof value !== 'string') throw new Error(`${service} sets no value for ${name}`);
  return withComposeDefaults(value);
}

/** Every variable a service sets to a value, as Compose fills it in with nothing set in the shell. */
function envValues(service: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env(service)).flatMap(([name, value]) => (typeof value === 'string' ? [[name, withComposeDefaults(value)]] : [])),
  );
}

/** A published port `[ip:]host:container` as numbers. */
function published(service: string): Array<{ host: number; container: number }> {
  return (services[service].ports ?? []).map((spec) => {
    const parts = withComposeDefaults(spec).split(':');
    return { host: Number(parts[parts.length - 2]), container: Number(parts[parts.length - 1]) };
  });
}

function binds(service: string): BindMount[] {
  return (services[service].volumes ?? []).filter((v): v is BindMount => typeof v !== 'string');
}

/** A short-syntax volume `source:target[:mode]`. */
function shortVolume(service: string, target: string): { source: string; mode?: string } {
  for (const volume of services[service].volumes ?? []) {
    if (typeof volume !== 'string') continue;
    const [source, to, mode] = volume.split(':');
    if (to === target) return { source, mode };
  }
  throw new Error(`${service} mounts nothing at ${target}`);
}

const portOf = (address: string) => Number(new URL(address.includes('://') ? address : `tcp://${address}`).port);

/** Contract section 2, plus MCP_AGENT_CONFIG's value that the compose file sets. */
const contractEnvironment = [
  'MCP_AGENT_CONFIG',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TASK_QUEUE',
  'TEMPORAL_UI_URL',
  'HOST',
  'PORT',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_BASE_URL',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'COHERE_API_KEY',
  'LOG_LEVEL',
];

/** Read by the AWS SDK in the app's S3 client, not by the config loader. */
const awsSdkCredentials = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

/** Variables the shipped config reads through `${VAR}`. */
const configVariables = [...read(CONFIG_FILE_NAME).matchAll(/\$\{(\w+)/g)].map((m) => m[1]);

const appServices = ['worker', 'api'];

describe('docker-compose.yml', () => {
  it('has the database, Temporal, its setup steps, the Web UI, MinIO and its setup, Jaeger, NATS, the worker and the API', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'jaeger', 'minio', 'minio-setup', 'nats', 'postgres', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker'].sort(),
    );
  });

  it("sends the app services' traces to Jaeger's OTLP/HTTP receiver, as the config loader reads their environment", () => {
    for (const service of ['worker', 'api']) {
      const endpoint = withComposeDefaults(String(env(service).OTEL_EXPORTER_OTLP_TRACES_ENDPOINT));
      expect(endpoint).toBe('http://jaeger:4318/v1/traces');
      const config = loadConfig({ path: path.join(root, CONFIG_FILE_NAME), env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint } });
      expect(config.telemetry.tracing).toMatchObject({ endpoint, service_name: 'mcp-agent', sample_ratio: 1 });
    }
  });

  it('connects every app service to the NATS service for token deltas', () => {
    for (const service of appServices) expect(envValue(service, 'MCP_AGENT_NATS_URL')).toBe('nats://nats:4222');
    expect(configSchema.parse({ streaming: { nats_url: 'nats://nats:4222' } }).streaming.nats_url).toBe('nats://nats:4222');
    expect(words(services.nats.command)).toBe('--http_port 8222');
  });

  it('pins every image it pulls to a version that a variable can move', () => {
    const pulled = Object.entries(services).filter(([, service]) => !service.build);
    expect(pulled.map(([name]) => name)).toEqual(expect.arrayContaining(['minio', 'minio-setup']));
    for (const [name, { image }] of pulled) {
      expect({ name, image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:\$\{\w+_VERSION:-[^}]+\}$/) });
      expect(withComposeDefaults(image!)).not.toMatch(/:latest$/);
    }
    expect(withComposeDefaults(services.minio.image!)).toMatch(/^minio\/minio:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    expect(withComposeDefaults(services['minio-setup'].image!)).toMatch(/^minio\/mc:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
  });

  it('publishes every port on 127.0.0.1 only', () => {
    const ports = Object.entries(services).flatMap(([name, service]) => (service.ports ?? []).map((spec) => ({ name, spec })));
    expect(ports.length).toBeGreaterThan(0);
    for (const { name, spec } of ports) expect({ name, spec }).toEqual({ name, spec: expect.stringMatching(/^127\.0\.0\.1:\d+:\d+$/) });
  });

  it.each([
    ['worker', 'worker'],
    ['api', 'api'],
  ])("runs the %s script's own command in the %s service, with no npm between it and docker stop's SIGTERM", (script, service) => {
    expect(packageScripts[script]).toMatch(/^node /);
    expect(words(services[service].command)).toBe(packageScripts[script]);
  });

  it('builds both app services from the Dockerfile into one image', () => {
    for (const service of appServices) {
      expect(services[service].build).toBe('.');
      expect(services[service].image).toBe(services.api.image);
    }
  });

  it('publishes the API, the Web UI and the Temporal frontend on the contract default ports', () => {
    const defaults = runtimeSettings({});
    expect(published('api')).toEqual([{ host: defaults.port, container: defaults.port }]);
    expect(envValue('api', 'PORT')).toBe(String(defaults.port));
    expect(published('temporal-ui')).toEqual([{ host: portOf(defaults.temporalUiUrl), container: 8080 }]);
    const frontendPort = portOf(configSchema.parse({}).temporal.address);
    expect(published('temporal')).toEqual([{ host: frontendPort, container: frontendPort }]);
  });

  it('lets the worker scale: no container name and no published port', () => {
    expect(services.worker).not.toHaveProperty('container_name');
    expect(services.worker).not.toHaveProperty('ports');
  });

  it('gives the app services only contract variables, config overrides, AWS credentials, or ones the shipped config reads', () => {
    const known = [...contractEnvironment, ...configOverrideVariables, ...awsSdkCredentials, ...configVariables];
    for (const service of appServices) {
      const unknown = Object.keys(env(service)).filter((name) => !known.includes(name));
      expect({ service, unknown }).toEqual({ service, unknown: [] });
    }
  });

  it('points the app services at the Temporal service, and the API at all interfaces with the UI link base', () => {
    for (const service of appServices) expect(envValue(service, 'TEMPORAL_ADDRESS')).toBe('temporal:7233');
    expect(envValue('api', 'HOST')).toBe('0.0.0.0');
    expect(envValue('api', 'TEMPORAL_UI_URL')).toBe(runtimeSettings({}).temporalUiUrl);
  });

  it('runs MinIO on a volume, its S3 API and console on 9000 and 9001, with its root credentials from the shell', () => {
    expect(words(services.minio.command)).toBe('server /data --console-address :9001');
    expect(shortVolume('minio', '/data').source).toBe('minio-data');
    expect(compose.volumes).toHaveProperty(['minio-data']);
    expect(published('minio')).toEqual([
      { host: 9000, container: 9000 },
      { host: 9001, container: 9001 },
    ]);
    expect(env('minio')).toEqual({
      MINIO_ROOT_USER: expect.stringMatching(/^\$\{MINIO_ROOT_USER:-.+\}$/),
      MINIO_ROOT_PASSWORD: expect.stringMatching(/^\$\{MINIO_ROOT_PASSWORD:-.{8,}\}$/),
    });
    expect(read('docker-compose.yml')).toMatch(/WARNING: change MINIO_ROOT_USER and MINIO_ROOT_PASSWORD/);
  });

  it('creates the bucket once, with mc, and exits', () => {
    const setup = services['minio-setup'];
    expect(setup).not.toHaveProperty('restart');
    expect(setup).not.toHaveProperty('ports');
    const script = words(setup.entrypoint);
    expect(script).toMatch(/^\/bin\/sh -c /);
    expect(script).toContain('mc alias set minio http://minio:9000 "$$MINIO_ROOT_USER" "$$MINIO_ROOT_PASSWORD"');
    expect(script).toContain('mc mb --ignore-existing "minio/$$BUCKET"');
    for (const name of ['MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD']) expect(env('minio-setup')[name]).toBe(env('minio')[name]);
  });

  it('gives the app services S3 storage on that bucket, as the config loader reads their environment', () => {
    for (const service of appServices) {
      const values = envValues(service);
      const storageVariables = Object.keys(values).filter((name) => /^MCP_AGENT_(STORAGE|S3)_/.test(name));
      expect(storageVariables.sort()).toEqual(['MCP_AGENT_S3_BUCKET', 'MCP_AGENT_S3_ENDPOINT', 'MCP_AGENT_STORAGE_DRIVER']);
      for (const name of storageVariables) expect(configOverrideVariables).toContain(name);

      const { storage } = loadConfig({ path: path.join(root, CONFIG_FILE_NAME), env: values });
      expect(storage.driver).toBe('s3');
      expect(storage.s3).toMatchObject({ bucket: envValue('minio-setup', 'BUCKET'), region: values.AWS_REGION });
      expect(values.AWS_REGION).toBe('us-east-1');
      expect(env(service).MCP_AGENT_S3_BUCKET).toBe(env('minio-setup').BUCKET);
      const endpoint = new URL(storage.s3!.endpoint!);
      expect(endpoint.hostname).toBe('minio');
      expect(published('minio').map((p) => p.container)).toContain(Number(endpoint.port));

      // The keys reach the AWS SDK from the environment and stay out of the config.
      expect(storage.s3).not.toHaveProperty('access_key_id');
      expect(env(service).AWS_ACCESS_KEY_ID).toBe(env('minio').MINIO_ROOT_USER);
      expect(env(service).AWS_SECRET_ACCESS_KEY).toBe(env('minio').MINIO_ROOT_PASSWORD);
    }
  });

  it('points the Web UI at the API\'s codec endpoint, at an address the browser reaches, on the UI\'s host', () => {
    const raw = env('temporal-ui').TEMPORAL_CODEC_ENDPOINT;
    expect(raw).toMatch(/^\$\{MCP_AGENT_PUBLIC_API_URL:-[^}]+\}\/codec$/);
    const codec = new URL(envValue('temporal-ui', 'TEMPORAL_CODEC_ENDPOINT'));
    expect(codec.pathname).toBe('/codec');
    expect(Number(codec.port)).toBe(published('api')[0].host);
    // The API lets TEMPORAL_UI_URL's origin call it from the browser.
    expect(codec.hostname).toBe(new URL(envValue('api', 'TEMPORAL_UI_URL')).hostname);
  });

  it('mounts the config and the secrets beside it read-only, from files of the usual names', () => {
    for (const service of appServices) {
      const configPath = envValue(service, 'MCP_AGENT_CONFIG');
      const mounts = binds(service);
      const config = mounts.find((m) => m.target === configPath);
      const secrets = mounts.find((m) => m.target === path.posix.join(path.posix.dirname(configPath), SECRETS_FILE_NAME));
      expect(config).toMatchObject({ type: 'bind', read_only: true });
      expect(secrets).toMatchObject({ type: 'bind', read_only: true });
      expect(path.basename(withComposeDefaults(config!.source))).toBe(CONFIG_FILE_NAME);
      expect(path.basename(withComposeDefaults(secrets!.source))).toBe(SECRETS_FILE_NAME);
    }
  });

  it('shares one writable OAuth token folder among the app services, as the config loader reads it', () => {
    for (const service of appServices) {
      const dir = envValue(service, 'MCP_AGENT_TOKEN_DIR');
      expect(configOverrideVariables).toContain('MCP_AGENT_TOKEN_DIR');
      expect(shortVolume(service, dir)).toEqual({ source: 'mcp-tokens', mode: undefined });
    }
    expect(compose.volumes).toHaveProperty(['mcp-tokens']);
  });

  it('registers exactly the search attributes the workflows set', () => {
    const registered = envValue('temporal-setup', 'SEARCH_ATTRIBUTES').split(/\s+/);
    expect(registered.sort()).toEqual([...searchAttributeNames].sort());
  });

  it.each([
    ['temporal-schema', '/scripts/setup-postgres-schema.sh'],
    ['temporal-setup', '/scripts/setup-search-attributes.sh'],
  ])('runs %s from the script in temporal/, mounted read-only', (service, target) => {
    expect(services[service].image).toMatch(/^temporalio\/admin-tools:/);
    expect(words(services[service].entrypoint)).toContain(target);
    const { source, mode } = shortVolume(service, target);
    expect(mode).toBe('ro');
    expect(existsSync(path.join(root, source))).toBe(true);
  });

  it('gives the Temporal server a dynamic config file that exists in the mounted folder', () => {
    const { source } = shortVolume('temporal', '/etc/temporal/config/dynamicconfig');
    const file = envValue('temporal', 'DYNAMIC_CONFIG_FILE_PATH');
    expect(path.posix.dirname(file)).toBe('/etc/temporal/config/dynamicconfig');
    const dynamicConfig = parse(read(path.join(source, path.posix.basename(file)))) as Record<string, Array<{ value: unknown }>>;
    expect(dynamicConfig['limit.historySize.error'][0].value).toEqual(expect.any(Number));
    expect(dynamicConfig['limit.historyCount.error'][0].value).toEqual(expect.any(Number));
  });

  it('has health checks: pg_isready, the Temporal frontend, MinIO, and the API at GET /health', () => {
    expect(words(services.postgres.healthcheck?.test)).toContain('pg_isready');
    expect(words(services.temporal.healthcheck?.test)).toContain('7233');
    expect(words(services.api.healthcheck?.test)).toMatch(/fetch\('http:\/\/127\.0\.0\.1:.*\/health'\)/);
    expect(words(services.minio.healthcheck?.test)).toBe('CMD mc ready local');
    expect(read('temporal/setup-search-attributes.sh')).toContain('temporal operator cluster health');
  });

  it('starts each part once what it needs is ready', () => {
    const dependsOn = (service: string) => services[service].depends_on ?? {};
    expect(dependsOn('temporal-schema').postgres.condition).toBe('service_healthy');
    expect(dependsOn('temporal')['temporal-schema'].condition).toBe('service_completed_successfully');
    expect(dependsOn('temporal-setup').temporal.condition).toBe('service_healthy');
    for (const service of [...appServices, 'temporal-ui']) {
      expect(dependsOn(service)['temporal-setup'].condition).toBe('service_completed_successfully');
    }
    expect(dependsOn('minio-setup').minio.condition).toBe('service_healthy');
    for (const service of appServices) {
      expect(dependsOn(service)['minio-setup'].condition).toBe('service_completed_successfully');
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const dockerignore = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('builds on node:20-slim and installs with npm ci', () => {
    expect(instructions[0]).toBe('FROM node:20-slim');
    expect(instructions.some((line) => /^RUN npm ci\b/.test(line))).toBe(true);
  });

  it('copies neither the config nor the secrets, and the build context leaves them out', () => {
    const copies = instructions.filter((line) => /^(COPY|ADD)\b/.test(line));
    expect(copies.length).toBeGreaterThan(0);
    for (const line of copies) expect(line).not.toMatch(/mcp_agent\.(config|secrets)\.yaml/);
    expect(dockerignore).toEqual(
      expect.arrayContaining([CONFIG_FILE_NAME, SECRETS_FILE_NAME, 'node_modules', '.temporal', '.tools', '.mcp-agent']),
    );
  });

  it('makes the token folder the compose volume mounts, owned by the user the app runs as', () => {
    const user = instructions.find((line) => line.startsWith('USER '))?.split(' ')[1];
    const tokenDir = instructions.findIndex((line) => /^RUN mkdir -p \/app\/tokens && chown node:node \/app\/tokens/.test(line));
    expect(user).toBe('node');
    expect(tokenDir).toBeGreaterThan(0);
    expect(tokenDir).toBeLessThan(instructions.findIndex((line) => line.startsWith('USER ')));
  });
});
