/**
 * What an agent turn costs beyond the calls themselves, against what Temporal itself costs for the
 * same two activities.
 *
 *   npm run bench
 *   BENCH_ROUNDS=8 BENCH_TURNS=40 npm run bench
 *   BENCH_SERVERS=tuned BENCH_PROFILE_DIR=<dir> npm run bench   (CPU profiles of the workers)
 *
 * Self-contained like the test suite: two headless Temporal dev servers on free ports, one started
 * as `npm run dev` starts it (temporal/tuning.ts) and one with Temporal's defaults
 * (`dynamicConfig: {}`), each with a worker process for the agent (worker/main.ts, as an operator
 * starts it) and one for the floor (bench/floor-worker.ts); the scripted provider (OpenAI's wire
 * format) and the MCP fixture over streamable HTTP in this process, as a model and an MCP server
 * are elsewhere than the worker in a deployment. Per turn, for each server:
 *
 *  - floor: Temporal's own cost of a turn: a workflow looping two no-op activities
 *    (bench/dispatch-workflows.ts); an iteration is the gap between one iteration's first
 *    ActivityTaskScheduled event and the next one's, as the project's turns are timed;
 *  - project: an agent run whose every turn is one LLM activity and one tool activity (fixture-add);
 *    a turn is the gap between one llmGenerate's ActivityTaskScheduled event and the next's;
 *  - project, local tool: the same with the tool on the same server marked `local: true`;
 *  - direct: the same calls with no Temporal, from a process of their own as the worker's are
 *    (bench/direct-worker.ts): the OpenAI SDK client and an MCP SDK client (both connected once),
 *    the conversation growing as the agent's does, only the calls timed. Paced: each call comes as
 *    long after the last as the server's floor takes between two activities (its workflow-task leg,
 *    p50 of a warm-up floor run), since an agent's calls never come back to back and on a VM a call
 *    after a pause takes about twice as long as one straight after another (temporal/TUNING.md);
 *    that gap is a lower bound of an agent's, which also has the activities' dispatch in it. Also
 *    back to back, as the ratio's second figure;
 *  - ratio: (project − paced direct) / floor at p50: what a turn costs beyond the calls, in floors.
 *
 * Rounds interleave everything (the order rotates each round) so that load from elsewhere on the
 * machine falls on all alike. Runs go one at a time. Figures are steady state: the first
 * STEADY_AFTER turns of each run are left out, since Temporal's default server reads its queues from
 * a token bucket that lets a first burst of work through at full speed (temporal/TUNING.md) and any
 * load that lasts sees the limit. Then one JSON line. About a minute and a half on 2 cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { WorkflowHandle } from '@temporalio/client';
import { startScriptedProvider } from '../src/testing/scripted-model';
import { findTemporalCli } from '../temporal/cli';
import { startFixtureHttpServer } from '../test/fixtures/mcp-fixture-server';
import { closeAll, ms, percentile, positiveIntFromEnv, round } from './common';
import { startDirectChild } from './direct';
import { finishAgentRun, floorRun, startAgentRun, startStack, startWorkers, toolTurns, type Stack } from './stack';

/** Leading turns of each run left out of the figures (see above). */
const STEADY_AFTER = 20;
const WARM_UP_TURNS = 5;

type HistoryEvents = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>;

/** An event's server time in ms, to the nanosecond the server recorded (the SDK's tsToMs floors it to whole ms). */
function eventMs(event: HistoryEvents[number]): number {
  const { seconds, nanos } = event.eventTime!;
  return Number(seconds ?? 0) * 1000 + (nanos ?? 0) / 1e6;
}

interface Legs {
  llmMs: number;
  betweenMs: number;
  toolMs: number;
  afterMs: number;
}

/**
 * Per turn from the server's timestamps, for a history whose turns start with an activity of type
 * `first` (llmGenerate; the floor's noop): its ActivityTaskScheduled → the next turn's. Legs of a
 * turn of two activities: the first (scheduled → completed), the workflow task to the second (→ its
 * scheduled), the second activity (→ completed) and the workflow task after it (→ the next turn's
 * first scheduled). A turn with one activity (the local tool has none of its own) has no legs.
 */
