import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { findTemporalCli, projectRoot } from '../../temporal/cli';
import { devServerArgs, stopProcess, temporalAnswers } from '../../temporal/dev-server';
import { ConfigError } from '../config/errors';
import { loadConfig, runtimeSettings } from '../config/load';
import { label, spawnPrefixed, spawnTsx } from './children';

/**
 * `npm run dev`: the whole product on one machine. A Temporal dev server (unless one answers
 * already) with a persistent SQLite file and the Web UI, one worker, and the API, each a child
 * process with prefixed logs. Ctrl-C stops them in reverse order.
 */

const say = (line: string) => process.stdout.write(`${label('dev')} ${line}\n`);

function hostPort(address: string): { ip: string; port: number } {
  const [host, port] = address.split(':');
  return { ip: host === 'localhost' ? '127.0.0.1' : host, port: Number(port ?? 7233) };
}

async function waitUntilAnswers(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await temporalAnswers(address, 1000))) {
    if (child.exitCode !== null) throw new Error(`the Temporal dev server exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`the Temporal dev server did not answer at ${address}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The browser reaches an API bound to every interface through localhost. */
function browserHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? 'localhost' : host;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = runtimeSettings();
  const address = config.temporal.address;
  const children: { name: string; process: ChildProcess }[] = [];
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const child of [...children].reverse()) await stopProcess(child.process, 25_000);
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const watch = (name: string, child: ChildProcess) => {
    children.push({ name, process: child });
    child.on('exit', (code, signal) => {
      if (stopping) return;
      say(`${name} exited (${signal ?? `code ${code}`}); stopping the rest`);
      void stopAll(code || 1);
    });
  };

  if (await temporalAnswers(address)) {
    say(`using the Temporal server that answers at ${address}`);
  } else {
    const cli = findTemporalCli({ log: say });
    say(`Temporal CLI: ${cli.path} (found via ${cli.source})`);
    const { ip, port } = hostPort(address);
    // The UI listens where TEMPORAL_UI_URL says, so the links in API replies lead to it.
    const uiPort = Number(new URL(settings.temporalUiUrl).port || 8233);
    const dbFile = path.resolve('.temporal', 'dev.db');
    mkdirSync(path.dirname(dbFile), { recursive: true });
    const server = spawnPrefixed(
      'temporal',
      cli.path,
      devServerArgs({
        cliPath: cli.path,
        ip,
        port,
        uiPort,
        dbFile,
        namespace: config.temporal.namespace,
        codecEndpoint: `http://${browserHost(settings.host)}:${settings.port}/codec`,
      }),
    );
    watch('temporal', server);
    await waitUntilAnswers(address, server, 60_000);
    say(`Temporal at ${address}, Web UI at ${settings.temporalUiUrl}, history kept in ${path.relative(process.cwd(), dbFile)}`);
  }

  watch('worker', spawnTsx('worker', path.join(projectRoot, 'worker', 'main.ts')));
  watch('api', spawnTsx('api', path.join(projectRoot, 'src', 'api', 'main.ts')));
  say(`API at http://${settings.host}:${settings.port} (OpenAPI page at /docs)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
