import { startScriptedProvider, type ScriptedProvider } from '../../src/testing/scripted-model';

let provider: ScriptedProvider;

beforeAll(async () => {
  provider = await startScriptedProvider();
});

afterAll(async () => {
  await provider?.close();
});

async function complete(model: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${provider.openaiBaseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer test' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: response.status, text: await response.text() };
}

test('reset drops the replies no request took, and gives them back', async () => {
  provider.script('left-over', [{ text: 'first' }, { text: 'second' }]);
  provider.script('other', [{ text: 'kept until reset()' }]);
  expect((await complete('left-over')).text).toContain('first');

  expect(provider.reset('left-over')).toEqual([{ text: 'second' }]);
  const after = await complete('left-over');
  expect(after.status).toBe(400);
  expect(after.text).toContain('no scripted reply left for model left-over');

  expect(provider.reset()).toEqual([{ text: 'kept until reset()' }]);
  expect(provider.reset()).toEqual([]);
});
