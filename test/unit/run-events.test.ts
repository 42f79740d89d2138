import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import Long from 'long';
import { formatEventId, isAfter, parseEventId, preview, RunEventMapper } from '../../client/run-events';

/** The parts of history-event mapping that need no Temporal: ids, context and status logic. */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const payload = (value: unknown) => defaultPayloadConverter.toPayload(value);

/** A history event as Temporal sends it, int64 fields as Longs. */
function historyEvent(eventId: number, attributes: Omit<HistoryEvent, 'eventId' | 'eventTime'>): HistoryEvent {
  return { eventId: Long.fromNumber(eventId), eventTime: { seconds: Long.fromNumber(1_800_000_000 + eventId), nanos: 0 }, ...attributes };
}

const signal = (id: number, signalName: string, input?: unknown) =>
  historyEvent(id, {
    workflowExecutionSignaledEventAttributes: { signalName, ...(input !== undefined && { input: { payloads: [payload(input)] } }) },
  });

const memo = (id: number, fields: Record<string, unknown>) =>
  historyEvent(id, {
    workflowPropertiesModifiedEventAttributes: {
      upsertedMemo: { fields: Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, payload(value)])) },
    },
  });

function mapAll(events: HistoryEvent[], execution = 0) {
  const mapper = new RunEventMapper();
  return events.flatMap((event) => mapper.map(event, execution) ?? []);
}

describe('event ids', () => {
  it('round-trips and compares as (execution, event) pairs', () => {
    expect(formatEventId({ execution: 2, event: 17 })).toBe('2-17');
    expect(parseEventId('2-17')).toEqual({ execution: 2, event: 17 });
    expect(parseEventId(' 0-5 ')).toEqual({ execution: 0, event: 5 });
    for (const bad of ['', '5', '1-', '-1', '1-2-3', 'a-1', '1.5']) expect(parseEventId(bad)).toBeUndefined();

    expect(isAfter({ execution: 0, event: 10 }, { execution: 0, event: 9 })).toBe(true);
    expect(isAfter({ execution: 0, event: 9 }, { execution: 0, event: 9 })).toBe(false);
    expect(isAfter({ execution: 1, event: 3 }, { execution: 0, event: 90 })).toBe(true);
    expect(isAfter({ execution: 0, event: 90 }, { execution: 1, event: 3 })).toBe(false);
    expect(isAfter({ execution: 0, event: 1 }, undefined)).toBe(true);
  });
});

describe('preview', () => {
  it('keeps short values and cuts long ones to the limit', () => {
    expect(preview('short')).toBe('short');
    expect(preview({ a: 1 })).toBe('{"a":1}');
    expect(preview('x'.repeat(300))).toBe(`${'x'.repeat(199)}…`);
    expect(preview('abcdef', 4)).toBe('abc…');
  });
});

