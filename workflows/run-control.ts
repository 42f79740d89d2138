import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureTypes } from '../src/failure-types';
import type { TokenUsage } from '../src/llm/messages';
import type { PatternType } from '../src/spec/schema';
import { budgetBreach, budgetMessage, childBudget, hasLimits, type BudgetBreach, type RunBudget } from '../src/patterns/budget';
import { approvalDecisionSchema } from '../src/patterns/human-input';
import { addCost, addUsage, emptyUsage, usageLine } from '../src/patterns/usage';
import {
  CHILD_REQUEST_SEPARATOR,
  childStateSignal,
  humanInputSignal,
  InputRejection,
  pauseSignal,
  provideInputUpdate,
  REQUEST_MEMO_KEY,
  USAGE_MEMO_KEY,
  Patches,
  resumeSignal,
  searchAttributes,
  stateQuery,
  type InputVia,
  type RequestMarker,
  type ChildRunState,
  type HumanInput,
  type PendingInput,
  type RunState,
  type RunStatus,
  type RunUsage,
} from './definitions';
import { guardLlmCalls } from './llm-guard';
import { elicitationAnswerProblem } from '../src/mcp/server-requests';
import { handleServerRequests } from './server-requests';

/**
 * The part of every pattern workflow that people talk to: pause/resume, human input, the `state`
 * query, status search attributes and the Web UI's current details. It also keeps the run's child
 * workflows in the loop: pause and resume go down to them, their state comes up by signal, and
 * input for a child's request is delivered through here. Construct it first thing in the
 * workflow, before any await, so that no early signal finds a handler missing.
 */

export interface OpenRequest extends PendingInput {
  /** When the wait ends unanswered, in workflow time (epoch milliseconds). */
  deadline: number;
  answer?: { value: unknown; via: InputVia };
  /** The asker went away (an MCP server cancelled its request): the wait ends unanswered now. */
  withdrawn?: boolean;
}

/** Input that arrived before anything asked for it, and how. */
type QueuedInput = HumanInput & { via?: InputVia };

export type InputOutcome = { answered: true; value: unknown } | { answered: false };

/** State that survives continue-as-new. */
export interface RunControlCarry {
  paused: boolean;
  usage: RunUsage;
  queued: QueuedInput[];
  requestCounter: number;
  /** Requests still open when the run continued as new; the next run waits on them under the same ids. */
  open?: OpenRequest[];
  /** A child's reports to its parent go on counting, so the parent keeps taking them. */
  reportSequence?: number;
}

/**
 * Thrown out of a wait for input when the run is about to continue as new: the request stays
 * open and travels in the carry, and the loop resumes the call in the next run.
 */
export class InputDeferred extends Error {
  constructor(readonly requestId: string) {
    super(`input request ${requestId} continues in the next run`);
    this.name = 'InputDeferred';
  }
}

/** How long a cancelled run waits for its children's cancels to complete. */
const CHILD_CANCEL_GRACE = '1 minute';

/** Where input for a request goes: one of this run's own requests, or a child's. */
type InputTarget = { own: OpenRequest } | { child: ChildRunState; request: PendingInput };

export class RunControl {
  private paused: boolean;
  /** Calls held at a step boundary by a pause (a pause asked for takes effect at the next one); parallel branches each wait at their own. */
  private holding = 0;
  private closedStatus?: RunStatus;
  private step = 'starting';
  private iteration = 0;
  private readonly open: OpenRequest[] = [];
  private readonly queued: QueuedInput[];
  /** The child request last announced as this run's pending one (how runs recorded before every child request was announced did it). */
  private announcedChildRequest?: string;
  /** Child requests announced here, and those this run has delivered an answer to (their child may not have said so yet). */
  private readonly childRequestsAnnounced = new Set<string>();
  private readonly childRequestsAnswered = new Set<string>();
  private requestCounter: number;
  /** This run's own LLM and tool calls, plus those of children that have finished. */
  private readonly usage: RunUsage;
  private readonly children = new Map<string, ChildRunState>();
  private childCounter = 0;
  private lastStatus?: RunStatus;
  private lastReport?: string;
  private reportSequence = 0;
  /** A report to the parent waits for the end of the current step (see `reportEachStep`). */
  private reportDue = false;
  /** The report a failed or cancelled run sent as it closed (see `lastReportDelivered`). */
  private closingReport?: Promise<void>;
  private readonly reportsPerStep: boolean;
  private idle = false;
  private deferWaits: () => boolean = () => false;
  private extra: () => Partial<Pick<RunState, 'conversation' | 'result' | 'context'>> = () => ({});
  private queryExtra: () => Pick<RunState, 'recentTurns'> = () => ({});
  /** The run tree's limits (its spec's `budget`); absent: none. */
  private readonly budget?: RunBudget;
  /** Set once the tree has gone over budget: the failure the run ends with. */
  private overBudget?: ApplicationFailure;
  /** The model call that started last, to name in a budget failure. */
  private lastLlmCall?: string;
  private warnedUnpriced = false;
  /** The workflow's root scope, cancelled to stop the whole run (and its children) when over budget. */
  private readonly rootScope = CancellationScope.current();
  private readonly withdrawRequestsOfFailedCall: (activityId: string) => void;

