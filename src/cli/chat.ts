import { z } from 'zod';
import { alreadyClosed } from '../../client/run-errors';
import { isClosedRunStatus, type Run } from '../../client/run-view';
import { closingRunEventTypes } from '../../client/run-events';
import type { PendingInput } from '../../workflows/definitions';
import { workflowTypeByPattern } from '../spec/constants';
import { UsageError, type GlobalOptions } from './args';
import { ApiAnswerError, type ApiClient, type ApiReply } from './api-client';
import {
  APPROVAL_HINT,
  chatHelp,
  ELICITATION_HINT,
  parseApproval,
  parseChatLine,
  parseElicitation,
  unknownCommandHint,
  type SlashCommand,
} from './chat-lines';
import { ChatTerminal, type TerminalInput } from './chat-terminal';
import { CliError, ExitCode } from './exit-codes';
import { followRun, type StreamedEvent } from './follow';
import { formatRun, pendingSummary, resultText } from './format';
import { comeBackHint, formatAnswer, formatFailedTurn, formatInterrupted, formatTranscriptMessage, MAX_ITERATIONS_NOTE } from './format-chat';
import { DeltaPrinter } from './format-delta';
import { formatEvent } from './format-event';
import { announcedRequest, waitingRequest, waitingRequests } from './requests';

/**
 * `mcp-agent chat`: a conversation (contract section 9) in the terminal. It starts a run of a
 * workflow, or attaches to a run, and from then on sends each line as the next message, showing
 * tool calls as they happen, asking the user about approvals and input the run waits on, and
 * printing each answer.
 *
 * Two things arrive at any time: lines from the terminal and events from the run's stream. Both go
 * through one inbox and are handled one at a time, so nothing races. Lines are taken strictly in
 * order: a message waits while a turn runs (piped input stays in step with the answers), a line
 * typed while a request is pending answers it, and a slash command acts as soon as it is reached.
 *
 * A run may wait on several requests at once (two children of a parallel run asking together):
 * each input_requested event names its own, and the chat asks them one at a time in the order
 * they came, answering each by its requestId; one answered elsewhere, or gone, is not asked (again).
 */

export interface ChatTarget {
  /** A config workflow (or, with `spec`, a pattern type) starts a run; anything else is a run id. */
  target: string;
  input?: string;
  id?: string;
  spec?: Record<string, unknown>;
}

type InboxItem =
  | TerminalInput
  | { kind: 'event'; event: StreamedEvent }
  | { kind: 'closed'; reply: ApiReply<Run> }
  | { kind: 'lost'; error: unknown };

/** A first-in first-out queue whose reader waits for the next item. */
class Inbox<T> {
  private readonly items: T[] = [];
  private waiting?: (item: T) => void;

  push(item: T): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(item);
    else this.items.push(item);
  }

  next(): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift()!);
    return new Promise((resolve) => (this.waiting = resolve));
  }
}

/** The end of input, queued behind the lines before it. */
const END = Symbol('end of input');

/** Event data the chat acts on; read leniently, an event that does not fit is only shown. */
const turnFinishedData = z.object({
  turn: z.number(),
  outcome: z.enum(['answered', 'max_iterations', 'interrupted', 'failed']).optional(),
  text: z.string().optional(),
});
const turnData = z.object({ turn: z.number() });
const inputSettledData = z.object({ requestId: z.string().optional() });

/** What a person sees of the event stream; the answer line stands for turn_finished. --json shows every event. */
const SHOWN_EVENTS: ReadonlySet<string> = new Set([
  'tool_started',
  'tool_finished',
  'retrying',
  'workflow_task_failing',
  'input_requested',
  'input_received',
  'input_timed_out',
  'context_summarized',
  'paused',
  'resumed',
  'child_started',
  'child_finished',
  ...closingRunEventTypes,
]);

const controlNotes = {
  pause: 'Pause requested: the run stops at its next step boundary.',
  resume: 'Resume requested.',
} as const;