describe('RunEventMapper', () => {
  it('names a finished activity by the event that scheduled it', () => {
    const events = mapAll([
      historyEvent(5, {
        activityTaskScheduledEventAttributes: {
          activityType: { name: 'mcpCallTool' },
          input: { payloads: [payload({ server: 'everything', tool: 'get-sum', arguments: { a: 1, b: 2 } })] },
        },
        userMetadata: { summary: payload('tool everything-get-sum') },
      }),
      historyEvent(7, {
        activityTaskCompletedEventAttributes: {
          scheduledEventId: Long.fromNumber(5),
          result: { payloads: [payload({ content: '3', isError: false })] },
        },
      }),
    ]);
    expect(events).toEqual([
      {
        id: '0-5',
        type: 'tool_started',
        at: new Date((1_800_000_000 + 5) * 1000).toISOString(),
        data: { tool: 'everything-get-sum', server: 'everything', summary: 'tool everything-get-sum', arguments: '{"a":1,"b":2}' },
      },
      {
        id: '0-7',
        type: 'tool_finished',
        at: new Date((1_800_000_000 + 7) * 1000).toISOString(),
        data: { tool: 'everything-get-sum', server: 'everything', summary: 'tool everything-get-sum', isError: false, result: '3' },
      },
    ]);
  });

  it('reports a pause once however often it is asked for, and a resume only of a paused run', () => {
    const events = mapAll([signal(3, 'resume'), signal(4, 'pause'), signal(5, 'pause'), signal(6, 'resume'), signal(7, 'resume')]);
    expect(events.map((e) => [e.id, e.type])).toEqual([
      ['0-4', 'paused'],
      ['0-6', 'resumed'],
    ]);
  });

  it('reports a message signal only where the run takes it: a conversation, and an {input}', () => {
    const started = (spec: Record<string, unknown>) =>
      historyEvent(1, {
        workflowExecutionStartedEventAttributes: {
          workflowType: { name: 'agentWorkflow' },
          input: { payloads: [payload({ name: 'chat', spec, input: null })] },
        },
      });
    const messages = [signal(5, 'message', { input: 'hello' }), signal(6, 'message', 'hello'), signal(7, 'message', { text: 'hello' })];
    const conversation = mapAll([started({ type: 'agent', conversation: { on_message_while_busy: 'queue', idle_timeout_seconds: 60 } }), ...messages]);
    expect(conversation.filter((e) => e.type === 'message_received').map((e) => [e.id, e.data])).toEqual([['0-5', { via: 'signal' }]]);
    // A run that answers one question logs every message signal as not used.
    expect(mapAll([started({ type: 'agent' }), ...messages]).filter((e) => e.type === 'message_received')).toEqual([]);
    // A stream that begins at a continued run knows from that run's spec.
    expect(mapAll([started({ type: 'agent', conversation: { on_message_while_busy: 'queue', idle_timeout_seconds: 60 } }), messages[0]], 2)).toMatchObject([
      { id: '2-5', type: 'message_received' },
    ]);
  });

  it("reports input requests from the run's markers: what is asked, what was taken, what timed out", () => {
    const events = mapAll([
      memo(4, { input_request: { state: 'requested', requestId: 'approval-1', kind: 'approval', prompt: 'Allow everything-get-env?', tool: 'everything-get-env', args: { name: 'HOME' } } }),
      signal(5, 'pause'),
      // A signal the run could not use leaves no trace among the events; only the marker counts.
      signal(6, 'human_input', 'Lyon'),
      signal(7, 'resume'),
      signal(8, 'human_input', { requestId: 'approval-1', value: { approved: true } }),
      memo(9, { input_request: { state: 'answered', requestId: 'approval-1', via: 'signal' } }),
      memo(10, { input_request: { state: 'requested', requestId: 'input-2', kind: 'input', prompt: 'Which city?' } }),
      memo(11, { input_request: { state: 'timed_out', requestId: 'input-2' } }),
    ]);
    expect(events.map((e) => e.type)).toEqual(['input_requested', 'paused', 'resumed', 'input_received', 'input_requested', 'input_timed_out']);
    expect(events[0].data).toEqual({
      requestId: 'approval-1',
      kind: 'approval',
      prompt: 'Allow everything-get-env?',
      tool: 'everything-get-env',
      args: '{"name":"HOME"}',
    });
    expect(events[3].data).toEqual({ requestId: 'approval-1', via: 'signal' });
    expect(events[5].data).toEqual({ requestId: 'input-2' });
  });

  it('shows only the first start of a continued-as-new chain, and no close before its last run', () => {
    const started = (id: number) =>
      historyEvent(id, {
        workflowExecutionStartedEventAttributes: {
          workflowType: { name: 'agentWorkflow' },
          input: { payloads: [payload({ name: 'calc', spec: { type: 'agent' }, input: 'add 2 and 3' })] },
        },
      });
    const mapper = new RunEventMapper();
    const first = mapper.map(started(1), 0);
    expect(first).toMatchObject({
      id: '0-1',
      type: 'run_started',
      data: { workflowType: 'agentWorkflow', workflow: 'calc', pattern: 'agent', input: 'add 2 and 3' },
    });
    expect(mapper.map(historyEvent(40, { workflowExecutionContinuedAsNewEventAttributes: { newExecutionRunId: 'r2' } }), 0)).toBeUndefined();
    expect(mapper.map(started(1), 1)).toBeUndefined();
    expect(mapper.map(historyEvent(9, { workflowExecutionCanceledEventAttributes: {} }), 1)).toMatchObject({ id: '1-9', type: 'cancelled' });
  });
});