function turnTimes(events: HistoryEvents, first: string): { turnsMs: number[]; legs: Legs[] } {
  const turnsMs: number[] = [];
  const legs: Legs[] = [];
  /** This turn's activities: scheduled and completed times. */
  let current: Array<{ scheduled: number; completed?: number }> = [];
  let turnStart: number | undefined;
  const byScheduledId = new Map<string, { scheduled: number; completed?: number }>();
  for (const event of events) {
    const time = eventMs(event);
    const scheduled = event.activityTaskScheduledEventAttributes;
    const completed = event.activityTaskCompletedEventAttributes;
    if (scheduled) {
      // The floor's turn is two activities of the same type.
      const startsTurn = scheduled.activityType?.name === first && (first !== 'noop' || current.length !== 1);
      if (startsTurn) {
        if (turnStart !== undefined) {
          turnsMs.push(time - turnStart);
          const [a, b] = current;
          if (a?.completed !== undefined && b?.completed !== undefined) {
            legs.push({ llmMs: a.completed - a.scheduled, betweenMs: b.scheduled - a.completed, toolMs: b.completed - b.scheduled, afterMs: time - b.completed });
          }
        }
        turnStart = time;
        current = [];
      }
      const activity = { scheduled: time };
      current.push(activity);
      byScheduledId.set(String(event.eventId), activity);
    } else if (completed) {
      const activity = byScheduledId.get(String(completed.scheduledEventId));
      if (activity) activity.completed = time;
    }
  }
  return { turnsMs, legs };
}

/** Each workflow task's wait on its task queue (scheduled → started) and its run on the worker (started → completed). */
function workflowTaskTimes(events: HistoryEvents): { queuedMs: number[]; runMs: number[] } {
  const queuedMs: number[] = [];
  const runMs: number[] = [];
  let scheduled: number | undefined;
  let started: number | undefined;
  for (const event of events) {
    const time = eventMs(event);
    if (event.workflowTaskScheduledEventAttributes) scheduled = time;
    if (event.workflowTaskStartedEventAttributes && scheduled !== undefined) {
      queuedMs.push(time - scheduled);
      started = time;
    }
    if (event.workflowTaskCompletedEventAttributes && started !== undefined) runMs.push(time - started);
  }
  return { queuedMs, runMs };
}

interface Samples {
  floor: number[];
  project: number[];
  local: number[];
  legs: Legs[];
  localLegs: Legs[];
  queuedMs: number[];
  runMs: number[];
  floorRunMs: number[];
  floorLegs: Legs[];
  /** The direct calls, paced by this server's floor. */
  direct: number[];
}

const emptySamples = (): Samples => ({ floor: [], project: [], local: [], legs: [], localLegs: [], queuedMs: [], runMs: [], floorRunMs: [], floorLegs: [], direct: [] });

async function projectRun(stack: Stack, server: 'fixture' | 'quick', turns: number) {
  const run = await startAgentRun(stack, server, turns);
  await finishAgentRun(run);
  const events = (await run.handle.fetchHistory()).events ?? [];
  return { ...turnTimes(events, 'llmGenerate'), tasks: workflowTaskTimes(events) };
}

const steady = <T>(values: readonly T[]) => values.slice(STEADY_AFTER);
const p50 = (values: readonly number[]) => percentile(values, 50);
const p90 = (values: readonly number[]) => percentile(values, 90);

