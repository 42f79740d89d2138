import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, stopProcess } from '../../temporal/dev-server';

/**
 * A real S3-compatible server for tests: S3Proxy (org.gaul:s3proxy from Maven Central, Apache
 * licensed) on its filesystem backend, started as its own Java process on a free port. The jar
 * comes from S3PROXY_JAR, else the local Maven repository, where `mvn dependency:get` puts it
 * (.ci/run does so before the suite).
 */

export const S3PROXY_ARTIFACT = 'org.gaul:s3proxy:2.6.0:jar:jar-with-dependencies';
const JAR_IN_MAVEN_REPO = path.join(
  homedir(),
  '.m2',
  'repository',
  'org',
  'gaul',
  's3proxy',
  '2.6.0',
  's3proxy-2.6.0-jar-with-dependencies.jar',
);

export interface S3Server {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  client: S3Client;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function s3ProxyJar(): string {
  const named = process.env.S3PROXY_JAR;
  if (named) return named;
  if (!existsSync(JAR_IN_MAVEN_REPO)) {
    const fetched = spawnSync('mvn', ['-q', 'dependency:get', `-Dartifact=${S3PROXY_ARTIFACT}`], { encoding: 'utf8', timeout: 300_000 });
    if (fetched.status !== 0 || !existsSync(JAR_IN_MAVEN_REPO)) {
      throw new Error(
        `S3Proxy is needed for the S3 storage tests: install Maven and run mvn dependency:get -Dartifact=${S3PROXY_ARTIFACT}, ` +
          `or set S3PROXY_JAR. ${fetched.error?.message ?? fetched.stderr ?? ''}`,
      );
    }
  }
  return JAR_IN_MAVEN_REPO;
}

export async function startS3Server(bucket = 'mcp-agent-test'): Promise<S3Server> {
  const jar = s3ProxyJar();
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-agent-s3-'));
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKeyId = 'test-access';
  const secretAccessKey = 'test-secret';
  const properties = path.join(dir, 's3proxy.properties');
  writeFileSync(
    properties,
    [
      `s3proxy.endpoint=${endpoint}`,
      's3proxy.authorization=aws-v2-or-v4',
      `s3proxy.identity=${accessKeyId}`,
      `s3proxy.credential=${secretAccessKey}`,
      'jclouds.provider=filesystem',
      `jclouds.filesystem.basedir=${path.join(dir, 'data')}`,
    ].join('\n'),
  );
  const child = spawn('java', ['-jar', jar, '--properties', properties], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilAnswers(endpoint, child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  const region = 'us-east-1';
  const client = new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    region,
    client,
    process: child,
    async stop() {
      client.destroy();
      await stop();
    },
  };
}

async function waitUntilAnswers(endpoint: string, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`S3Proxy exited with code ${child.exitCode}:\n${output.join('').slice(-2000)}`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`S3Proxy did not answer at ${endpoint}:\n${output.join('').slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