  constructor(
    private readonly workflow: string,
    private readonly pattern: PatternType | 'code',
    carry?: RunControlCarry,
    /** The run's budget, from its resolved spec (`spec.budget`). */
    budget?: RunBudget,
  ) {
    if (hasLimits(budget)) {
      this.budget = budget;
      guardLlmCalls((summary) => this.beforeLlmCall(summary));
    }
    this.paused = carry?.paused ?? false;
    this.usage = carry?.usage ?? emptyUsage();
    this.queued = carry?.queued ?? [];
    this.requestCounter = carry?.requestCounter ?? 0;
    this.open.push(...(carry?.open ?? []));
    this.reportSequence = carry?.reportSequence ?? 0;
    this.reportsPerStep = workflowInfo().parent !== undefined && patched(Patches.OneChildReportPerStep);
    // Not cancellable: a cancelled run still reports on its way out.
    if (this.reportsPerStep) void CancellationScope.nonCancellable(() => this.reportEachStep());

    setHandler(pauseSignal, () => this.setPaused(true));
    setHandler(resumeSignal, () => this.setPaused(false));
    setHandler(humanInputSignal, (input) => {
      // A signal has no one to answer: input it cannot use is logged, not queued or taken.
      if (!isHumanInput(input)) {
        log.warn('A "human_input" signal was not {"requestId"?: string, "value": ...}; it was not used.', { input });
        return;
      }
      this.deliver(input, 'signal');
    });
    setHandler(childStateSignal, (state) => {
      const known = this.children.get(state.workflowId);
      if (known && state.sequence > known.sequence) {
        this.children.set(state.workflowId, state);
        this.publish();
        // A child's last report, as it fails or is cancelled, comes just before its end: its own
        // failure (a budget it passed, with the call that did) says more than this run's check would.
        const ending = (state.status === 'failed' || state.status === 'cancelled') && patched(Patches.OneChildReportPerStep);
        if (!ending) this.checkBudgetPassed(() => `after the child run "${state.workflowId}" reported its usage (its step: ${state.step})`);
      }
    });
    setHandler(stateQuery, () => ({ ...this.state(), pendingInputs: this.pendingInputs(), ...this.queryExtra() }));
    this.withdrawRequestsOfFailedCall = handleServerRequests(this);
    setHandler(provideInputUpdate, (input) => ({ requestId: this.deliver(input, 'update') }), {
      validator: (input) => this.validate(input),
    });
    upsertSearchAttributes([
      { key: searchAttributes.workflow, value: workflow },
      { key: searchAttributes.pattern, value: pattern },
    ]);
    this.publish();
  }

  carry(): RunControlCarry {
    // The report a step left due goes before the run continues as new.
    if (this.reportDue) this.report();
    return {
      paused: this.paused,
      usage: this.usage,
      queued: this.queued,
      requestCounter: this.requestCounter,
      ...(this.open.length > 0 && { open: this.open }),
      ...(this.reportSequence > 0 && { reportSequence: this.reportSequence }),
    };
  }

  /** Closes a request handed on by InputDeferred whose call will not go on (its turn ended). */
  dropRequest(requestId: string): void {
    const index = this.open.findIndex((r) => r.requestId === requestId);
    if (index >= 0) this.open.splice(index, 1);
    this.publish();
  }

