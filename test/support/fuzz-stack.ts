import { startApi, type ApiHttp } from './api-http';
import { startTestWorker, testConfig, uniqueTaskQueue } from './harness';
import { startScriptedProvider, type ScriptedReply } from '../../src/testing/scripted-model';
import { startFixtureHttpServer } from '../fixtures/mcp-fixture-server';

/**
 * What an HTTP fuzzer drives: the real API over a socket, an in-process worker and a scripted
 * model that answers every request for its model with "ok", so the runs a fuzzer starts finish
 * (or wait in a conversation) instead of retrying a failing model for minutes; the fixture MCP
 * server over streamable HTTP, for the /servers routes. `temporalAddress`
 * should be a server of the caller's own: a fuzzer leaves many runs behind.
 */

export const FUZZ_MODEL = 'fuzz-model';

export interface FuzzStack {
  api: ApiHttp;
  url: string;
  close(): Promise<void>;
}

export async function startFuzzStack(temporalAddress?: string): Promise<FuzzStack> {
  const provider = await startScriptedProvider();
  const forever: ScriptedReply = () => {
    provider.script(FUZZ_MODEL, [forever]);
    return { text: 'ok' };
  };
  provider.script(FUZZ_MODEL, [forever]);
  const fixture = await startFixtureHttpServer();
  const config = testConfig(
    {
      mcp: { servers: { fixture: { url: fixture.url, description: 'The test fixture' } } },
      default_provider: 'openai',
      openai: { api_key: 'test-key', base_url: provider.openaiBaseUrl, default_model: FUZZ_MODEL },
      anthropic: { api_key: 'test-key', base_url: provider.anthropicBaseUrl, default_model: FUZZ_MODEL },
      agents: { calculator: { instruction: 'You add numbers.', model: FUZZ_MODEL } },
      workflows: {
        calc: { type: 'agent', agent: 'calculator', description: 'Adds numbers' },
        // Closes 3 s after its last answer, so a long poll on it ends soon.
        chat: { type: 'agent', agent: 'calculator', conversation: true, idle_timeout_seconds: 3, description: 'Talks about numbers' },
      },
    },
    uniqueTaskQueue('fuzz'),
  );
  const withAddress = temporalAddress ? { ...config, temporal: { ...config.temporal, address: temporalAddress } } : config;
  const worker = await startTestWorker(withAddress);
  const running = await startApi(withAddress);
  return {
    api: running.api,
    url: running.api.url,
    async close() {
      await running.close();
      await worker.stop();
      await provider.close();
      await fixture.close();
    },
  };
}
