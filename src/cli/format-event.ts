import type { PendingInput } from '../../workflows/definitions';
import type { StreamedEvent } from './follow';
import { dollars, usageLine } from '../patterns/usage';
import { answerHint, clockTime, oneLine, pendingSummary, retryingLine, workflowTaskFailingLine } from './format';

/**
 * One line per run event for `watch`, `run --wait` and `chat`: when it happened, what, and the
 * few facts that matter (turn, model, tool, tokens, errors). Pure; the time is shown in the local
 * time zone.
 */

const NAME_WIDTH = 15;
const PREVIEW = 80;

type Data = Record<string, unknown>;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const quoted = (value: unknown): string => JSON.stringify(oneLine(value, PREVIEW));

/** `turn 2`; a conversation's LLM calls also say which step of the turn they are. */
function turn(data: Data): string | undefined {
  const n = number(data.turn);
  if (n === undefined) return undefined;
  const step = number(data.step);
  return step === undefined ? `turn ${n}` : `turn ${n} step ${step}`;
}

function model(data: Data): string | undefined {
  const name = text(data.model);
  if (!name) return undefined;
  return text(data.provider) ? `${data.provider as string}/${name}` : name;
}

function tokens(data: Data): string | undefined {
  const input = number(data.inputTokens);
  const output = number(data.outputTokens);
  if (input === undefined && output === undefined) return undefined;
  return `${input ?? 0} in / ${output ?? 0} out tokens`;
}

/**
 * What a call left out of a long conversation: `context 900/4000 tokens, 12 dropped, 3 stubbed`.
 * Every loop call reports its context; one that sent everything says nothing worth a line.
 */
function context(data: Data): string | undefined {
  if (typeof data.context !== 'object' || data.context === null) return undefined;
  const { tokens: sent, fullTokens, dropped, stubbed } = data.context as Data;
  const left = [number(dropped) ? `${dropped as number} dropped` : '', number(stubbed) ? `${stubbed as number} stubbed` : ''].filter(Boolean);
  if (left.length === 0 || number(sent) === undefined) return undefined;
  return [`context ${sent as number}/${number(fullTokens) ?? (sent as number)} tokens`, ...left].join(', ');
}

function llmFinished(data: Data): (string | undefined)[] {
  const calls = Array.isArray(data.toolCalls) ? data.toolCalls.filter((call): call is string => typeof call === 'string') : [];
  const answer = calls.length > 0 ? `calls ${calls.join(', ')}` : text(data.text) && quoted(data.text);
  const cost = typeof data.costUsd === 'number' ? dollars(data.costUsd) : undefined;
  return [turn(data), model(data), tokens(data), cost, context(data), answer];
}

function toolFinished(data: Data): (string | undefined)[] {
  const outcome = data.isError === true ? `error: ${oneLine(data.error ?? data.result ?? 'failed', PREVIEW)}` : data.cancelled === true ? 'cancelled' : text(data.result) && `→ ${oneLine(data.result, PREVIEW)}`;
  return [turn(data), text(data.tool), outcome];
}

function retrying(data: Data): (string | undefined)[] {
  const facts = {
    activity: text(data.activity),
    attempt: number(data.attempt),
    maximumAttempts: number(data.maximumAttempts),
    lastError: text(data.lastError),
    nextAttemptAt: text(data.nextAttemptAt),
  };
  return [retryingLine(facts, PREVIEW)];
}

/** `the workflow task keeps failing (attempt 3): [TMPRL1100] Nondeterminism error: ...` */
function workflowTaskFailing(data: Data): (string | undefined)[] {
  const attempt = number(data.attempt);
  const message = text(data.message);
  return [attempt !== undefined && message !== undefined ? workflowTaskFailingLine({ attempt, message }, 2 * PREVIEW) : oneLine(data, 120)];
}

function errorText(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null) {
    const { code, message } = value as { code?: unknown; message?: unknown };
    if (typeof message === 'string') return typeof code === 'string' ? `${code}: ${message}` : message;
  }
  return text(value);
}