/** Events only a conversation writes. */
const CONVERSATION_EVENTS: ReadonlySet<string> = new Set(['message_received', 'turn_started', 'turn_finished']);

export class ChatSession {
  private readonly inbox = new Inbox<InboxItem>();
  private readonly terminal: ChatTerminal;
  /** Lines not handled yet, oldest first. */
  private readonly lines: (string | typeof END)[] = [];
  private readonly following = new AbortController();
  /** For a run not started yet: the workflow the first message starts. */
  private workflow?: string;
  private runId?: string;
  /** The turn the chat waits for: a line that is a message waits until it is answered. */
  private awaitedTurn?: number;
  /** The request the chat asks now: the next line answers it. */
  private pending?: PendingInput;
  /** Requests to ask once the pending one is settled, in the order they came. */
  private upcoming: PendingInput[] = [];
  /** Every request taken to be asked, so that none is asked twice. */
  private readonly askedRequests = new Set<string>();
  /** Turns this chat started, whose turn_started would only repeat what the user typed. */
  private readonly ownTurns = new Set<number>();
  private closing = false;
  /**
   * The run showed itself a conversation while open (its Run's `conversation`, a turn event). A
   * closed run's view tells it no more, and its result's shape does not either.
   */
  private sawConversation = false;
  private paused = false;
  /** Attached: the stream replays the run from its start; events up to this turn's end are old. */
  private quietUntilTurn?: number;
  private shownPrompt?: string;
  private exitCode?: ExitCode;
  /** Shows `llm_delta` events: the reply being written, before its answer line. */
  private deltas?: DeltaPrinter;

  constructor(
    private readonly client: ApiClient,
    private readonly options: GlobalOptions,
    private readonly chat: ChatTarget,
    interactive: boolean,
  ) {
    this.terminal = new ChatTerminal(interactive, (input) => this.inbox.push(input));
  }

  async run(): Promise<ExitCode> {
    try {
      await this.begin();
      while (this.exitCode === undefined) {
        await this.take(await this.inbox.next());
        await this.handleLines();
        this.showPrompt();
      }
      return this.exitCode;
    } finally {
      this.hidePrompt();
      this.following.abort();
      this.terminal.close();
    }
  }

  private async begin(): Promise<void> {
    const { target, input, id, spec } = this.chat;
    const isWorkflow = spec !== undefined || (await this.client.workflows()).body.workflows.some((workflow) => workflow.name === target);
    if (!isWorkflow) {
      if (input !== undefined || id !== undefined) {
        throw new UsageError(`chat: "${target}" is no workflow (see mcp-agent workflows), so it names a run to attach to, which takes no [input] or --id`);
      }
      return this.attach(target);
    }
    this.workflow = target;
    if (input !== undefined && input.trim() !== '') return this.start(input);
    this.note(`Chatting with ${target}: your first message starts the run. /help lists the commands.`);
    this.showPrompt();
  }

  private async start(input: string): Promise<void> {
    const { id, spec } = this.chat;
    const reply = await this.client.startRun(this.workflow!, { input, ...(id !== undefined && { id }), ...(spec !== undefined && { spec }) });
    this.runId = reply.body.runId;
    this.awaitedTurn = 1;
    this.ownTurns.add(1);
    if (this.options.json) this.print(reply.text);
    else this.note(`Started ${this.runId}. /help lists the commands.`);
    this.follow();
  }

