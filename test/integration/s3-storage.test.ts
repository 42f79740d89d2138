import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { startOptions } from '../../client/runs';
import { resolveRun } from '../../src/config/resolve';
import type { ConfigInput } from '../../src/config/schema';
import { openStorage, type Storage } from '../../src/storage/open';
import { S3BlobStore } from '../../src/storage/s3-store';
import { contentKey } from '../../src/storage/keys';
import { BlobNotFoundError } from '../../src/storage/store';
import { sendMessageUpdate, stateQuery } from '../../workflows/definitions';
import type { AgentResult } from '../../workflows/agent';
import { startFixtureHttpServer, type FixtureHttpServer } from '../fixtures/mcp-fixture-server';
import { eventually, providerConfig } from '../support/agent-env';
import { testConfig, uniqueTaskQueue } from '../support/harness';
import { replayFailures, fetchTreeHistories } from '../support/replay';
import { conversationSeen, toolResultsSeen } from '../support/requests';
import { startS3Server, type S3Server } from '../support/s3-server';
import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';
import { testTemporalAddress } from '../support/temporal-env';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * The S3 storage driver against a real S3-compatible server process (S3Proxy), and a deployment
 * on it: worker processes that share nothing but Temporal and the bucket, one killed in the middle
 * of a conversation's turn and a fresh one (empty cache) carrying the conversation on.
 */

let s3: S3Server;
let provider: ScriptedProvider;
let fixture: FixtureHttpServer;
let connection: Connection;
let client: Client;
let clientStorage: Storage;
const workers: WorkerProcess[] = [];

function storageConfig(prefix: string): NonNullable<ConfigInput['storage']> {
  return {
    driver: 's3',
    s3: {
      bucket: s3.bucket,
      prefix,
      region: s3.region,
      endpoint: s3.endpoint,
      access_key_id: s3.accessKeyId,
      secret_access_key: s3.secretAccessKey,
    },
    inline_bytes: 512,
    payload_threshold_bytes: 2048,
  };
}

const PREFIX = `run-${process.pid}/`;

function deploymentConfig(): ConfigInput {
  return { ...providerConfig(provider), mcp: { servers: { fixture: { url: fixture.url } } }, storage: storageConfig(PREFIX) };
}

beforeAll(async () => {
  [s3, provider, fixture, connection] = await Promise.all([
    startS3Server(),
    startScriptedProvider(),
    startFixtureHttpServer(),
    Connection.connect({ address: testTemporalAddress() }),
  ]);
  clientStorage = openStorage(testConfig(deploymentConfig(), 'unused').storage);
  client = new Client({ connection, dataConverter: clientStorage.dataConverter });
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  clientStorage?.close();
  await connection?.close();
  await fixture?.close();
  await provider?.close();
  await s3?.stop();
});

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  // S3Proxy's filesystem backend lists its folders too; they are not blobs.
  return (listed.Contents ?? []).map((object) => object.Key!.slice(prefix.length)).filter((key) => !key.endsWith('/'));
}

test('the S3 store keeps blobs by key, takes a repeated write, and names a missing blob clearly', async () => {
  const store = new S3BlobStore({
    bucket: s3.bucket,
    prefix: 'unit/',
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  try {
    const bytes = new TextEncoder().encode('hello from the store');
    const key = contentKey('text', bytes);
    await store.put(key, bytes);
    await store.put(key, bytes);
    expect(new TextDecoder().decode(await store.get(key))).toBe('hello from the store');
    expect(await keysUnder('unit/')).toEqual([key]);
    const missing = await store.get(contentKey('text', new TextEncoder().encode('never stored'))).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(BlobNotFoundError);
    expect((missing as Error).message).toContain(`s3://${s3.bucket}/unit/`);
    // Nothing but a content key: no other object of the bucket is read.
    await expect(store.get('../other-app/secret')).rejects.toThrow('not a blob key');
  } finally {
    store.close();
  }
});

test('a conversation on S3 storage: a worker killed mid-turn, a fresh worker with an empty cache goes on', async () => {
  const taskQueue = uniqueTaskQueue('s3');
  const model = `s3-conversation-${process.pid}`;
  const config = testConfig(deploymentConfig(), taskQueue);
  const first = await startWorkerProcess({ config: deploymentConfig(), taskQueue, label: 'worker A' });
  workers.push(first);

  provider.script(model, [
    { toolCalls: [{ name: 'fixture-repeat', arguments: { text: 'ab', times: 2000 } }] },
    { text: 'Turn one done.' },
    // Turn two's call dies with worker A; its retry on worker B gets the reply behind it.
    { text: 'never sent', delayMs: 60_000 },
    { text: 'Turn two done.' },
    { text: 'Turn three done.' },
  ]);
  // An input over the payload threshold leaves history for the bucket too.
  const input = `Hello. ${'Long introduction. '.repeat(200)}`;
  const spec = { type: 'agent', conversation: true, agent: { instruction: 'You help.', provider: 'openai', model, servers: ['fixture'] } };
  const run = resolveRun(config, 'agent', spec);
  const workflowId = `s3-conversation-${process.pid}-${Date.now()}`;
  const handle = await client.workflow.start(run.workflowType, startOptions({ ...run, input }, workflowId, taskQueue));
  await eventually(async () => (await handle.query(stateQuery)).status === 'idle', 40_000);

  const keys = await keysUnder(PREFIX);
  expect(keys.some((key) => key.startsWith('payload/'))).toBe(true);
  expect(keys.some((key) => key.startsWith('text/'))).toBe(true);
  expect(keys.some((key) => key.startsWith('log/'))).toBe(true);

  await handle.executeUpdate(sendMessageUpdate, { args: [{ input: 'And now?' }] });
  await provider.waitForRequest(model, 3);
  first.kill('SIGKILL');
  await first.exited;
  const second = await startWorkerProcess({ config: deploymentConfig(), taskQueue, label: 'worker B' });
  workers.push(second);

  await eventually(async () => (await handle.query(stateQuery)).conversation?.finishedTurns === 2, 60_000);
  // Temporal's core SDK can record an Update accepted in the same workflow task as a cold worker's
  // first activation so that the history no longer replays (temporalio/sdk-python#1591, fix in
  // temporalio/sdk-rust#1597); the next message goes once worker B's task has completed.
  await eventually(async () => !(await handle.describe()).raw.pendingWorkflowTask, 30_000);
  await handle.executeUpdate(sendMessageUpdate, { args: [{ input: 'Last one.' }] });
  await eventually(async () => (await handle.query(stateQuery)).conversation?.finishedTurns === 3, 30_000);

  // Worker B read the whole conversation from the bucket: the retried call saw what A's call saw,
  // the 4000-character tool result whole.
  const requests = provider.requests(model);
  expect(requests[3].body.messages).toEqual(requests[2].body.messages);
  expect(toolResultsSeen(requests[3])[0].content).toBe('ab'.repeat(2000));
  expect(conversationSeen(requests[4]).filter((line) => line.startsWith('user:'))).toEqual([
    `user: ${input}`,
    'user: And now?',
    'user: Last one.',
  ]);

  await handle.signal('close');
  const result = (await handle.result()) as AgentResult;
  expect(result).toMatchObject({ text: 'Turn three done.', turns: 3, closedBy: 'close' });
  // The history replays with its stored payloads read back from the bucket.
  const failures = await replayFailures(await fetchTreeHistories(client, [workflowId]), clientStorage.blobs);
  expect(failures.map((f) => f.error)).toEqual([]);
});
