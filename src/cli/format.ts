import type { RetryingActivity, Run } from '../../client/run-view';
import type { PendingInput } from '../../workflows/definitions';
import type {
  PromptContent,
  PromptSummary,
  ResourceContent,
  ResourceSummary,
  ResourceTemplateSummary,
  ServerSummary,
  ToolSummary,
  WorkflowSummary,
} from './api-client';
import { isTextMimeType } from '../mcp/mime-types';
import { usageLine } from '../patterns/usage';

/**
 * What `mcp-agent` prints for people (`--json` prints the API's JSON instead). Pure functions of
 * their arguments; times are shown in the local time zone.
 */

const pad2 = (n: number) => String(n).padStart(2, '0');

export function clockTime(date: Date): string {
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
}

export function localDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ${clockTime(date)}`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Any value on one line, cut to `max` characters. */
export function oneLine(value: unknown, max: number): string {
  const text = (typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))).replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Rows as columns padded to their widest cell; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Continuation lines of a labelled value line up under its first line. */
function labelled(label: string, value: string): string {
  const indent = ' '.repeat(10);
  return `${label.padEnd(10)}${value.split('\n').join(`\n${indent}`)}`;
}

/** An agent's result is `{text, ...}`: the text is what people want; anything else reads as JSON. */
export function resultText(result: unknown): string {
  const text = (result as { text?: unknown } | null)?.text;
  if (typeof text === 'string') return text;
  return typeof result === 'string' ? result : JSON.stringify(result, null, 2);
}

/** A shell word for the reply hint; plain ids stay bare. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `input 1f3c: Which numbers?`, with the tool call an approval is about. */
export function pendingSummary(pending: PendingInput): string {
  const call = pending.tool ? ` · ${pending.tool} ${oneLine(pending.args ?? {}, 120)}` : '';
  const fields = pending.schema ? ` · fields ${oneLine(pending.schema.properties ?? {}, 160)}` : '';
  return `${pending.kind} ${pending.requestId}: ${pending.prompt}${call}${fields}`;
}

export function answerHint(runId: string, pending: PendingInput): string {
  const example =
    pending.kind === 'approval' ? `'{"approved": true}'` : pending.kind === 'elicitation' ? `'{"action": "accept", "content": {...}}'` : `'<answer>'`;
  return `answer: mcp-agent input ${shellWord(runId)} ${example} --request-id ${shellWord(pending.requestId)}`;
}

/** `the workflow task keeps failing (attempt 3): [TMPRL1100] Nondeterminism error: ...`, on one line of at most `max` characters. */
export function workflowTaskFailingLine(failing: { attempt: number; message: string }, max: number): string {
  return oneLine(`the workflow task keeps failing (attempt ${failing.attempt}): ${failing.message}`, max);
}

/**
 * `llmGenerate · attempt 3 of 5 · failed: 503 overloaded · next at 12:00:04`, the error cut to
 * `maxError` characters. Every fact may be missing: a streamed event's data is not checked.
 */
export function retryingLine(retrying: Partial<RetryingActivity>, maxError: number): string {
  const { activity, attempt, maximumAttempts, lastError, nextAttemptAt } = retrying;
  return [
    activity,
    attempt === undefined ? undefined : `attempt ${attempt}${maximumAttempts === undefined ? '' : ` of ${maximumAttempts}`}`,
    lastError ? `failed: ${oneLine(lastError, maxError)}` : undefined,
    nextAttemptAt && !Number.isNaN(Date.parse(nextAttemptAt)) ? `next at ${clockTime(new Date(nextAttemptAt))}` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
}

function pendingLines(run: Run): string[] {
  const pending = run.pendingInput;
  if (!pending) return [];
  return [labelled('waiting', pendingSummary(pending)), labelled('', answerHint(run.runId, pending))];
}

export function formatRun(run: Run): string {
  const closed = run.closedAt
    ? `${localDateTime(run.closedAt)} (after ${duration(Date.parse(run.closedAt) - Date.parse(run.startedAt))})`
    : undefined;
  const lines = [
    labelled('run', run.runId),
    labelled('workflow', run.workflow === run.pattern ? run.workflow : `${run.workflow} (${run.pattern})`),
    labelled('status', run.status),
    ...(run.step ? [labelled('step', oneLine(run.step, 200))] : []),
    ...(run.workflowTaskFailing ? [labelled('stuck', workflowTaskFailingLine(run.workflowTaskFailing, 400))] : []),
    ...(run.retrying ? [labelled('retrying', retryingLine(run.retrying, 200))] : []),
    labelled('input', oneLine(run.input, 200)),
    ...pendingLines(run),
    labelled('usage', usageLine(run.usage)),
    labelled('started', localDateTime(run.startedAt)),
    ...(closed ? [labelled('closed', closed)] : []),
    ...(run.error ? [labelled('error', `${run.error.code}: ${run.error.message}`)] : []),
    ...(run.result !== undefined ? [labelled('result', resultText(run.result))] : []),
  ];
  return lines.join('\n');
}

export function formatRunList(runs: readonly Run[]): string {
  if (runs.length === 0) return 'No runs.';
  return table([
    ['RUN ID', 'WORKFLOW', 'STATUS', 'STARTED', 'INPUT'],
    ...runs.map((run) => [run.runId, run.workflow, listedStatus(run), localDateTime(run.startedAt), oneLine(run.input, 60)]),
  ]);
}

/** A run that looks busy but is not getting on says so in a listing too (`status` says why). */
function listedStatus(run: Run): string {
  if (run.workflowTaskFailing) return `${run.status} (stuck)`;
  return run.retrying ? `${run.status} (retrying)` : run.status;
}

export function formatWorkflows(workflows: readonly WorkflowSummary[]): string {
  if (workflows.length === 0) return 'No workflows in the config; ad-hoc runs take a pattern type and --spec.';
  return table([['NAME', 'TYPE', 'DESCRIPTION'], ...workflows.map((w) => [w.name, w.type, w.description])]);
}

export function formatServers(servers: readonly ServerSummary[]): string {
  if (servers.length === 0) return 'No MCP servers in the config (mcp.servers).';
  return table([['NAME', 'TRANSPORT', 'DESCRIPTION'], ...servers.map((s) => [s.name, s.transport, oneLine(s.description ?? '', 100)])]);
}

export function formatTools(server: string, tools: readonly ToolSummary[]): string {
  if (tools.length === 0) return `MCP server "${server}" offers no tools.`;
  return table([['NAME', 'DESCRIPTION'], ...tools.map((t) => [t.name, oneLine(t.description ?? t.title ?? '', 100)])]);
}

export function formatResources(server: string, resources: readonly ResourceSummary[], templates: readonly ResourceTemplateSummary[]): string {
  if (resources.length === 0 && templates.length === 0) return `MCP server "${server}" offers no resources.`;
  const sections: string[] = [];
  if (resources.length > 0) {
    sections.push(
      table([
        ['URI', 'NAME', 'TYPE', 'DESCRIPTION'],
        ...resources.map((r) => [r.uri, r.title ?? r.name, r.mimeType ?? '', oneLine(r.description ?? '', 80)]),
      ]),
    );
  }
  if (templates.length > 0) {
    sections.push(
      table([
        ['URI TEMPLATE', 'NAME', 'TYPE', 'DESCRIPTION'],
        ...templates.map((t) => [t.uriTemplate, t.title ?? t.name, t.mimeType ?? '', oneLine(t.description ?? '', 80)]),
      ]),
    );
  }
  return sections.join('\n\n');
}

/** `city, [state]`: optional arguments in brackets. */
export function promptArguments(prompt: PromptSummary): string {
  return (prompt.arguments ?? []).map((a) => (a.required ? a.name : `[${a.name}]`)).join(', ');
}

export function formatPrompts(server: string, prompts: readonly PromptSummary[]): string {
  if (prompts.length === 0) return `MCP server "${server}" offers no prompts.`;
  return table([
    ['NAME', 'ARGUMENTS', 'DESCRIPTION'],
    ...prompts.map((p) => [p.name, promptArguments(p), oneLine(p.description ?? p.title ?? '', 100)]),
  ]);
}

function base64Bytes(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.floor((base64.length * 3) / 4) - padding;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Binary content that is text after all: a textual type (text/*, JSON, YAML, ...) whose bytes are
 * valid UTF-8. Servers send text as a blob too (server-everything's dynamic blob resources are
 * text/plain), and a person asked to read it.
 */
function blobText(content: ResourceContent): string | undefined {
  if (content.blob === undefined || !isTextMimeType(content.mimeType)) return undefined;
  try {
    return utf8.decode(Buffer.from(content.blob, 'base64'));
  } catch {
    return undefined;
  }
}

/**
 * A resource's text as it is, and binary content of a textual type decoded; other binary parts as
 * a line that says what they are. Several parts get a header each.
 */
export function formatResourceContents(contents: readonly ResourceContent[]): string {
  const body = (content: ResourceContent) =>
    content.text ??
    blobText(content) ??
    `[binary content${content.mimeType ? `, ${content.mimeType}` : ''}, ${base64Bytes(content.blob ?? '')} bytes: --json prints its base64]`;
  if (contents.length === 1) return body(contents[0]).replace(/\n$/, '');
  return contents.map((content) => `--- ${content.uri}${content.mimeType ? ` (${content.mimeType})` : ''}\n${body(content).replace(/\n$/, '')}`).join('\n');
}

/** Each message as `role: text`, other content as a line that says what it is. */
export function formatPrompt(prompt: PromptContent): string {
  const lines = prompt.messages.map(({ role, content }) => {
    if (content.type === 'text' && typeof content.text === 'string') return `${role}: ${content.text}`;
    const resource = content.resource as { uri?: string; text?: string } | undefined;
    if (content.type === 'resource' && typeof resource?.text === 'string') return `${role}: [resource ${resource.uri}]\n${resource.text}`;
    return `${role}: [${content.type}${typeof content.mimeType === 'string' ? ` ${content.mimeType}` : ''}]`;
  });
  return [...(prompt.description ? [`(${prompt.description})`] : []), ...lines].join('\n');
}
