import { canonicalJson, earlierExecutionsQuery, listQuery } from '../../client/runs';

describe('listQuery', () => {
  const base = "McpAgentWorkflow IS NOT NULL AND ExecutionStatus != 'ContinuedAsNew' AND ParentWorkflowId IS NULL";

  it('lists our runs, each continued-as-new chain once', () => {
    expect(listQuery({})).toBe(base);
  });

  it('filters open statuses by the status search attribute', () => {
    expect(listQuery({ status: 'paused', workflow: 'calc' })).toBe(
      `${base} AND McpAgentWorkflow = 'calc' AND ExecutionStatus = 'Running' AND McpAgentStatus = 'paused'`,
    );
  });

  it('refuses a workflow filter the visibility store cannot match literally, rather than send another query', () => {
    for (const workflow of ["calc'", "x' OR 1=1", 'a"b', 'a\\b']) expect(() => listQuery({ workflow })).toThrow(RangeError);
  });

  it("filters closed statuses by Temporal's execution status, which a workflow cannot get wrong", () => {
    expect(listQuery({ status: 'cancelled' })).toBe(`${base} AND ExecutionStatus = 'Canceled'`);
    expect(listQuery({ status: 'timed_out' })).toBe(`${base} AND ExecutionStatus = 'TimedOut'`);
  });
});

describe('earlierExecutionsQuery', () => {
  it("asks for the listed runs' executions that continued as new", () => {
    expect(earlierExecutionsQuery(['a', 'b-1'])).toBe("ExecutionStatus = 'ContinuedAsNew' AND WorkflowId IN ('a', 'b-1')");
  });
});

describe('canonicalJson', () => {
  it('is the same for equal values whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
  });

  it('differs for different values', () => {
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
    expect(canonicalJson('1')).not.toBe(canonicalJson(1));
  });
});
