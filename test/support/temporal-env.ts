/** Address of the suite's dev server, set by global-setup. */
export function testTemporalAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run integration tests through jest (global-setup starts Temporal)');
  return address;
}

/** The blob store folder every worker, API and client of the suite shares, set by global-setup. */
export function testStoragePath(): string {
  const dir = process.env.MCP_AGENT_TEST_STORAGE;
  if (!dir) throw new Error('MCP_AGENT_TEST_STORAGE is not set: run integration tests through jest (global-setup makes it)');
  return dir;
}
