import { createHash, randomUUID } from 'node:crypto';
import {
  isGrpcCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
  QueryNotRegisteredError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowExecutionInfo,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import { isRecord } from '../src/config/values';
import type { RunSpec, WorkflowInput } from '../src/spec/schema';
import type { LogPosition } from '../src/conversation/entry';
import {
  closeSignal,
  InputRejection,
  MessageRejection,
  pauseSignal,
  provideInputUpdate,
  resumeSignal,
  searchAttributes,
  sendMessageUpdate,
  stateQuery,
  transcriptQuery,
  USAGE_MEMO_KEY,
  type ConversationMessage,
  type HumanInput,
  type MessageReceipt,
  type RunState,
} from '../workflows/definitions';
import {
  IdempotencyKeyReusedError,
  InputRejectedError,
  MessageRejectedError,
  NoTranscriptError,
  RunClosedError,
  RunIdInUseError,
  RunNotFoundError,
  WorkerUnavailableError,
  WorkflowTaskFailingError,
  type InputRejectionCode,
  type MessageRejectionCode,
} from './run-errors';
import { cancelReason } from './run-events';
import { resolveStoredPayloads } from './run-event-stream';
import { retryingActivity } from './retrying';
import { readWorkflowTaskFailure, refusesUpdates, workflowTaskFailure } from './workflow-task';
import { inputMemo, memoInput, runDetails, runSummary } from './run-metadata';
import {
  buildRun,
  isClosedExecution,
  isClosedRunStatus,
  runStatus,
  turnAnswer,
  type Run,
  type RunFacts,
  type RunLinkBase,
  type RunOutcome,
  type RunViewStatus,
  type TurnAnswer,
  type WorkflowTaskFailing,
} from './run-view';

/**
 * Run operations over the Temporal client, each answering with a Run (contract section 6). A
 * run's id is its workflow ID; handles carry no run ID, so a continued-as-new chain is followed to
 * its latest execution.
 *
 * Where a Run's parts come from:
 * - status, times, workflow and pattern: `describe()` (or the visibility listing) and the McpAgent*
 *   search attributes; for an open run the `state` query refines the status and adds pendingInput
 *   and usage.
 * - input: the memo when the run started with a small input (see MEMO_INPUT_MAX_BYTES), else the
 *   first history event of the chain's first execution.
 * - result and error: `handle.result()` of a closed run; usage of a closed run from its result,
 *   or from the query (a replay on a worker) when the result has none.
 */

export interface RunsClientOptions {
  client: Client;
  taskQueue: string;
  /** Base of the Web UI links. */
  uiUrl: string;
  /** How long a `state` query may wait for a worker before the Run is built without it. */
  queryTimeoutMs?: number;
  /** How long delivering input may wait for a worker. */
  updateTimeoutMs?: number;
}

export interface StartRunRequest {
  /** Config workflow name, or the pattern type of an ad-hoc run. */
  name: string;
  workflowType: string;
  spec: RunSpec;
  input: unknown;
  /** The workflow ID to use; default `<name>-<uuid>`. */
  id?: string;
}

export interface StartedRun {
  run: Run;
  /** False when an identical earlier start already made this run. */
  created: boolean;
}

export interface RunListFilter {
  status?: RunViewStatus;
  workflow?: string;
  limit: number;
}

const LIST_PAGE_SIZE = 100;
/** Runs a listing asks about at once (a query or a result each): a long listing must not crowd out the workers' own work. */
const LIST_CONCURRENCY = 16;
/** How far back from a cancelled run's end its cancel request is looked for: past its children's and calls' cancellations. */
const CANCEL_REASON_EVENTS = 100;

/** Visibility's names for closed execution statuses. */
const executionStatusByRunStatus: Partial<Record<RunViewStatus, string>> = {
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  timed_out: 'TimedOut',
};

const messageRejectionCodes: Record<string, MessageRejectionCode> = {
  [MessageRejection.NotAConversation]: 'not_a_conversation',
  [MessageRejection.Busy]: 'run_busy',
  [MessageRejection.Closing]: 'run_closing',
  [MessageRejection.InvalidMessage]: 'invalid_message',
};

/** How often a wait for a conversation's turn (or a run's answer) asks the run again, growing from the first to the last. */
const TURN_POLL_MS = { first: 100, last: 500 };

const rejectionCodes: Record<string, InputRejectionCode> = {
  [InputRejection.NothingPending]: 'nothing_pending',
  [InputRejection.WrongRequest]: 'wrong_request_id',
  [InputRejection.InvalidValue]: 'invalid_value',
};

/**
 * A string literal for a visibility query. The store matches neither quotes nor backslashes
 * literally (it drops quotes at a literal's ends), so a value with one cannot be asked for; the
 * API refuses it with 400 before this, and a library caller gets this error rather than a query
 * that means something else.
 */
function visibilityLiteral(value: string): string {
  if (!quotable(value)) throw new RangeError(`cannot list runs of "${value}": a workflow filter cannot hold quotes or backslashes`);
  return `'${value}'`;
}

/** Whether a visibility query can ask for the value (see visibilityLiteral). */
function quotable(value: string): boolean {
  return !/['"\\]/.test(value);
}

/** The visibility query for the executions that came before the latest ones of these runs. */
export function earlierExecutionsQuery(workflowIds: readonly string[]): string {
  return `ExecutionStatus = 'ContinuedAsNew' AND WorkflowId IN (${workflowIds.map(visibilityLiteral).join(', ')})`;
}

/**
 * The visibility query for a listing: our runs only, each continued-as-new chain once, and no
 * children of composed runs (they show in their parent's state).
 */
export function listQuery(filter: Omit<RunListFilter, 'limit'>): string {
  const clauses = [
    `${searchAttributes.workflow.name} IS NOT NULL`,
    `ExecutionStatus != 'ContinuedAsNew'`,
    'ParentWorkflowId IS NULL',
  ];
  if (filter.workflow !== undefined) clauses.push(`${searchAttributes.workflow.name} = ${visibilityLiteral(filter.workflow)}`);
  if (filter.status !== undefined) {
    const closed = executionStatusByRunStatus[filter.status];
    clauses.push(
      closed
        ? `ExecutionStatus = '${closed}'`
        : `ExecutionStatus = 'Running' AND ${searchAttributes.status.name} = '${filter.status}'`,
    );
  }
  return clauses.join(' AND ');
}

/** Keys sorted at every level, so equal values compare equal whatever order their keys came in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

/** A message's digest: equal inputs have the same one, whatever order their keys came in. */
function messageDigest(input: unknown): string {
  // Of {input}, which is JSON text even when input is undefined (a message the run refuses).
  return createHash('sha256').update(canonicalJson({ input })).digest('hex');
}

type ExecutionInfo = Pick<
  WorkflowExecutionInfo,
  'workflowId' | 'runId' | 'type' | 'status' | 'startTime' | 'closeTime' | 'memo' | 'typedSearchAttributes'
> & {
  /** Undefined when not known: a listing holds none (see RunsClient.firstExecutions). */
  firstRunId?: string;
  /** When the chain's first execution started, when a listing already knows. */
  firstStartTime?: Date;
  retrying?: RunFacts['retrying'];
  /** The pending workflow task, whose attempt says whether it keeps failing. */
  pendingWorkflowTask?: temporal.api.workflow.v1.IPendingWorkflowTaskInfo;
  workflowTaskFailing?: WorkflowTaskFailing;
};

/**
 * How every run starts: an id never reused, the input in the memo when small, the search
 * attributes that filter runs, and the Web UI's summary and details.
 */
export function startOptions(request: StartRunRequest, workflowId: string, taskQueue: string) {
  // The input first: the Web UI shows the argument as JSON, and what the run was asked matters most.
  const args: WorkflowInput = { input: request.input, name: request.name, spec: request.spec };
  return {
    taskQueue,
    workflowId,
    args: [args],
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    memo: inputMemo(request.input),
    typedSearchAttributes: [
      { key: searchAttributes.workflow, value: request.name },
      { key: searchAttributes.pattern, value: request.spec.type },
      { key: searchAttributes.status, value: 'running' },
    ],
    staticSummary: runSummary(request.name, request.input),
    staticDetails: runDetails(request.spec),
  } satisfies WorkflowStartOptions<(input: WorkflowInput) => Promise<unknown>>;
}

const GRPC_NOT_FOUND = 5;

export class RunsClient {
  private readonly client: Client;
  private readonly taskQueue: string;
  private readonly links: RunLinkBase;
  private readonly queryTimeoutMs: number;
  private readonly updateTimeoutMs: number;

  constructor(options: RunsClientOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue;
    this.links = { uiUrl: options.uiUrl, namespace: options.client.options.namespace };
    this.queryTimeoutMs = options.queryTimeoutMs ?? 3000;
    this.updateTimeoutMs = options.updateTimeoutMs ?? 10_000;
  }

  /**
   * Starts a run. An id that is taken, by an open or a closed run, is idempotent when that run has
   * the same workflow, input and resolved spec (the existing run comes back, `created: false`), and
   * a conflict otherwise.
   */
  async start(request: StartRunRequest): Promise<StartedRun> {
    const workflowId = request.id ?? `${request.name}-${randomUUID()}`;
    try {
      await this.client.workflow.start(request.workflowType, startOptions(request, workflowId, this.taskQueue));
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const existing = await this.view(workflowId, { query: false });
      const same =
        existing.workflow === request.name &&
        canonicalJson(existing.input) === canonicalJson(request.input) &&
        canonicalJson(await this.recordedSpec(workflowId)) === canonicalJson(request.spec);
      if (!same) throw new RunIdInUseError(workflowId);
      return { run: existing, created: false };
    }
    return { run: await this.view(workflowId, { query: false }), created: true };
  }

  /** The spec the run started with, as its first execution recorded it (the Run does not show it). */
  private async recordedSpec(workflowId: string): Promise<unknown> {
    const info = await this.describe(this.client.workflow.getHandle(workflowId));
    const argument = await this.startArgument(workflowId, info.firstRunId ?? info.runId);
    return isRecord(argument) ? argument.spec : undefined;
  }

  get(runId: string): Promise<Run> {
    return this.view(runId, { query: true });
  }

  /**
   * Runs in Temporal's order, open runs first (latest started first, by the start of a run's
   * latest execution), then closed ones (latest closed first), each as `get` shows it: an open run's live state (its pending input, usage and
   * step; none when no worker answers in time, as for `get`), what is being retried and whether its
   * workflow task keeps failing, a closed run's result or error. One call per run beside the
   * listing, all at once (LIST_CONCURRENCY at a time), and one query for the runs' earlier
   * executions (see firstExecutions); an open run whose workflow task keeps failing costs one
   * more, a short read of its history's end, as for `get`.
   */
  async list(filter: RunListFilter): Promise<Run[]> {
    const infos: ExecutionInfo[] = [];
    const listing = this.client.workflow.list({ query: listQuery(filter), pageSize: Math.min(filter.limit, LIST_PAGE_SIZE) });
    for await (const info of listing) {
      if (infos.length >= filter.limit) break;
      infos.push(info);
    }
    const firsts = await this.firstExecutions(infos);
    const runs = await mapLimited(infos, LIST_CONCURRENCY, async (listed) => {
      const info = { ...listed, ...firsts.get(listed.runId) };
      const handle = this.client.workflow.getHandle(info.workflowId, info.runId);
      try {
        if (isClosedExecution(info.status.name)) return buildRun(await this.facts(info, { state: undefined, outcome: await this.outcome(handle) }), this.links);
        // Listings hold no pending activities or workflow task: an open run is described to say
        // what is being retried, and whether its workflow task keeps failing.
        const [live, state] = await Promise.all([this.liveOf(info.workflowId), this.queryState(handle)]);
        return buildRun(await this.facts({ ...info, ...live }, { state, outcome: undefined }), this.links);
      } catch (error) {
        // Removed (retention) since visibility listed it: not a run any more.
        if (error instanceof WorkflowNotFoundError || error instanceof RunNotFoundError) return undefined;
        throw error;
      }
    });
    return runs.filter((run): run is Run => run !== undefined);
  }

  /**
   * The first execution of each listed run (by run id), for its start and its input: visibility
   * holds no firstRunId, so one query per LIST_PAGE_SIZE runs asks which have earlier executions
   * (few: a chain continues as new past megabytes of history) rather than a describe per run. A
   * run that has some is left out, for `facts` to describe: an earlier execution of the same id may
   * be another chain's (an id reused by a client that allows it), which only the run itself knows.
   * A run missing here otherwise had none, or has an id the query cannot hold.
   */
  private async firstExecutions(infos: readonly ExecutionInfo[]): Promise<Map<string, Pick<ExecutionInfo, 'firstRunId' | 'firstStartTime'>>> {
    const quoted = infos.filter((info) => quotable(info.workflowId));
    const continued = new Set<string>();
    const ids = [...new Set(quoted.map((info) => info.workflowId))];
    for (let start = 0; start < ids.length; start += LIST_PAGE_SIZE) {
      const query = earlierExecutionsQuery(ids.slice(start, start + LIST_PAGE_SIZE));
      for await (const earlier of this.client.workflow.list({ query, pageSize: LIST_PAGE_SIZE })) {
        for (const info of quoted) if (info.workflowId === earlier.workflowId && earlier.startTime < info.startTime) continued.add(info.runId);
      }
    }
    return new Map(
      quoted.filter((info) => !continued.has(info.runId)).map((info) => [info.runId, { firstRunId: info.runId, firstStartTime: info.startTime }]),
    );
  }

  private async liveOf(workflowId: string): Promise<Pick<RunFacts, 'retrying' | 'workflowTaskFailing'>> {
    try {
      const info = await this.withWorkflowTaskFailure(await this.describe(this.client.workflow.getHandle(workflowId)));
      return { retrying: info.retrying, workflowTaskFailing: info.workflowTaskFailing };
    } catch (error) {
      // Gone since it was listed: nothing is being retried.
      if (error instanceof RunNotFoundError) return {};
      throw error;
    }
  }

  /**
   * The run once it closes or `waitSeconds` pass, whichever is first. The wait is an aborted long
   * poll, not a timer beside one, so nothing keeps polling after the caller has its answer.
   */
  async waitForClose(runId: string, waitSeconds: number): Promise<Run> {
    const handle = this.client.workflow.getHandle(runId);
    const info = await this.describe(handle);
    if (!isClosedExecution(info.status.name) && waitSeconds > 0) {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), waitSeconds * 1000);
      try {
        await this.client.withAbortSignal(abort.signal, () => handle.result());
      } catch {
        // Closed with a failure, or the wait ran out: the view below says which.
      } finally {
        clearTimeout(timer);
      }
    }
    return this.get(runId);
  }

  async pause(runId: string): Promise<Run> {
    await this.whileOpen(runId, (handle) => handle.signal(pauseSignal));
    return this.get(runId);
  }

  async resume(runId: string): Promise<Run> {
    await this.whileOpen(runId, (handle) => handle.signal(resumeSignal));
    return this.get(runId);
  }

  /**
   * Cancels the run; `reason` goes into its history, where its `cancelled` event reads it. Without
   * one Temporal's error would say only "Workflow canceled"; a default keeps the Run's error
   * `Cancelled: <reason>`, as a cancel through the API or the MCP server gives.
   */
  async cancel(runId: string, reason?: string): Promise<Run> {
    const why = reason?.trim() ? reason : 'cancelled through the client';
    await this.whileOpen(runId, async (handle) => {
      try {
        // The handle's cancel() takes no reason; the service's request does.
        await this.client.workflowService.requestCancelWorkflowExecution({
          namespace: this.client.options.namespace,
          identity: this.client.options.identity,
          requestId: randomUUID(),
          workflowExecution: { workflowId: handle.workflowId },
          reason: why,
        });
      } catch (error) {
        if (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND) {
          throw new WorkflowNotFoundError(error.details, handle.workflowId, undefined);
        }
        throw error;
      }
    });
    return this.get(runId);
  }

  /** Delivers input through the `provide_input` Update, so a refusal comes back as an answer. */
  async provideInput(runId: string, input: HumanInput): Promise<Run> {
    const args: HumanInput = { value: input.value, ...(input.requestId !== undefined && { requestId: input.requestId }) };
    await this.whileOpen(runId, async (handle) => {
      try {
        await this.client.withDeadline(Date.now() + this.updateTimeoutMs, () =>
          handle.executeUpdate(provideInputUpdate, { args: [args] }),
        );
      } catch (error) {
        throw await this.updateError(runId, error, 'input');
      }
    }, { update: 'input' });
    return this.get(runId);
  }

  /**
   * Delivers a conversation message through the `send_message` Update, so that a refusal (not a
   * conversation, busy under `reject`, closing) comes back as an answer. Says which turn the
   * message starts or waits for.
   *
   * `messageId` makes sending again safe: it is the Update's id, and Temporal takes one Update id
   * once per execution, answering a repeat with the first one's turn (or waiting on it while it is
   * still being delivered), so a retry after a 503 is never a second message. A conversation that
   * continues as new hands on its latest 100 ids, and answers a repeat of one alike. A repeat is
   * answered without looking at what it carries, so the message goes with its digest, which the
   * reply echoes: a reply with another digest is a different message's, and this one was never
   * delivered.
   */
  async sendMessage(runId: string, input: unknown, options: { messageId?: string } = {}): Promise<{ run: Run; turn: number }> {
    const key = options.messageId;
    const message: ConversationMessage = { input, ...(key && { digest: messageDigest(input) }) };
    let turn = 0;
    await this.whileOpen(runId, async (handle) => {
      let receipt: MessageReceipt;
      try {
        receipt = await this.client.withDeadline(Date.now() + this.updateTimeoutMs, () =>
          handle.executeUpdate(sendMessageUpdate, { args: [message], ...(key && { updateId: key }) }),
        );
      } catch (error) {
        throw await this.messageError(runId, error);
      }
      // A worker on code from before digests answers without one: such a repeat cannot be checked.
      if (key && receipt.digest !== undefined && receipt.digest !== message.digest) throw new IdempotencyKeyReusedError(runId, key);
      turn = receipt.turn;
    }, { update: 'message' });
    return { run: await this.get(runId), turn };
  }

  /**
   * The run once its conversation has finished `turn` (or the run has closed), with that turn's own
   * outcome and answer as `answer` (the Run's `result` is the latest answer, which a later turn may
   * already have replaced); or as it is once the run waits for a person (input, an approval, an
   * elicitation: the turn cannot finish before someone answers), or when `waitSeconds` pass. The
   * run's `state` query says how far it is; it is asked again, more slowly as the wait goes on.
   * `answer` is missing only when the run no longer remembers the turn (RECENT_TURNS later turns
   * have finished, or it continued as new since), or when the run closed before the turn finished.
   */
  async waitForTurn(runId: string, turn: number, waitSeconds: number): Promise<{ run: Run; finished: boolean; answer?: TurnAnswer }> {
    return this.poll(runId, waitSeconds, async (run, state) => {
      const closed = isClosedRunStatus(run.status);
      // The workflow task that finished the turn also closed the run (a turn that passed the budget
      // fails it), and Temporal had not said so when the run was described: the closed Run, with its
      // error, is a moment away, and the turn's reply must not say the run goes on.
      if (!closed && state && isClosedRunStatus(state.status)) return undefined;
      if (!closed && (run.conversation?.finishedTurns ?? 0) < turn) {
        return run.status === 'waiting_for_input' ? { run, finished: false } : undefined;
      }
      // A closed run's Run is built without the query when its result has the usage: ask it now.
      const answer = turnAnswer(closed && !state ? await this.queryState(this.client.workflow.getHandle(runId)) : state, turn);
      return { run, finished: true, ...(answer && { answer }) };
    }, (run) => ({ run, finished: false }));
  }

  /**
   * The run once it has answered its input: closed, or (a conversation) idle; or as it is once it
   * waits for a person, or when `waitSeconds` pass. For waits on a new run (the MCP tool
   * `workflows-run`), which a conversation would otherwise hold until it closes, maybe a day later.
   */
  async waitForAnswer(runId: string, waitSeconds: number): Promise<Run> {
    return this.poll(
      runId,
      waitSeconds,
      async (run) => (isClosedRunStatus(run.status) || run.status === 'idle' || run.status === 'waiting_for_input' ? run : undefined),
      (run) => run,
    );
  }

  /** Asks for the run until `done` has an answer or `waitSeconds` pass (then `timedOut`), more slowly as the wait goes on. */
  private async poll<T>(
    runId: string,
    waitSeconds: number,
    done: (run: Run, state: RunState | undefined) => Promise<T | undefined>,
    timedOut: (run: Run) => T,
  ): Promise<T> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (let pause = TURN_POLL_MS.first; ; pause = Math.min(pause * 2, TURN_POLL_MS.last)) {
      const { run, state } = await this.observe(runId);
      const answer = await done(run, state);
      if (answer !== undefined) return answer;
      if (Date.now() + pause > deadline) return timedOut(run);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** Asks a conversation to complete once its running turn and queued messages are answered. */
  async close(runId: string): Promise<Run> {
    await this.whileOpen(runId, async (handle) => {
      const state = await this.queryState(handle);
      if (state && !state.conversation) {
        throw new MessageRejectedError('not_a_conversation', `Run "${runId}" is not a conversation; cancel it to stop it.`);
      }
      await handle.signal(closeSignal);
    });
    return this.get(runId);
  }

  /**
   * Where a run's transcript is in the store: from the result of a completed run, else from the
   * run itself (a worker answers the `transcript` query, replaying a closed run if it must).
   */
  async transcriptPosition(runId: string): Promise<LogPosition> {
    const handle = this.client.workflow.getHandle(runId);
    const info = await this.describe(handle);
    if (isClosedExecution(info.status.name)) {
      const outcome = await this.outcome(handle);
      const transcript = 'result' in outcome && isRecord(outcome.result) ? outcome.result.transcript : undefined;
      if (isLogPosition(transcript)) return transcript;
    }
    // No worker could answer the query: say why at once, rather than after its deadline.
    const { workflowTaskFailing } = await this.withWorkflowTaskFailure(info);
    if (refusesUpdates(workflowTaskFailing)) throw new WorkflowTaskFailingError(runId, workflowTaskFailing);
    try {
      return await this.client.withDeadline(Date.now() + this.queryTimeoutMs, () => handle.query(transcriptQuery));
    } catch (error) {
      if (error instanceof QueryNotRegisteredError) throw new NoTranscriptError(runId);
      // A worker that holds the run but does not answer (stopped, overloaded) shows as the deadline
      // passing, or as the server giving up on the query (CANCELLED).
      if (isGrpcDeadlineError(error) || isGrpcCancelledError(error)) throw new WorkerUnavailableError(runId);
      throw error;
    }
  }

  private async messageError(runId: string, error: unknown): Promise<unknown> {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      const code = error.cause.type ? messageRejectionCodes[error.cause.type] : undefined;
      if (code) return new MessageRejectedError(code, error.cause.message);
      // Only workflows made with `{conversation: true}` (the agent and swarm loops, and code of that kind) have the Update.
      if (/no registered handler|unknown update/i.test(error.cause.message)) {
        return new MessageRejectedError(
          'not_a_conversation',
          `Run "${runId}" is not a conversation: only runs of agent, swarm and code workflows (a code workflow made with { conversation: true }) ` +
            'whose config entry says conversation: true can be.',
        );
      }
    }
    return this.updateError(runId, error, 'message');
  }

  /**
   * An Update that no worker took in time, or that Temporal refused, is the workflow task failing
   * when the run's description says so (it may have started failing while the Update waited, or
   * Temporal refused it for that, having seen three attempts fail), and no worker otherwise.
   */
  private async updateError(runId: string, error: unknown, held: 'input' | 'message'): Promise<unknown> {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      const code = error.cause.type ? rejectionCodes[error.cause.type] : undefined;
      if (code) return new InputRejectedError(code, error.cause.message, error.cause.details?.[0]);
    }
    const timedOut = error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(error);
    if (timedOut || isFailedPrecondition(error)) {
      const failing = await this.workflowTaskFailingOf(runId).catch(() => undefined);
      if (failing) return new WorkflowTaskFailingError(runId, failing, { what: held, held: timedOut });
    }
    if (timedOut) return new WorkerUnavailableError(runId, held);
    return error;
  }

  /** Whether the run's workflow task keeps failing now, and why. */
  private async workflowTaskFailingOf(runId: string): Promise<WorkflowTaskFailing | undefined> {
    return (await this.withWorkflowTaskFailure(await this.describe(this.client.workflow.getHandle(runId)))).workflowTaskFailing;
  }

  /**
   * Runs `action` on an open run: 404 for none, "closed" when it has ended (or ends meanwhile). An
   * `update` (what it carries) is not sent to a run whose workflow task keeps failing: no worker
   * could take it, and the caller hears so at once rather than after the Update's deadline.
   */
  private async whileOpen(
    runId: string,
    action: (handle: WorkflowHandle) => Promise<unknown>,
    options: { update?: 'input' | 'message' } = {},
  ): Promise<void> {
    const handle = this.client.workflow.getHandle(runId);
    const info = await this.describe(handle);
    if (isClosedExecution(info.status.name)) throw new RunClosedError(runId, runStatus(info.status.name));
    if (options.update) {
      const { workflowTaskFailing } = await this.withWorkflowTaskFailure(info);
      if (refusesUpdates(workflowTaskFailing)) throw new WorkflowTaskFailingError(runId, workflowTaskFailing, { what: options.update });
    }
    try {
      await action(handle);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      const now = await this.describe(handle);
      throw new RunClosedError(runId, runStatus(now.status.name));
    }
  }

  private async describe(handle: WorkflowHandle): Promise<ExecutionInfo> {
    try {
      const description = await handle.describe();
      return {
        ...description,
        firstRunId: description.raw.workflowExecutionInfo?.firstRunId || undefined,
        retrying: retryingActivity(description.raw.pendingActivities ?? []),
        pendingWorkflowTask: description.raw.pendingWorkflowTask ?? undefined,
      };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new RunNotFoundError(handle.workflowId);
      throw error;
    }
  }

  /**
   * The description with why its workflow task keeps failing, read from the end of its history
   * when the pending task's attempt says it failed before; a healthy or closed run costs nothing.
   * The attempt alone says it keeps failing, so a read that fails (the run removed meanwhile) only
   * loses the reason.
   */
  private async withWorkflowTaskFailure(info: ExecutionInfo): Promise<ExecutionInfo> {
    const pending = info.pendingWorkflowTask;
    if (isClosedExecution(info.status.name) || !pending) return info;
    const failing = await readWorkflowTaskFailure(this.client, { workflowId: info.workflowId, runId: info.runId }, pending).catch(() =>
      workflowTaskFailure(pending, []),
    );
    return failing ? { ...info, workflowTaskFailing: failing } : info;
  }

  private async view(runId: string, options: { query: boolean }): Promise<Run> {
    return (await this.observe(runId, options)).run;
  }

  /** The Run, and the live state it was built from (none when not asked, or no worker answered). */
  private async observe(runId: string, options: { query: boolean } = { query: true }): Promise<{ run: Run; state: RunState | undefined }> {
    const handle = this.client.workflow.getHandle(runId);
    const info = await this.withWorkflowTaskFailure(await this.describe(handle));
    const closed = isClosedExecution(info.status.name);
    const outcome = closed ? await this.outcome(handle) : undefined;
    const resultHasUsage = outcome !== undefined && 'result' in outcome && isRecord(outcome.result) && 'usage' in outcome.result;
    // No worker can answer for a run whose workflow task keeps failing (Temporal refuses the query from the third attempt).
    const state = options.query && !resultHasUsage && !info.workflowTaskFailing ? await this.queryState(handle) : undefined;
    return { run: buildRun(await this.facts(info, { state, outcome }), this.links), state };
  }

  private async facts(info: ExecutionInfo, live: Pick<RunFacts, 'state' | 'outcome'>): Promise<RunFacts> {
    const fromMemo = memoInput(info.memo);
    const first = await this.firstExecution(info);
    return {
      workflowId: info.workflowId,
      workflowType: info.type,
      executionStatus: info.status.name,
      startTime: first.startTime,
      closeTime: info.closeTime,
      searchAttributes: {
        workflow: info.typedSearchAttributes.get(searchAttributes.workflow),
        pattern: info.typedSearchAttributes.get(searchAttributes.pattern),
        status: info.typedSearchAttributes.get(searchAttributes.status),
      },
      input: fromMemo ? fromMemo.input : await this.inputFromHistory(info.workflowId, first.runId),
      memoUsage: info.memo?.[USAGE_MEMO_KEY],
      ...(info.retrying && { retrying: info.retrying }),
      ...(info.workflowTaskFailing && { workflowTaskFailing: info.workflowTaskFailing }),
      ...live,
    };
  }

  /**
   * The chain's first execution: the run started when it did (an execution that continued as new
   * started later), and its first event holds the input. Described only when it is not this one.
   * One removed by retention while the chain went on leaves this execution's start, the earliest
   * still known.
   */
  private async firstExecution(info: ExecutionInfo): Promise<{ runId: string; startTime: Date }> {
    if (info.firstRunId && info.firstStartTime) return { runId: info.firstRunId, startTime: info.firstStartTime };
    const firstRunId = info.firstRunId ?? (await this.describe(this.client.workflow.getHandle(info.workflowId, info.runId))).firstRunId;
    if (!firstRunId || firstRunId === info.runId) return { runId: info.runId, startTime: info.startTime };
    try {
      return { runId: firstRunId, startTime: (await this.client.workflow.getHandle(info.workflowId, firstRunId).describe()).startTime };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return { runId: firstRunId, startTime: info.startTime };
      throw error;
    }
  }

  private async outcome(handle: WorkflowHandle): Promise<RunOutcome> {
    try {
      return { result: await handle.result() };
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      // Temporal's failure of a cancelled run says only "Workflow canceled"; the reason is in the request's event.
      const reason = error.cause instanceof CancelledFailure ? await this.cancelReasonOf(handle.workflowId) : undefined;
      return { failure: reason ? new CancelledFailure(`Cancelled: ${reason}`) : error };
    }
  }

  /** The reason of the cancel request, near the end of the closed run's history. */
  private async cancelReasonOf(workflowId: string): Promise<string | undefined> {
    const response = await this.client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: this.links.namespace,
      execution: { workflowId },
      maximumPageSize: CANCEL_REASON_EVENTS,
    });
    const requested = response.history?.events?.find((event) => event.workflowExecutionCancelRequestedEventAttributes);
    return requested ? cancelReason(requested.workflowExecutionCancelRequestedEventAttributes!) : undefined;
  }

  /** The live state, or nothing when no worker answers in time (the Run then rests on describe). */
  private async queryState(handle: WorkflowHandle): Promise<RunState | undefined> {
    try {
      return await this.client.withDeadline(Date.now() + this.queryTimeoutMs, () => handle.query(stateQuery));
    } catch {
      return undefined;
    }
  }

  private async inputFromHistory(workflowId: string, runId: string): Promise<unknown> {
    const argument = await this.startArgument(workflowId, runId);
    return isRecord(argument) ? argument.input : undefined;
  }

  /** The workflow argument in the execution's first event, fetched alone. */
  private async startArgument(workflowId: string, runId: string): Promise<unknown> {
    const response = await this.client.workflowService.getWorkflowExecutionHistory({
      namespace: this.links.namespace,
      execution: { workflowId, runId },
      maximumPageSize: 1,
    });
    await resolveStoredPayloads(this.client, response);
    const started = response.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    const [argument] = await decodeArrayFromPayloads(this.client.options.loadedDataConverter, started?.input?.payloads);
    return argument;
  }
}

const GRPC_FAILED_PRECONDITION = 9;

/** Temporal refusing a call for the execution's state (an Update while its workflow task fails), anywhere in the cause chain. */
function isFailedPrecondition(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if (isGrpcServiceError(current) && current.code === GRPC_FAILED_PRECONDITION) return true;
  }
  return false;
}

function isLogPosition(value: unknown): value is LogPosition {
  return isRecord(value) && (value.head === null || typeof value.head === 'string') && Array.isArray(value.pending);
}

/** `each` over `items`, at most `limit` at a time, results in the items' order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await each(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
