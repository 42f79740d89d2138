/** Address of the suite's dev server, set by global-setup. */
export function testTemporalAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run integration tests through jest (global-setup starts Temporal)');
  return address;
}