  /** Ends the wait of an unanswered request nobody needs any more, as if its time ran out now. */
  withdrawRequest(requestId: string): void {
    const open = this.open.find((r) => r.requestId === requestId && !r.answer);
    if (open) open.withdrawn = true;
  }

  /** A tool call failed for good: what its MCP server was still asking a person is withdrawn. */
  toolCallFailed(activityId: string): void {
    this.withdrawRequestsOfFailedCall(activityId);
  }

  /**
   * Lets waits for input end early, with InputDeferred, once `when` says so: a loop that can carry
   * an open request into its next run uses it to continue as new while a person takes their time.
   */
  deferWaitsWhen(when: () => boolean): void {
    this.deferWaits = when;
  }

  status(): RunStatus {
    if (this.closedStatus) return this.closedStatus;
    if (this.paused) return 'paused';
    if (this.pendingInput()) return 'waiting_for_input';
    if (this.idle) return 'idle';
    return 'running';
  }

  /** A conversation waits for its next message. */
  setIdle(idle: boolean): void {
    this.idle = idle;
    this.publish();
  }

  /** The loop's own parts of the state: its conversation, latest answer and context budget. */
  describeWith(extra: () => Partial<Pick<RunState, 'conversation' | 'result' | 'context'>>): void {
    this.extra = extra;
  }

  /**
   * Parts of the state only the `state` query answers with (a child's reports to its parent, which
   * are signals in history, leave them out): a conversation's recently finished turns.
   */
  describeQueryWith(extra: () => Pick<RunState, 'recentTurns'>): void {
    this.queryExtra = extra;
  }

  state(): RunState {
    return {
      workflow: this.workflow,
      pattern: this.pattern,
      status: this.status(),
      step: this.step,
      iteration: this.iteration,
      pendingInput: this.pendingInput(),
      usage: this.totalUsage(),
      queuedInputs: this.queued.length,
      children: [...this.children.values()],
      ...this.extra(),
    };
  }

  /** Usage of the whole tree so far. */
  totalUsage(): RunUsage {
    return [...this.children.values()].reduce((sum, child) => addUsage(sum, child.usage), { ...this.usage });
  }

  /** Records one LLM call of this run. */
  recordLlmCall(tokens: TokenUsage): void {
    this.usage.llmCalls++;
    this.usage.inputTokens += tokens.inputTokens;
    this.usage.outputTokens += tokens.outputTokens;
    if (tokens.costUsd !== undefined) this.usage.costUsd = addCost(this.usage.costUsd, tokens.costUsd);
    this.publish();
    if (this.budget?.max_cost && tokens.costUsd === undefined && !this.warnedUnpriced) {
      this.warnedUnpriced = true;
      log.warn('A model call has no price, so max_cost does not count it: give its model a price under `pricing` in the config.', {
        call: this.lastLlmCall,
      });
    }
    this.checkBudgetPassed(() => `after the model call "${this.lastLlmCall ?? 'llm'}"`);
  }

  recordToolCall(): void {
    this.usage.toolCalls++;
    this.publish();
  }

  /** Says what the run does now, in the state query and in the Web UI. */
  setStep(step: string, iteration?: number): void {
    this.step = step;
    if (iteration !== undefined) this.iteration = iteration;
    this.publish();
  }

  /**
   * A step boundary: undefined unless paused, else a promise of the resume. Every promise made in
   * a workflow costs a stack trace (the SDK's promise hook, for the stack trace query), so the
   * common case runs no async function, and the hot boundaries (each model and tool call) go
   * `const paused = control.checkpoint(); if (paused) await paused;`, taking no microtask. Runs
   * from before QuickStepBoundaries awaited every boundary, and get a resolved promise to await
   * still: that one tick orders the commands of calls made at once (an approval's memo and timer
   * against another call's activity), and their histories replay only in that order.
   */
  checkpoint(): Promise<void> | undefined {
    if (this.paused) return this.resumed();
    return this.quickBoundaries() ? undefined : Promise.resolve();
  }

  /** Never cached: a run older than the patch answers false while it replays, and true from the task that recorded the marker. */
  quickBoundaries(): boolean {
    return patched(Patches.QuickStepBoundaries);
  }

