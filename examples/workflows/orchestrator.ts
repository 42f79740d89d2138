import { workflow, type OrchestratorResult, type RunContext } from 'mcp-agent-temporal/workflow';

/**
 * mcp-agent's orchestrator-workers example: a planner breaks a task into steps, runs each step's
 * tasks on the agents it chooses (those of a step at the same time), then writes the answer from
 * all their results. Here the task is a graded report on a short story kept in a file: the
 * finder reads it, reviewers review it, the writer writes the report.
 *
 * The orchestrator is a built-in pattern, so code runs it with one call. It is a child workflow
 * of this run, with its own page in the Web UI; pausing or cancelling this run reaches it and
 * every agent it started.
 */

export interface StoryReportInput {
  /** The story's file, under examples/files. */
  file: string;
}

export interface StoryReport {
  report: string;
  /** What was done, step by step: the planner's choice of agent for each task. */
  steps: { description: string; tasks: { agent: string; description: string }[] }[];
}

export const storyReport = workflow(async (run: RunContext<StoryReportInput>): Promise<StoryReport> => {
  run.step('planning and running the review');
  const answer = await run.run<OrchestratorResult>(
    {
      type: 'orchestrator',
      // The workers the planner may give tasks to, by their names in mcp_agent.config.yaml.
      agents: ['finder', 'proofreader', 'fact_checker', 'style_checker', 'writer'],
      // A whole plan first, re-planned with its results until the planner says it is done.
      plan_type: 'full',
      max_iterations: 3,
    },
    `Read the short story in ${run.input.file}. Have it proofread, fact-checked and reviewed for ` +
      'style, then write a graded report (A to F) for its author with the reviewers’ main points.',
    { name: 'review' },
  );

  const { steps } = answer.result;
  return {
    report: answer.text,
    steps: steps.map((step) => ({
      description: step.description,
      tasks: step.tasks.map((task) => ({ agent: task.agent, description: task.description })),
    })),
  };
});