  private async attach(runId: string): Promise<void> {
    const reply = await this.client.run(runId).catch((error: unknown) => {
      throw neitherWorkflowNorRun(error, runId);
    });
    const run = reply.body;
    this.runId = run.runId;
    if (isClosedRunStatus(run.status)) {
      this.print(this.options.json ? reply.text : `${run.runId} ${alreadyClosed(run.status)}: there is nothing to chat with.\n${formatRun(run)}`);
      this.exitCode = run.status === 'completed' ? ExitCode.Ok : ExitCode.RunUnsuccessful;
      return;
    }
    const conversation = run.conversation;
    if (conversation) this.sawConversation = true;
    if (this.options.json) this.print(reply.text);
    else {
      const where = conversation ? `, turn ${conversation.turn}` : ', not a conversation';
      this.note(`Attached to ${run.runId} (${run.workflow}, ${run.status}${where}). /help lists the commands.`);
    }
    if (conversation) {
      if (conversation.finishedTurns > 0) this.quietUntilTurn = conversation.finishedTurns;
      if (conversation.turn > conversation.finishedTurns) this.awaitedTurn = conversation.turn;
    }
    this.paused = run.status === 'paused';
    this.takeRequests(waitingRequests(run));
    this.follow();
  }

  /** The run's events into the inbox until it closes, then the closed Run. */
  private follow(): void {
    followRun(this.client, this.runId!, (event) => this.inbox.push({ kind: 'event', event }), this.following.signal).then(
      (reply) => this.inbox.push({ kind: 'closed', reply }),
      (error: unknown) => {
        if (!this.following.signal.aborted) this.inbox.push({ kind: 'lost', error });
      },
    );
  }

  private async take(item: InboxItem): Promise<void> {
    switch (item.kind) {
      case 'line':
        // Enter took the prompt away with the line.
        this.shownPrompt = undefined;
        this.lines.push(item.line);
        return;
      case 'end':
        if (item.interrupted) return this.detach();
        this.lines.push(END);
        return;
      case 'event':
        return this.onEvent(item.event);
      case 'closed':
        return this.finish(item.reply);
      case 'lost':
        throw item.error;
    }
  }

  /** Takes lines in order for as long as the head can be handled now. */
  private async handleLines(): Promise<void> {
    while (this.exitCode === undefined && this.lines.length > 0) {
      const head = this.lines[0];
      if (head === END) {
        // Piped input ends after its last message: that message is still answered before leaving.
        const waiting = this.closing || (this.awaitedTurn !== undefined && !this.paused);
        if (waiting && !this.pending) return;
        this.lines.shift();
        return this.detach();
      }
      const line = parseChatLine(head);
      if (line.kind === 'text' && !this.pending && (this.awaitedTurn !== undefined || this.closing)) return;
      this.lines.shift();
      switch (line.kind) {
        case 'blank':
          break;
        case 'unknown_command':
          this.note(unknownCommandHint(line.name));
          break;
        case 'command':
          await this.reportingApiErrors(() => this.command(line.command));
          break;
        case 'text':
          if (this.pending) await this.reportingApiErrors(() => this.answer(this.pending!, line.text));
          else if (this.runId === undefined) await this.start(line.text);
          else await this.reportingApiErrors(() => this.send(line.text));
          break;
      }
    }
  }

  private async send(text: string): Promise<void> {
    const reply = await this.client.sendMessage(this.runId!, text);
    this.awaitedTurn = reply.body.turn;
    this.ownTurns.add(reply.body.turn);
    if (this.options.json) this.print(reply.text);
  }