  /**
   * The end is a step boundary too: a paused run does not complete (its in-flight calls answered,
   * nothing new started) until it is resumed, so that whoever paused it sees it paused. Runs that
   * completed while paused before this was so replay as they were recorded.
   */
  async holdCompletionWhilePaused(): Promise<void> {
    if (this.paused && patched(Patches.PauseHoldsCompletion)) await this.resumed();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Waits while the run is paused, unless `until` holds first. */
  async whilePaused(until: () => boolean): Promise<void> {
    this.holding++;
    this.showDetails();
    try {
      await condition(() => !this.paused || until());
    } finally {
      // Cancelled while held (an interrupted turn, a budget stop), the run goes on unpaused.
      this.holding--;
      this.showDetails();
    }
  }

  /**
   * The Web UI's current details: what the run does now, and what its tree has used and cost so
   * far. They are answered by a query, not kept in history, so they follow every change for free.
   */
  private showDetails(): void {
    setCurrentDetails(`${this.holding > 0 ? 'paused before: ' : ''}${this.step}\n\n${usageLine(this.totalUsage())}`);
  }

  private resumed(): Promise<void> {
    return this.whilePaused(() => false);
  }

  /** Marks the run closed so the status search attribute is right in the final history. */
  close(status: 'completed' | 'failed' | 'cancelled'): void {
    this.closedStatus = status;
    this.setStep(status);
    // Run listings read the memo, not results: the final usage goes there.
    if (patched(Patches.UsageMemo)) upsertMemo({ [USAGE_MEMO_KEY]: this.totalUsage() });
  }

  /**
   * A failed or cancelled child's last report, once delivered. Sent in the workflow task that ends
   * the run, Temporal would drop it (a closed run sends no signal), and the parent would miss the
   * usage of the calls that ended it (a budget passed, a step that failed). A completed run's
   * result carries its usage; runs from before OneChildReportPerStep end at once.
   */
  async lastReportDelivered(): Promise<void> {
    if (this.closingReport) await this.closingReport;
  }

  /** A deterministic, readable workflow ID for the next child: `<this run>/<name>-<n>`. */
  nextChildId(name: string): string {
    return `${workflowInfo().workflowId}/${name.replace(/[^\w.-]+/g, '_')}-${++this.childCounter}`;
  }

  childStarted(workflowId: string, name: string, pattern: PatternType): void {
    this.children.set(workflowId, {
      workflowId,
      workflow: name,
      pattern,
      status: 'running',
      step: 'starting',
      iteration: 0,
      usage: emptyUsage(),
      queuedInputs: 0,
      children: [],
      sequence: 0,
    });
    // A child started in the same instant as a pause must not run on.
    if (this.paused) void this.signalChild(workflowId, pauseSignal);
    this.publish();
  }

  /**
   * Once this run is cancelled its children are being cancelled too: wait (uncancellably) until
   * each has closed, so that its end is in this run's history and events, as every other child's.
   * Bounded, so that a child that does not answer its cancel cannot hold the parent open.
   */
  async childrenClosed(): Promise<void> {
    if (this.children.size === 0) return;
    await CancellationScope.nonCancellable(() =>
      condition(() => this.children.size === 0, CHILD_CANCEL_GRACE, {
        summary: `waiting for ${this.children.size} cancelled child run(s) to close`,
      }),
    );
  }

  /** The child's final usage (from its result when it has one) joins this run's own. */
  childFinished(workflowId: string, usage?: RunUsage): void {
    const child = this.children.get(workflowId);
    this.children.delete(workflowId);
    // Its requests can come up no more.
    const prefix = `${workflowId}${CHILD_REQUEST_SEPARATOR}`;
    for (const seen of [this.childRequestsAnnounced, this.childRequestsAnswered]) {
      for (const requestId of seen) if (requestId.startsWith(prefix)) seen.delete(requestId);
    }
    const final = usage ?? child?.usage;
    if (final) Object.assign(this.usage, addUsage(this.usage, final));
    this.publish();
    this.checkBudgetPassed(() => `after the child run "${workflowId}" ended`);
  }

  /**
   * Once the run tree has gone over budget: the BudgetExceeded failure the run ends with
   * (runToCompletion throws it, whatever the body threw meanwhile).
   */
  budgetExceeded(): ApplicationFailure | undefined {
    return this.overBudget;
  }

  /**
   * The budget a child starts with: this run's limits, with what this run's tree has spent so far
   * counted as spent before it, or the child's own (`own`) where tighter. Undefined: no budget.
   */
  budgetForChild(own?: RunBudget): RunBudget | undefined {
    return childBudget(this.budget, this.totalUsage(), own);
  }

  /** Before a child run starts: like a model call, refused once the budget is spent. */
  beforeChild(name: string): void {
    this.refuseWhenUsedUp(`refused to start the child run "${name}"`);
  }

  /**
   * A child failed. When it failed over budget (its own, or one it inherited), so does this run,
   * with the same error: the rest of the tree is cancelled.
   */
  childFailed(error: unknown): void {
    // A run being cancelled ends cancelled, whatever its children say.
    if (this.overBudget || this.rootScope.consideredCancelled) return;
    const failure = budgetFailureIn(error);
    if (failure) this.stopOverBudget(failure.message, failure.details ?? undefined);
  }

  private beforeLlmCall(summary: string): void {
    this.lastLlmCall = summary;
    this.refuseWhenUsedUp(`refused the model call "${summary}"`);
  }

  /** Throws BudgetExceeded when the tree has spent a limit (or already went over). */
  private refuseWhenUsedUp(what: string): void {
    if (!this.budget || (this.rootScope.consideredCancelled && !this.overBudget)) return;
    if (this.overBudget) throw this.overBudget;
    const breach = budgetBreach(this.budget, this.totalUsage(), 'used_up');
    if (breach) throw this.stopOverBudget(budgetMessage(breach, what, workflowInfo().workflowId), breachDetails(breach, what));
  }

  /** After usage is counted: once the tree has passed a limit, the run stops. */
  private checkBudgetPassed(what: () => string): void {
    if (!this.budget || this.overBudget || this.rootScope.consideredCancelled) return;
    const breach = budgetBreach(this.budget, this.totalUsage(), 'passed');
    if (breach) {
      const said = what();
      this.stopOverBudget(budgetMessage(breach, said, workflowInfo().workflowId), breachDetails(breach, said));
    }
  }

  /**
   * Records the failure and cancels the workflow's root scope: whatever the run awaits (an
   * activity, a child, a wait for input or a message) ends now, children are cancelled, and
   * runToCompletion fails the run with this failure instead of cancelling it.
   */
  private stopOverBudget(message: string, details: unknown[] = []): ApplicationFailure {
    this.overBudget = ApplicationFailure.create({ type: FailureTypes.BudgetExceeded, message, nonRetryable: true, details });
    log.warn(message);
    this.rootScope.cancel();
    return this.overBudget;
  }

  /**
   * Asks a person for input and waits until it comes or `timeoutSeconds` pass. Input that arrived
   * early by signal (queued) answers at once.
   */
  async requestInput(
    request: Omit<PendingInput, 'requestId'>,
    timeoutSeconds: number,
    /** A request the previous run left open (see InputDeferred), to wait on again. */
    resume?: string,
    /**
     * deferrable: false for a wait that cannot move to the next run (an MCP server's request in a
     * tool call); onRequested learns the request's id, for withdrawRequest.
     */
    options: { deferrable?: boolean; onRequested?: (requestId: string) => void } = {},
  ): Promise<InputOutcome> {
    const deferrable = options.deferrable ?? true;
    let open = resume === undefined ? undefined : this.open.find((r) => r.requestId === resume);
    if (!open) {
      open = { ...request, requestId: `${request.kind}-${++this.requestCounter}`, deadline: Date.now() + timeoutSeconds * 1000 };
      this.open.push(open);
      this.mark({ state: 'requested', ...pendingView(open) });
    }
    const waiting = open;
    options.onRequested?.(waiting.requestId);
    const early = this.queued.findIndex((q) => q.requestId === undefined || q.requestId === waiting.requestId);
    if (!waiting.answer && early >= 0 && acceptable(waiting, this.queued[early].value)) {
      const [input] = this.queued.splice(early, 1);
      this.answer(waiting, input.value, input.via ?? 'signal');
    }
    this.publish();
    let deferred = false;
    try {
      const remaining = waiting.deadline - Date.now();
      if (!waiting.answer && remaining > 0) {
        await condition(() => waiting.answer !== undefined || waiting.withdrawn === true || (deferrable && this.deferWaits()), remaining, { summary: waitSummary(waiting) });
      }
      if (waiting.answer) return { answered: true, value: waiting.answer.value };
      deferred = deferrable && !waiting.withdrawn && Date.now() < waiting.deadline;
      if (deferred) throw new InputDeferred(waiting.requestId);
      this.mark({ state: 'timed_out', requestId: waiting.requestId });
      return { answered: false };
    } finally {
      if (!deferred) {
        this.open.splice(this.open.indexOf(waiting), 1);
        this.publish();
      }
    }
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    for (const child of this.children.keys()) void this.signalChild(child, paused ? pauseSignal : resumeSignal);
    this.publish();
  }

  private pendingInput(): PendingInput | undefined {
    const own = this.open.find((r) => !r.answer);
    return own ? pendingView(own) : this.childRequests()[0];
  }

  /**
   * Every request this run waits on, for the `state` query: its own, then its children's, less
   * those it has delivered an answer to that their child has not yet reported taken.
   */
  private pendingInputs(): PendingInput[] {
    const children = this.childRequests().filter((r) => !this.childRequestsAnswered.has(r.requestId));
    return [...this.open.filter((r) => !r.answer).map(pendingView), ...children];
  }

  /** What the running children ask, in the order they started, each under its id in this run. */
  private childRequests(): PendingInput[] {
    return [...this.children.values()].flatMap((child) =>
      child.pendingInput
        ? [{ ...child.pendingInput, requestId: `${child.workflowId}${CHILD_REQUEST_SEPARATOR}${child.pendingInput.requestId}` }]
        : [],
    );
  }

  /**
   * Delivers input to its request, here or in a child; queues it when nothing asks yet. An approval
   * that is not {approved, reason?} never gets here by Update (the validator refuses it); by
   * signal it is logged and dropped, and the request stays pending.
   */
  private deliver(input: HumanInput, via: InputVia): string {
    const target = this.findTarget(input.requestId);
    if (target && 'child' in target) {
      void this.signalChild(target.child.workflowId, humanInputSignal, {
        requestId: target.request.requestId,
        value: input.value,
      });
      const requestId = `${target.child.workflowId}${CHILD_REQUEST_SEPARATOR}${target.request.requestId}`;
      this.childRequestsAnswered.add(requestId);
      this.mark({ state: 'answered', requestId, via });
      return requestId;
    }
    if (!target) {
      this.queued.push({ ...input, via });
      this.publish();
      return input.requestId ?? 'queued';
    }
    if (!acceptable(target.own, input.value)) {
      log.warn(`Input for ${target.own.kind} "${target.own.requestId}" was not ${expectedAnswer(target.own)}; it was not used.`, {
        value: input.value,
      });
      return target.own.requestId;
    }
    this.answer(target.own, input.value, via);
    this.publish();
    return target.own.requestId;
  }

  private answer(request: OpenRequest, value: unknown, via: InputVia): void {
    request.answer = { value, via };
    this.mark({ state: 'answered', requestId: request.requestId, via });
  }

  /** An input request's progress, recorded in history for the live events. */
  private mark(marker: RequestMarker): void {
    if (patched(Patches.InputRequestMarkers)) upsertMemo({ [REQUEST_MEMO_KEY]: marker });
  }

  private validate(input: HumanInput): void {
    if (!this.pendingInput()) {
      throw ApplicationFailure.create({ type: InputRejection.NothingPending, message: 'The run is not waiting for input.' });
    }
    const target = this.findTarget(input.requestId);
    if (!target) {
      throw ApplicationFailure.create({
        type: InputRejection.WrongRequest,
        message: `No pending request has id "${input.requestId}".`,
        details: [{ pending: this.pendingInput()?.requestId }],
      });
    }
    if ('child' in target) {
      // Delivered already, and the child has not yet said it took it: a second answer would reach
      // the child as input nobody asked for. (A validator writes no history, so runs replay as before.)
      const requestId = `${target.child.workflowId}${CHILD_REQUEST_SEPARATOR}${target.request.requestId}`;
      if (this.childRequestsAnswered.has(requestId)) {
        throw ApplicationFailure.create({ type: InputRejection.WrongRequest, message: `Request "${requestId}" has already been answered.` });
      }
    }
    const request = 'own' in target ? target.own : target.request;
    if (!acceptable(request, input.value)) {
      throw ApplicationFailure.create({
        type: InputRejection.InvalidValue,
        message: invalidAnswerMessage(request, input.value),
      });
    }
  }

  private findTarget(requestId: string | undefined): InputTarget | undefined {
    const waiting = this.open.filter((r) => !r.answer);
    if (requestId === undefined) {
      if (waiting[0]) return { own: waiting[0] };
      const child = [...this.children.values()].find((c) => c.pendingInput);
      return child?.pendingInput && { child, request: child.pendingInput };
    }
    const own = waiting.find((r) => r.requestId === requestId);
    if (own) return { own };
    const cut = requestId.indexOf(CHILD_REQUEST_SEPARATOR);
    if (cut < 0) return undefined;
    const child = this.children.get(requestId.slice(0, cut));
    const inner = requestId.slice(cut + CHILD_REQUEST_SEPARATOR.length);
    // The child's own pending request, or one deeper down that it shows under its own prefix.
    return child?.pendingInput?.requestId === inner ? { child, request: child.pendingInput } : undefined;
  }

  /** Fire and forget: a child that has just closed cannot take signals, and that is fine. */
  private async signalChild(workflowId: string, signal: typeof pauseSignal | typeof resumeSignal): Promise<void>;
  private async signalChild(workflowId: string, signal: typeof humanInputSignal, input: HumanInput): Promise<void>;
  private async signalChild(
    workflowId: string,
    signal: typeof pauseSignal | typeof resumeSignal | typeof humanInputSignal,
    input?: HumanInput,
  ): Promise<void> {
    const child = getExternalWorkflowHandle(workflowId);
    try {
      if (input === undefined) await child.signal(signal as typeof pauseSignal | typeof resumeSignal);
      else await child.signal(signal as typeof humanInputSignal, input);
    } catch {
      // The child closed before the signal reached it.
    }
  }

  /**
   * Each child's request is announced here too, once, as it appears (even while this run waits on
   * its own), so that this run's events show every question of its children while it can be
   * answered. Runs recorded before that announced only the child request that became this run's
   * pending one: with two children asking at once, the second's question went unannounced until
   * the first was answered, or came after its own answer. Where the ways differ, those runs replay
   * as they were recorded: AnnounceEveryChildRequest announced each child's request as it appeared
   * but none while this run waited on its own, which AnnounceChildRequestsWhileOwnWait added.
   */
  private announceChildRequests(): void {
    const fresh = this.childRequests().filter((r) => !this.childRequestsAnnounced.has(r.requestId) && !this.childRequestsAnswered.has(r.requestId));
    let announce: PendingInput[];
    if (this.open.some((r) => !r.answer)) {
      // The ways before announced no child's request now.
      announce = fresh.length > 0 && patched(Patches.AnnounceChildRequestsWhileOwnWait) ? fresh : [];
    } else {
      // The first way: the child request that becomes the pending one.
      const pending = this.pendingInput();
      const before = pending && pending.requestId !== this.announcedChildRequest ? [pending] : [];
      this.announcedChildRequest = pending?.requestId;
      const same = fresh.length === before.length && fresh.every((r, i) => r.requestId === before[i].requestId);
      announce = same || !patched(Patches.AnnounceEveryChildRequest) ? before : fresh;
    }
    for (const request of announce) {
      this.childRequestsAnnounced.add(request.requestId);
      this.mark({ state: 'requested', ...request });
    }
  }

  /** Keeps the status search attribute current and, in a child, tells the parent. */
  private publish(): void {
    this.showDetails();
    this.announceChildRequests();
    const status = this.status();
    if (status !== this.lastStatus) {
      this.lastStatus = status;
      upsertSearchAttributes([{ key: searchAttributes.status, value: status }]);
    }
    if (!workflowInfo().parent) return;
    // The last report, as the run closes, goes at once: before the workflow's result.
    if (this.reportsPerStep && this.closedStatus === undefined) this.reportDue = true;
    else this.report();
  }

  /**
   * A step changes several things at once (a model call's usage, the step that follows it, a
   * request): one report for them all, sent once the step's code has run (Temporal evaluates
   * conditions only when the workflow's code has nothing left to do), rather than one for each,
   * cuts a child's reports from four a tool turn to two, each a signal event in both histories and
   * a workflow task of the parent. Runs from before OneChildReportPerStep reported every change.
   */
  private async reportEachStep(): Promise<never> {
    for (;;) {
      await condition(() => this.reportDue);
      try {
        this.report();
      } catch (error) {
        // A report that cannot be made (a tool loop's face that throws) must not end this loop,
        // which would leave the run's workflow task failing forever: the parent hears less.
        log.error('A state report to the parent run could not be made', { error });
      }
    }
  }

  /** Tells the parent this run's state, unless it is what the parent last heard. */
  private report(): void {
    this.reportDue = false;
    const parent = workflowInfo().parent!;
    const state = this.state();
    const text = JSON.stringify(state);
    if (text === this.lastReport) return;
    this.lastReport = text;
    const report: ChildRunState = { ...state, workflowId: workflowInfo().workflowId, sequence: ++this.reportSequence };
    const send = () => getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(childStateSignal, report);
    // A cancelled run (cancelled, or stopped over budget) still tells its parent how it ended: the
    // usage of the call that broke the budget is in no report sent before.
    const cancelled = this.reportsPerStep && CancellationScope.current().consideredCancelled;
    const sent = (cancelled ? CancellationScope.nonCancellable(send) : send()).catch(() => undefined);
    if (this.reportsPerStep && this.closedStatus !== undefined && this.closedStatus !== 'completed') this.closingReport = sent;
  }
}

/** A BudgetExceeded failure anywhere in `error`'s cause chain (a child's failure wraps its run's). */
function budgetFailureIn(error: unknown): ApplicationFailure | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 20; current = current.cause, depth++) {
    if (current instanceof ApplicationFailure && current.type === FailureTypes.BudgetExceeded) return current;
  }
  return undefined;
}