async function main(): Promise<void> {
  const rounds = positiveIntFromEnv('BENCH_ROUNDS', 5);
  const turns = positiveIntFromEnv('BENCH_TURNS', 30);
  if (turns <= STEADY_AFTER) throw new Error(`BENCH_TURNS must be over ${STEADY_AFTER}`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const benchStarted = performance.now();

  const cli = findTemporalCli({ log });
  const provider = await startScriptedProvider();
  const fixture = await startFixtureHttpServer();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-turn-overhead-'));
  const closers: Array<() => Promise<void>> = [() => provider.close(), () => fixture.close(), async () => rmSync(dir, { recursive: true, force: true })];
  try {
    const common = { cliPath: cli.path, provider, fixtureUrl: fixture.url };
    // BENCH_SERVERS=tuned measures on that one only (for profiling).
    const only = process.env.BENCH_SERVERS?.split(',');
    const stacks: Stack[] = [];
    if (!only || only.includes('tuned')) stacks.push(await startStack({ ...common, name: 'tuned' }, closers));
    if (!only || only.includes('untuned')) stacks.push(await startStack({ ...common, name: 'untuned', dynamicConfig: {} }, closers));
    log('starting the worker processes');
    // BENCH_PROFILE_DIR=dir: each worker writes CPU profiles (node --cpu-prof) to <dir>/<server>/<agent|floor> when it stops.
    const profileDir = process.env.BENCH_PROFILE_DIR;
    for (const stack of stacks) await startWorkers(stack, dir, closers, profileDir && path.join(profileDir, stack.name));
    // The direct calls from a process of their own too: calls within one process skip the wake-up of another.
    const direct = await startDirectChild({ OPENAI_BASE_URL: provider.openaiBaseUrl, FIXTURE_URL: fixture.url });
    closers.unshift(() => direct.stop());
    let directRuns = 0;
    const directRun = async (turns: number, pauseMs: number) => {
      const model = `direct-${process.pid}-${++directRuns}`;
      provider.script(model, toolTurns('fixture-add', turns));
      const [turnsMs] = await direct.run([model], turns, pauseMs);
      return turnsMs;
    };

    log('warming up');
    /** Per server: how long the paced direct calls wait before each call (see above). */
    const pauses = new Map<string, number>();
    for (const stack of stacks) {
      const { handle } = await floorRun(stack, turns);
      const legs = steady(turnTimes((await handle.fetchHistory()).events ?? [], 'noop').legs);
      const pauseMs = Math.round(p50(legs.flatMap((l) => [l.betweenMs, l.afterMs])));
      if (!Number.isFinite(pauseMs)) throw new Error(`no floor legs to pace the direct calls by on the ${stack.name} server`);
      pauses.set(stack.name, Math.max(1, pauseMs));
      await projectRun(stack, 'fixture', WARM_UP_TURNS);
      await projectRun(stack, 'quick', WARM_UP_TURNS);
      await directRun(WARM_UP_TURNS, pauses.get(stack.name)!);
    }
    await directRun(WARM_UP_TURNS, 0);

    const samples = new Map(stacks.map((stack) => [stack.name, emptySamples()]));
    type Step = () => Promise<void>;
    const steps: Step[] = stacks.flatMap((stack): Step[] => {
      const into = samples.get(stack.name)!;
      return [
        async () => {
          const { handle } = await floorRun(stack, turns);
          const events = (await handle.fetchHistory()).events ?? [];
          const floor = turnTimes(events, 'noop');
          into.floor.push(...steady(floor.turnsMs));
          into.floorRunMs.push(...workflowTaskTimes(events).runMs);
          into.floorLegs.push(...steady(floor.legs));
        },
        async () => {
          const run = await projectRun(stack, 'fixture', turns);
          into.project.push(...steady(run.turnsMs));
          into.legs.push(...steady(run.legs));
          into.queuedMs.push(...run.tasks.queuedMs);
          into.runMs.push(...run.tasks.runMs);
        },
        async () => {
          const run = await projectRun(stack, 'quick', turns);
          into.local.push(...steady(run.turnsMs));
          into.localLegs.push(...steady(run.legs));
        },
        async () => {
          into.direct.push(...steady(await directRun(turns, pauses.get(stack.name)!)));
        },
      ];
    });
    const backToBackMs: number[] = [];
    steps.push(async () => {
      backToBackMs.push(...steady(await directRun(turns, 0)));
    });
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < steps.length; i++) await steps[(i + round) % steps.length]();
      log(`round ${round + 1}/${rounds} done (${((performance.now() - benchStarted) / 1000).toFixed(0)} s)`);
    }

    console.log(
      `Turn overhead: ${rounds} interleaved rounds, runs of ${turns} tool turns one at a time, turns after the ${STEADY_AFTER}th; ` +
        `Temporal ${cli.source}; worker processes as operators start them; provider and MCP fixture (streamable HTTP) in the bench's process, answering at once`,
    );
    const backToBackP50 = p50(backToBackMs);
    console.log(
      `direct (OpenAI SDK + MCP client, no Temporal, a process of their own), calls back to back: p50 ${ms(backToBackP50)}, ` +
        `p90 ${ms(p90(backToBackMs))} per turn; paced: per server below`,
    );
    const figures = stacks.map((stack) => {
      const s = samples.get(stack.name)!;
      const floor = { p50: p50(s.floor), p90: p90(s.floor) };
      const project = { p50: p50(s.project), p90: p90(s.project) };
      const local = { p50: p50(s.local), p90: p90(s.local) };
      const pauseMs = pauses.get(stack.name)!;
      const directP50 = p50(s.direct);
      const ratio = (project.p50 - directP50) / floor.p50;
      const backToBackRatio = (project.p50 - backToBackP50) / floor.p50;
      const localRatio = (local.p50 - directP50) / floor.p50;
      const leg = (legs: Legs[], key: keyof Legs) => p50(legs.map((l) => l[key]));
      const what = stack.name === 'tuned' ? 'as npm run dev starts it (temporal/tuning.ts)' : "Temporal's defaults";
      console.log(`${stack.name} dev server (${what}):`);
      console.log(`  floor (two no-op activities)      p50 ${ms(floor.p50).padStart(9)}  p90 ${ms(floor.p90).padStart(9)} per turn`);
      console.log(
        `  ${`direct, each call ${pauseMs} ms after`.padEnd(34)}p50 ${ms(directP50).padStart(9)}  p90 ${ms(p90(s.direct)).padStart(9)} per turn` +
          ` (the floor's workflow-task leg)`,
      );
      console.log(
        `  project (LLM + tool activity)     p50 ${ms(project.p50).padStart(9)}  p90 ${ms(project.p90).padStart(9)} per turn` +
          `  ratio (project − direct)/floor = ${ratio.toFixed(2)} (against back-to-back calls: ${backToBackRatio.toFixed(2)})`,
      );
      console.log(
        `  project, local tool (local: true) p50 ${ms(local.p50).padStart(9)}  p90 ${ms(local.p90).padStart(9)} per turn` +
          `  ratio (project − direct)/floor = ${localRatio.toFixed(2)}`,
      );
      const legLine = (legs: Legs[]) =>
        `${ms(leg(legs, 'llmMs'))} + ${ms(leg(legs, 'betweenMs'))} + ${ms(leg(legs, 'toolMs'))} + ${ms(leg(legs, 'afterMs'))}`;
      console.log(
        `  a turn's legs (p50, activity + workflow task + activity + workflow task): project ${legLine(s.legs)}, floor ${legLine(s.floorLegs)}; ` +
          `workflow tasks queued p50 ${ms(p50(s.queuedMs))}, on the worker p50 ${ms(p50(s.runMs))} (the floor's ${ms(p50(s.floorRunMs))})`,
      );
      return {
        server: stack.name,
        samples: { floor: s.floor.length, project: s.project.length, local: s.local.length },
        floorP50Ms: round(floor.p50),
        floorP90Ms: round(floor.p90),
        projectP50Ms: round(project.p50),
        projectP90Ms: round(project.p90),
        localToolP50Ms: round(local.p50),
        localToolP90Ms: round(local.p90),
        directPauseMs: pauseMs,
        directP50Ms: round(directP50),
        directP90Ms: round(p90(s.direct)),
        ratio: round(ratio),
        backToBackRatio: round(backToBackRatio),
        localToolRatio: round(localRatio),
        legsP50Ms: {
          llm: round(leg(s.legs, 'llmMs')),
          workflowTaskBefore: round(leg(s.legs, 'betweenMs')),
          tool: round(leg(s.legs, 'toolMs')),
          workflowTaskAfter: round(leg(s.legs, 'afterMs')),
        },
        floorLegsP50Ms: {
          first: round(leg(s.floorLegs, 'llmMs')),
          workflowTaskBefore: round(leg(s.floorLegs, 'betweenMs')),
          second: round(leg(s.floorLegs, 'toolMs')),
          workflowTaskAfter: round(leg(s.floorLegs, 'afterMs')),
        },
        workflowTaskQueuedP50Ms: round(p50(s.queuedMs)),
        workflowTaskRunP50Ms: round(p50(s.runMs)),
        floorWorkflowTaskRunP50Ms: round(p50(s.floorRunMs)),
      };
    });
    const tuned = figures.find((f) => f.server === 'tuned');
    const untuned = figures.find((f) => f.server === 'untuned');
    if (tuned && untuned) console.log(
      `project per turn, untuned / tuned: p50 ${(untuned.projectP50Ms / tuned.projectP50Ms).toFixed(2)}x, ` +
        `p90 ${(untuned.projectP90Ms / tuned.projectP90Ms).toFixed(2)}x; with the local tool on the tuned server: p50 ` +
        `${(untuned.projectP50Ms / tuned.localToolP50Ms).toFixed(2)}x (${((performance.now() - benchStarted) / 1000).toFixed(0)} s in all)`,
    );
    console.log(
      JSON.stringify({
        bench: 'turn-overhead',
        rounds,
        turns,
        steadyAfter: STEADY_AFTER,
        directBackToBackP50Ms: round(backToBackP50),
        directBackToBackP90Ms: round(p90(backToBackMs)),
        servers: figures,
      }),
    );
  } finally {
    await closeAll(closers);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
