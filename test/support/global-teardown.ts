import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.temporalTestServer?.stop();
  const storage = process.env.MCP_AGENT_TEST_STORAGE;
  if (storage) rmSync(storage, { recursive: true, force: true });
}