function breachDetails(breach: BudgetBreach, what: string): unknown[] {
  return [{ limit: breach.key, value: breach.limit.limit, setBy: breach.limit.set_by, spent: breach.spent, at: what }];
}

function isHumanInput(input: unknown): input is HumanInput {
  if (typeof input !== 'object' || input === null || !('value' in input)) return false;
  const { requestId } = input as { requestId?: unknown };
  return requestId === undefined || typeof requestId === 'string';
}

function acceptable(request: PendingInput, value: unknown): boolean {
  if (request.kind === 'elicitation') return elicitationAnswerProblem(request.schema, value) === undefined;
  return request.kind !== 'approval' || approvalDecisionSchema.safeParse(value).success;
}

function expectedAnswer(request: PendingInput): string {
  return request.kind === 'elicitation'
    ? '{"action": "accept" | "decline" | "cancel", "content"?: {...}} matching its schema'
    : '{"approved": true|false, "reason"?: "..."}';
}

function invalidAnswerMessage(request: PendingInput, value: unknown): string {
  if (request.kind === 'elicitation') {
    return `Request "${request.requestId}" is an elicitation: ${elicitationAnswerProblem(request.schema, value)}.`;
  }
  return `Request "${request.requestId}" asks for approval: send {"approved": true|false, "reason"?: "..."}.`;
}

function pendingView(request: PendingInput): PendingInput {
  const { requestId, kind, prompt, tool, args, schema } = request;
  return {
    requestId,
    kind,
    prompt,
    ...(tool !== undefined && { tool }),
    ...(args !== undefined && { args }),
    ...(schema !== undefined && { schema }),
  };
}

/** What the Web UI shows on a wait's timer. */
function waitSummary(request: PendingInput): string {
  if (request.kind === 'approval') return `waiting for approval of ${request.tool ?? 'a tool call'}`;
  if (request.kind === 'elicitation') return `waiting for an answer to ${request.tool ?? 'an MCP server'}: ${request.prompt.slice(0, 60)}`;
  const prompt = request.prompt.length > 80 ? `${request.prompt.slice(0, 79)}…` : request.prompt;
  return `waiting for input: ${prompt}`;
}
