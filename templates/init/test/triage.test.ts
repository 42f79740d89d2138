import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestEnvironment, type TestEnvironment } from 'mcp-agent-temporal/testing';

// A real Temporal dev server and worker, and a scripted model instead of a real one.
let env: TestEnvironment;

before(async () => {
  env = await startTestEnvironment();
});

after(async () => {
  await env?.close();
});

test('triage classifies, drafts, and sends once support approves', async () => {
  env.model.script('gpt-4o-mini', [
    { json: { kind: 'bug', urgent: true } },
    { text: 'Sorry about that! We are fixing it.' },
  ]);
  const started = await env.start('triage', { ticket: 'The app crashes when I save.' });

  // The run asks once it has classified and drafted; answering before then would be refused.
  const asked = await env.pendingInput(started.runId);
  assert.equal(asked.kind, 'approval');
  await env.runs.provideInput(started.runId, { value: { approved: true } });

  const done = await env.result(started.runId);
  assert.equal(done.status, 'completed');
  assert.deepEqual((done.result as { kind: unknown }).kind, { kind: 'bug', urgent: true });
  assert.equal((done.result as { sent: boolean }).sent, true);

  // What the writer was asked.
  const [, writerCall] = env.model.requests('gpt-4o-mini');
  assert.match(JSON.stringify(writerCall.body.messages), /Draft a reply to this bug/);
});