function details(name: string, data: Data): (string | undefined)[] {
  switch (name) {
    case 'run_started': {
      const workflow = text(data.workflow) ?? text(data.workflowType);
      const pattern = text(data.pattern);
      return [
        workflow && pattern && pattern !== workflow ? `${workflow} (${pattern})` : workflow,
        data.input !== undefined ? `input ${quoted(data.input)}` : undefined,
        text(data.parent) && `child of ${data.parent as string}`,
      ];
    }
    case 'llm_started':
      return [turn(data), model(data)];
    case 'llm_finished':
      return llmFinished(data);
    case 'tool_started':
      return [turn(data), text(data.tool), text(data.arguments) && oneLine(data.arguments, PREVIEW)];
    case 'tool_finished':
      return toolFinished(data);
    case 'retrying':
      return retrying(data);
    case 'workflow_task_failing':
      return workflowTaskFailing(data);
    case 'tool_progress': {
      const progress = number(data.progress);
      const total = number(data.total);
      return [
        text(data.server) && text(data.tool) && `${data.server as string}-${data.tool as string}`,
        progress === undefined ? undefined : total === undefined ? `${progress}` : `${progress}/${total}`,
        text(data.message),
      ];
    }
    case 'tool_log':
      return [
        text(data.server) && text(data.tool) && `${data.server as string}-${data.tool as string}`,
        text(data.level),
        text(data.message) && oneLine(data.message, PREVIEW),
      ];
    case 'input_requested':
      return ['the run waits for an answer'];
    case 'input_received':
      return [text(data.requestId) && `request ${data.requestId as string}`];
    case 'input_timed_out':
      return [text(data.requestId) && `request ${data.requestId as string} got no answer in time`];
    case 'message_received':
      return [turn(data), text(data.via) && `by ${data.via as string}`];
    case 'turn_started':
      return [turn(data), text(data.text) && quoted(data.text)];
    case 'turn_finished':
      return [turn(data), text(data.outcome), text(data.text) && quoted(data.text)];
    case 'context_summarized': {
      const messages = number(data.messages);
      return [turn(data), model(data), messages === undefined ? undefined : `${messages} messages summarized`, text(data.text) && quoted(data.text)];
    }
    case 'child_started':
      return [text(data.workflowId), text(data.summary) ?? text(data.workflowType)];
    case 'child_finished':
      return [text(data.workflowId), text(data.status), errorText(data.error)];
    case 'completed': {
      const usage = typeof data.usage === 'object' && data.usage !== null ? usageLine(data.usage as Parameters<typeof usageLine>[0]) : undefined;
      return [data.text !== undefined ? quoted(data.text) : data.result !== undefined ? quoted(data.result) : undefined, usage];
    }
    case 'failed':
      return [errorText(data)];
    case 'terminated':
      return [text(data.reason)];
    case 'paused':
    case 'resumed':
    case 'cancelled':
    case 'timed_out':
      return [];
    default:
      return [Object.keys(data).length > 0 ? oneLine(data, 120) : undefined];
  }
}

export function formatEvent(event: Pick<StreamedEvent, 'name' | 'at' | 'data'>, receivedAt: Date): string {
  const at = event.at !== undefined && !Number.isNaN(Date.parse(event.at)) ? new Date(event.at) : receivedAt;
  const facts = details(event.name, event.data).filter((fact): fact is string => !!fact);
  return `${clockTime(at)}  ${event.name.padEnd(NAME_WIDTH)}  ${facts.join(' · ')}`.trimEnd();
}

/**
 * What is asked under an input_requested line, and how to answer it while it waits (`waiting`
 * false: it was answered, or went, before the line was printed).
 */
export function formatPendingInput(runId: string, pending: PendingInput, waiting = true): string {
  const indent = ' '.repeat(clockTime(new Date(0)).length + NAME_WIDTH + 4);
  const summary = `${indent}${pendingSummary(pending)}`;
  return waiting ? `${summary}\n${indent}${answerHint(runId, pending)}` : `${summary}\n${indent}(no longer waits for an answer)`;
}
