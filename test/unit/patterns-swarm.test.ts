import {
  handoffTarget,
  handoffToolName,
  handoffTools,
  contextVariablesText,
  transferredText,
  unknownTransferText,
} from '../../src/patterns/swarm';

describe('swarm pieces', () => {
  test('a handoff tool per target, argument-free, describing the target when it can', () => {
    const [refunds, sales] = handoffTools(['refunds', 'sales'], { refunds: 'Handles refunds.' });
    expect(refunds).toEqual({
      name: 'transfer_to_refunds',
      description: expect.stringContaining('refunds: Handles refunds.'),
      inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    });
    expect(sales.name).toBe('transfer_to_sales');
    expect(sales.description).toContain('"sales"');
  });

  test('tool names keep to what providers accept', () => {
    expect(handoffToolName('billing.eu')).toBe('transfer_to_billing_eu');
    expect(handoffToolName('x'.repeat(80))).toHaveLength(64);
  });

  test('a transfer tool resolves only to one of the calling agent’s handoffs', () => {
    expect(handoffTarget('transfer_to_refunds', ['refunds', 'sales'])).toBe('refunds');
    expect(handoffTarget('transfer_to_billing_eu', ['billing.eu'])).toBe('billing.eu');
    expect(handoffTarget('transfer_to_sales', ['refunds'])).toBeUndefined();
    expect(handoffTarget('refunds', ['refunds'])).toBeUndefined();
  });

  test('the context variables follow the system prompt when there are any', () => {
    expect(contextVariablesText({})).toBeUndefined();
    const text = contextVariablesText({ user: 'Ada', order: { id: 'A-1' } });
    expect(text).toMatch(/^Context variables of this conversation/);
    expect(text).toContain('"user": "Ada"');
    expect(text).toContain('"id": "A-1"');
  });

  test('transfer texts', () => {
    expect(transferredText('refunds')).toMatch(/^Transferred to refunds\./);
    expect(unknownTransferText('ghost', ['triage', 'refunds'])).toContain('"ghost", which is not an agent of this swarm (triage, refunds)');
  });
});