  private async answer(pending: PendingInput, text: string): Promise<void> {
    let value: unknown = text;
    if (pending.kind === 'approval') {
      value = parseApproval(text);
      if (value === undefined) return this.note(APPROVAL_HINT);
    }
    if (pending.kind === 'elicitation') {
      value = parseElicitation(text);
      if (value === undefined) return this.note(ELICITATION_HINT);
    }
    this.pending = undefined;
    let reply: ApiReply<Run>;
    try {
      reply = await this.client.provideInput(this.runId!, { requestId: pending.requestId, value });
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== ExitCode.ApiError) throw error;
      // It is still the one asked unless the run says it no longer waits.
      this.pending = pending;
      const current = await this.client.run(this.runId!);
      if (waitingRequest(current.body, pending.requestId)) {
        // Refused, a value the request does not take (or the API could not deliver it now): asked again.
        this.show(pending);
        throw error;
      }
      // Answered elsewhere, timed out, withdrawn, or the run closed: on to the next one.
      this.pending = undefined;
      this.note(`Not taken: ${pending.kind} ${pending.requestId} no longer waits for an answer (${error.message}).`);
      return this.takeRequests(waitingRequests(current.body), current.text);
    }
    if (this.options.json) this.print(reply.text);
    // Requests the chat has not heard of yet (their events are still on the way) come next.
    this.takeRequests(waitingRequests(reply.body));
  }

  private async command(command: SlashCommand): Promise<void> {
    if (command === 'help') return this.print(chatHelp());
    const runId = this.runId;
    if (runId === undefined) {
      if (command === 'quit' || command === 'close') return this.detach();
      return this.note('There is no run yet: your first message starts it.');
    }
    switch (command) {
      case 'quit':
        return this.detach();
      case 'close': {
        const reply = await this.client.close(runId);
        this.closing = true;
        if (this.options.json) return this.print(reply.text);
        return this.note(`Closing ${runId}: it completes once its running turn and queued messages are answered.`);
      }
      case 'pause':
      case 'resume': {
        const reply = await this.client.control(runId, command);
        return this.print(this.options.json ? reply.text : controlNotes[command]);
      }
      case 'status': {
        const reply = await this.client.run(runId);
        return this.print(this.options.json ? reply.text : formatRun(reply.body));
      }
      case 'history':
        return this.history(runId);
    }
  }

  private async history(runId: string): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = (await this.client.messages(runId, cursor)).body;
      for (const message of page.messages) this.print(this.options.json ? JSON.stringify(message) : formatTranscriptMessage(message));
      cursor = page.next;
    } while (cursor !== undefined);
  }

  private async onEvent(event: StreamedEvent): Promise<void> {
    if (CONVERSATION_EVENTS.has(event.name)) this.sawConversation = true;
    if (this.quietUntilTurn !== undefined) {
      const turn = turnData.safeParse(event.data);
      if (event.name === 'turn_finished' && turn.success && turn.data.turn >= this.quietUntilTurn) this.quietUntilTurn = undefined;
      return;
    }
    if (this.options.json) this.print(event.json);
    else if (event.name === 'llm_delta') {
      this.deltas ??= new DeltaPrinter(this.runId!, (text) => this.terminal.write(text));
      return this.deltas.delta(event.data);
    } else if (this.shows(event)) this.print(formatEvent(event, new Date()));
    switch (event.name) {
      case 'paused':
      case 'resumed':
        this.paused = event.name === 'paused';
        return;
      case 'input_received':
      case 'input_timed_out': {
        const settled = inputSettledData.safeParse(event.data);
        // Answered here, or somewhere else (another chat, the API), or too late: it no longer waits on this user.
        this.settled(settled.success ? settled.data.requestId : undefined);
        return this.checkPending();
      }
      case 'input_requested':
        return this.checkRequested(event);
      case 'turn_finished':
        return this.turnFinished(event);
    }
  }

  private shows(event: StreamedEvent): boolean {
    if (event.name === 'turn_started') {
      // Someone else's message (another client of the same conversation) is news; the user's own is not.
      const turn = turnData.safeParse(event.data);
      return !(turn.success && this.ownTurns.has(turn.data.turn));
    }
    return SHOWN_EVENTS.has(event.name);
  }

  /**
   * The request an input_requested event announces, unless it was asked already or no longer
   * waits: whole from the Run (the event cuts a long prompt), which --json prints.
   */
  private async checkRequested(event: StreamedEvent): Promise<void> {
    const announced = announcedRequest(event.data);
    if (!announced) return this.checkPending();
    if (this.askedRequests.has(announced.requestId)) return;
    const reply = await this.client.run(this.runId!);
    const waiting = waitingRequest(reply.body, announced.requestId);
    if (waiting) this.takeRequests([waiting], reply.text);
  }

  /** Any request the run waits on that the chat has not taken yet (its event still on the way, or an API that announced it late). */
  private async checkPending(): Promise<void> {
    const reply = await this.client.run(this.runId!);
    this.takeRequests(waitingRequests(reply.body), reply.text);
  }

  /**
   * Queues the requests not asked yet, in order, and asks the first if none is pending; one that
   * has to wait its turn is named at once, so the user knows it is coming. --json prints the Run
   * they came in.
   */
  private takeRequests(requests: readonly PendingInput[], runJson?: string): void {
    const fresh = requests.filter((request) => !this.askedRequests.has(request.requestId));
    for (const request of fresh) this.askedRequests.add(request.requestId);
    this.upcoming.push(...fresh);
    if (fresh.length > 0 && this.options.json && runJson !== undefined) this.print(runJson);
    this.askNext();
    for (const request of fresh) {
      if (this.upcoming.includes(request)) this.note(`${request.kind} ${request.requestId} waits too; it is asked after the one before it is answered.`);
    }
  }

  /** A request answered or timed out (undefined: the one asked now) is not asked any more. */
  private settled(requestId: string | undefined): void {
    if (this.pending && (requestId === undefined || requestId === this.pending.requestId)) this.pending = undefined;
    this.upcoming = this.upcoming.filter((request) => request.requestId !== requestId);
    this.askNext();
  }

  private askNext(): void {
    if (this.pending) return;
    const next = this.upcoming.shift();
    if (next) this.show(next);
  }

  private show(pending: PendingInput): void {
    this.pending = pending;
    if (this.options.json) return;
    this.print(pendingSummary(pending));
    this.note(pending.kind === 'approval' ? APPROVAL_HINT : pending.kind === 'elicitation' ? ELICITATION_HINT : 'the next line you type is the answer');
  }

  private async turnFinished(event: StreamedEvent): Promise<void> {
    const finished = turnFinishedData.safeParse(event.data);
    if (!finished.success) return;
    const { turn, outcome, text } = finished.data;
    if (outcome === 'interrupted') {
      if (!this.options.json) this.print(formatInterrupted(turn));
    } else if (outcome === 'failed') {
      // The conversation stays open; the event's text says why the turn failed.
      if (!this.options.json) this.print(formatFailedTurn(turn, text ?? ''));
    } else {
      // The Run's result is the latest answer, in full (the event has its start only).
      const reply = await this.client.run(this.runId!);
      if (reply.body.conversation) this.sawConversation = true;
      const latest = reply.body.conversation?.finishedTurns === turn && reply.body.result !== undefined;
      if (this.options.json) this.print(reply.text);
      else this.printAnswer(latest ? resultText(reply.body.result) : (text ?? ''), outcome);
    }
    if (this.awaitedTurn !== undefined && turn >= this.awaitedTurn) this.awaitedTurn = undefined;
  }

  /**
   * An answer, unless it was just shown being written (its deltas): then its line is ended and the
   * text not printed again. Shown only in part (deltas are best effort), it is printed whole.
   */
  private printAnswer(text: string, outcome?: string): void {
    if (this.deltas?.showed(text)) {
      this.deltas.forget();
      if (outcome === 'max_iterations') this.print(MAX_ITERATIONS_NOTE);
      else this.deltas.end();
      return;
    }
    this.deltas?.forget();
    this.print(formatAnswer(text, outcome));
  }

  private finish(reply: ApiReply<Run>): void {
    this.hidePrompt();
    const run = reply.body;
    if (this.options.json) this.print(reply.text);
    else {
      // A conversation's answers were shown turn by turn; a single question's answer comes with its end.
      if (run.status === 'completed' && run.result !== undefined && !this.wasConversation(run)) this.printAnswer(resultText(run.result));
      // Said only now: a run just started has no state yet to tell a conversation by. One attached
      // to said so on attaching.
      const single = this.workflow !== undefined && run.status === 'completed' && !this.wasConversation(run);
      this.note(single ? `Run ${run.runId} completed: ${run.workflow} is not a conversation, so it answers one message.` : `Run ${run.runId} ${run.status}.`);
      // Lines still waiting would be dropped without a word: a closed run takes no more.
      const unsent = this.lines.filter((line): line is string => line !== END && parseChatLine(line).kind === 'text').length;
      if (unsent > 0) this.note(`${unsent} more line(s) not sent: ${this.whyUnsent(run)}.`);
    }
    this.exitCode = run.status === 'completed' ? ExitCode.Ok : ExitCode.RunUnsuccessful;
  }

  /** A closed run's view has no `conversation`: what the chat saw while it was open says whether it was one. */
  private wasConversation(run: Run): boolean {
    return run.conversation !== undefined || this.sawConversation || this.closing;
  }

  /** Why a closed run took no more lines. */
  private whyUnsent(run: Run): string {
    if (run.status !== 'completed') return `the run ${run.status}`;
    return this.wasConversation(run) ? 'the conversation has closed' : 'only the first message is answered';
  }

  /** Leaves the chat; the conversation stays open for the next one. */
  private detach(): void {
    this.hidePrompt();
    this.exitCode = ExitCode.Ok;
    if (this.options.json) return;
    if (this.runId === undefined) return this.note('Nothing was started.');
    const more = this.upcoming.length > 0 ? ` and ${this.upcoming.length} more request(s)` : '';
    const waiting = this.pending ? ` It waits for an answer to ${this.pending.kind} ${this.pending.requestId}${more}.` : '';
    this.note(`Left ${this.runId} open.${waiting} Come back with: ${comeBackHint(this.runId)}`);
  }

  /** An API error about one line is reported and the chat goes on; losing the API ends it. */
  private async reportingApiErrors(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== ExitCode.ApiError) throw error;
      this.hidePrompt();
      process.stderr.write(`mcp-agent: ${error.message}\n`);
    }
  }

  private showPrompt(): void {
    let prompt: string | undefined;
    if (this.exitCode !== undefined || this.lines.length > 0) prompt = undefined;
    else if (this.pending) prompt = this.pending.kind === 'approval' ? 'approve? y/n> ' : 'answer> ';
    else if (this.awaitedTurn === undefined && !this.closing) prompt = 'you> ';
    if (prompt === this.shownPrompt) return;
    this.shownPrompt = prompt;
    this.deltas?.end();
    this.terminal.prompt(prompt);
  }

  private hidePrompt(): void {
    this.shownPrompt = undefined;
    this.terminal.prompt(undefined);
  }

  private print(text: string): void {
    this.deltas?.end();
    this.terminal.print(text);
  }

  /** What the chat says about itself; --json keeps stdout to JSON lines. */
  private note(text: string): void {
    if (!this.options.json) this.print(text);
  }
}

/**
 * `chat <name>` takes a name that is no workflow for a run id: one that names neither is said to be
 * neither, and a pattern type (which runs only with a spec) to want --spec.
 */
function neitherWorkflowNorRun(error: unknown, target: string): unknown {
  if (!(error instanceof ApiAnswerError) || error.code !== 'run_not_found') return error;
  if (Object.hasOwn(workflowTypeByPattern, target)) {
    return new CliError(ExitCode.ApiError, `chat: "${target}" is a pattern type, which runs only with a spec: add --spec JSON|@file (and no run is named "${target}")`);
  }
  return new CliError(
    ExitCode.ApiError,
    `chat: no workflow and no run is named "${target}" (mcp-agent workflows lists the workflows, mcp-agent list the runs)`,
  );
}

export function chatCommand(client: ApiClient, chat: ChatTarget, options: GlobalOptions): Promise<ExitCode> {
  return new ChatSession(client, options, chat, process.stdin.isTTY === true && process.stdout.isTTY === true).run();
}
