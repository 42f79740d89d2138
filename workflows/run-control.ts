import {
  ApplicationFailure,
  condition,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { PatternType } from '../src/spec/schema';
import { approvalDecisionSchema, type ApprovalDecision } from '../src/patterns/human-input';
import {
  humanInputSignal,
  InputRejection,
  pauseSignal,
  provideInputUpdate,
  resumeSignal,
  searchAttributes,
  stateQuery,
  type HumanInput,
  type PendingInput,
  type RunState,
  type RunStatus,
  type RunUsage,
} from './definitions';

/**
 * The part of every pattern workflow that people talk to: pause/resume, human input, the `state`
 * query, status search attributes and the Web UI's current details. Construct it first thing in
 * the workflow, before any await, so that no early signal finds a handler missing.
 */

interface OpenRequest extends PendingInput {
  answer?: { value: unknown };
}

export type InputOutcome = { answered: true; value: unknown } | { answered: false };

/** State that survives continue-as-new. */
export interface RunControlCarry {
  paused: boolean;
  usage: RunUsage;
  queued: HumanInput[];
  requestCounter: number;
}

export class RunControl {
  private paused: boolean;
  private closedStatus?: RunStatus;
  private step = 'starting';
  private iteration = 0;
  private readonly open: OpenRequest[] = [];
  private readonly queued: HumanInput[];
  private requestCounter: number;
  readonly usage: RunUsage;
  private lastStatus?: RunStatus;

  constructor(
    private readonly workflow: string,
    private readonly pattern: PatternType,
    carry?: RunControlCarry,
  ) {
    this.paused = carry?.paused ?? false;
    this.usage = carry?.usage ?? { inputTokens: 0, outputTokens: 0, llmCalls: 0, toolCalls: 0 };
    this.queued = carry?.queued ?? [];
    this.requestCounter = carry?.requestCounter ?? 0;

    setHandler(pauseSignal, () => {
      this.paused = true;
      this.publishStatus();
    });
    setHandler(resumeSignal, () => {
      this.paused = false;
      this.publishStatus();
    });
    setHandler(humanInputSignal, (input) => {
      this.deliver(input);
    });
    setHandler(stateQuery, () => this.state());
    setHandler(provideInputUpdate, (input) => ({ requestId: this.deliver(input) }), {
      validator: (input) => this.validate(input),
    });
    upsertSearchAttributes([
      { key: searchAttributes.workflow, value: workflow },
      { key: searchAttributes.pattern, value: pattern },
    ]);
    this.publishStatus();
  }

  carry(): RunControlCarry {
    return { paused: this.paused, usage: this.usage, queued: this.queued, requestCounter: this.requestCounter };
  }

  status(): RunStatus {
    if (this.closedStatus) return this.closedStatus;
    if (this.paused) return 'paused';
    if (this.open.some((r) => !r.answer)) return 'waiting_for_input';
    return 'running';
  }

  state(): RunState {
    const pending = this.open.find((r) => !r.answer);
    return {
      workflow: this.workflow,
      pattern: this.pattern,
      status: this.status(),
      step: this.step,
      iteration: this.iteration,
      pendingInput: pending && pendingView(pending),
      usage: { ...this.usage },
      queuedInputs: this.queued.length,
    };
  }

  /** Says what the run does now, in the state query and in the Web UI. */
  setStep(step: string, iteration?: number): void {
    this.step = step;
    if (iteration !== undefined) this.iteration = iteration;
    setCurrentDetails(step);
  }

  /** A step boundary: returns at once unless paused, else when resumed. */
  async checkpoint(): Promise<void> {
    if (!this.paused) return;
    setCurrentDetails(`paused before: ${this.step}`);
    await condition(() => !this.paused);
    setCurrentDetails(this.step);
  }

  /** Marks the run closed so the status search attribute is right in the final history. */
  close(status: 'completed' | 'failed' | 'cancelled'): void {
    this.closedStatus = status;
    this.setStep(status);
    this.publishStatus();
  }

  /**
   * Asks a person for input and waits until it comes or `timeoutSeconds` pass. Input that arrived
   * early by signal (queued) answers at once.
   */
  async requestInput(
    request: Omit<PendingInput, 'requestId'>,
    timeoutSeconds: number,
  ): Promise<InputOutcome> {
    const open: OpenRequest = { ...request, requestId: `${request.kind}-${++this.requestCounter}` };
    const early = this.queued.findIndex((q) => q.requestId === undefined || q.requestId === open.requestId);
    if (early >= 0 && this.acceptable(open, this.queued[early].value)) {
      open.answer = { value: this.queued.splice(early, 1)[0].value };
    }
    this.open.push(open);
    this.publishStatus();
    try {
      const answered = open.answer ? true : await condition(() => open.answer !== undefined, timeoutSeconds * 1000);
      return answered && open.answer ? { answered: true, value: open.answer.value } : { answered: false };
    } finally {
      this.open.splice(this.open.indexOf(open), 1);
      this.publishStatus();
    }
  }

  /** Delivers input to the named request, or the oldest open one; queues it when nothing asks. */
  private deliver(input: HumanInput): string {
    const target = this.findTarget(input.requestId);
    if (!target || !this.acceptable(target, input.value)) {
      this.queued.push(input);
      return input.requestId ?? 'queued';
    }
    target.answer = { value: input.value };
    this.publishStatus();
    return target.requestId;
  }

  private validate(input: HumanInput): void {
    if (!this.open.some((r) => !r.answer)) {
      throw ApplicationFailure.create({
        type: InputRejection.NothingPending,
        message: 'The run is not waiting for input.',
      });
    }
    const target = this.findTarget(input.requestId);
    if (!target) {
      throw ApplicationFailure.create({
        type: InputRejection.WrongRequest,
        message: `No pending request has id "${input.requestId}".`,
        details: [{ pending: this.open.filter((r) => !r.answer).map((r) => r.requestId) }],
      });
    }
    if (!this.acceptable(target, input.value)) {
      throw ApplicationFailure.create({
        type: InputRejection.InvalidValue,
        message: `Request "${target.requestId}" asks for approval: send {"approved": true|false, "reason"?: "..."}.`,
      });
    }
  }

  private findTarget(requestId: string | undefined): OpenRequest | undefined {
    const waiting = this.open.filter((r) => !r.answer);
    return requestId === undefined ? waiting[0] : waiting.find((r) => r.requestId === requestId);
  }

  private acceptable(request: OpenRequest, value: unknown): boolean {
    return request.kind !== 'approval' || approvalDecisionSchema.safeParse(value).success;
  }

  private publishStatus(): void {
    const status = this.status();
    if (status === this.lastStatus) return;
    this.lastStatus = status;
    upsertSearchAttributes([{ key: searchAttributes.status, value: status }]);
  }
}

function pendingView(request: OpenRequest): PendingInput {
  const { requestId, kind, prompt, tool, args } = request;
  return { requestId, kind, prompt, ...(tool !== undefined && { tool }), ...(args !== undefined && { args }) };
}

export type { ApprovalDecision };
