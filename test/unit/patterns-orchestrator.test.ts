import type { ResolvedAgent, ResolvedNode } from '../../src/spec/schema';
import { outputJsonSchema } from '../../src/patterns/structured';
import {
  describeAgents,
  formatSteps,
  fullPlanPrompt,
  nextStepPrompt,
  planOf,
  planSchemas,
  synthesisPrompt,
  taskPrompt,
  type StepResult,
} from '../../src/patterns/orchestrator';

function agent(name: string, extra: Partial<ResolvedAgent> = {}): ResolvedAgent {
  return {
    name,
    instruction: `You are ${name}.`,
    servers: [],
    provider: 'openai',
    model: 'm',
    max_iterations: 10,
    max_tokens: 4096,
    human_input: false,
    approve_tools: [],
    input_timeout_seconds: 60,
    handoffs: [],
    functions: [],
    ...extra,
  };
}

const researched: StepResult[] = [
  {
    description: 'Gather facts',
    tasks: [
      { description: 'Find the population', agent: 'researcher', result: '8 million' },
      { description: 'Find the area', agent: 'finder', result: '780 km2' },
    ],
  },
];

describe('planSchemas', () => {
  const { plan, nextStep } = planSchemas(['researcher', 'writer']);

  it('accepts a plan whose tasks name the given agents', () => {
    const value = {
      steps: [{ description: 's', tasks: [{ description: 't', agent: 'writer' }] }],
      is_complete: false,
    };
    expect(plan.parse(value)).toEqual(value);
  });

  it('rejects a task naming an agent that is not in the list, at its path', () => {
    const result = plan.safeParse({
      steps: [{ description: 's', tasks: [{ description: 't', agent: 'editor' }] }],
      is_complete: false,
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].path).toEqual(['steps', 0, 'tasks', 0, 'agent']);
  });

  it('offers the agent names to the model as an enum in the JSON Schema', () => {
    const schema = JSON.stringify(outputJsonSchema(plan));
    expect(schema).toContain('"enum":["researcher","writer"]');
  });

  it('accepts an empty plan that is complete', () => {
    expect(plan.parse({ steps: [], is_complete: true })).toEqual({ steps: [], is_complete: true });
  });

  it('lets a complete next step leave next_step out, and defaults it to null', () => {
    expect(nextStep.parse({ is_complete: true })).toEqual({ is_complete: true, next_step: null });
  });

  it('requires a next step while the objective is not complete', () => {
    const result = nextStep.safeParse({ is_complete: false, next_step: null });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ['next_step'], message: expect.stringContaining('required') });
  });

  it('gives the next-step schema as a draft-7 object with next_step optional', () => {
    const schema = outputJsonSchema(nextStep);
    expect(schema.required).toEqual(['is_complete']);
  });

  it('needs at least one agent', () => {
    expect(() => planSchemas([])).toThrow('at least one agent');
  });
});

describe('describeAgents', () => {
  it('describes agents by description (else instruction) and servers, patterns by members, functions by name', () => {
    const nodes: ResolvedNode[] = [
      { kind: 'agent', name: 'researcher', agent: agent('researcher', { description: 'Finds facts.', servers: ['fetch', 'search'] }) },
      { kind: 'agent', name: 'writer', agent: agent('writer', { instruction: 'Write\n  clearly\tand briefly.' }) },
      {
        kind: 'pattern',
        name: 'review',
        spec: {
          type: 'parallel',
          fan_out: [
            { kind: 'agent', name: 'a', agent: agent('a') },
            { kind: 'function', name: 'b', function: 'check' },
          ],
        },
      },
      { kind: 'function', name: 'count', function: 'countWords' },
    ];
    expect(describeAgents(nodes).split('\n')).toEqual([
      '- researcher: Finds facts. Tools from: fetch, search.',
      '- writer: Write clearly and briefly.',
      '- review: a parallel workflow of a, b.',
      '- count: runs the function "countWords" on the task description.',
    ]);
  });

  it('cuts a long instruction short', () => {
    const line = describeAgents([{ kind: 'agent', name: 'w', agent: agent('w', { instruction: 'x'.repeat(1000) }) }]);
    expect(line.length).toBeLessThan(420);
    expect(line.endsWith('…')).toBe(true);
  });
});

describe('prompts', () => {
  it('formats finished steps with numbered tasks, agents and results', () => {
    expect(formatSteps(researched)).toBe(
      [
        '## Step 1: Gather facts',
        '### Task 1.1 (researcher): Find the population\n8 million',
        '### Task 1.2 (finder): Find the area\n780 km2',
      ].join('\n\n'),
    );
    expect(formatSteps([])).toBe('(nothing yet)');
  });

  it('gives the full planner the objective and the roster', () => {
    const prompt = fullPlanPrompt('Describe Paris', '- writer: writes');
    expect(prompt).toContain('Objective:\nDescribe Paris');
    expect(prompt).toContain('- writer: writes');
    expect(prompt).toContain('give no steps');
    expect(prompt).not.toContain('Results so far');
  });

  it('asks the full planner again with the results so far, for what remains', () => {
    const prompt = fullPlanPrompt('Describe Paris', '- writer: writes', researched);
    expect(prompt).toContain('Results so far:');
    expect(prompt).toContain('8 million');
    expect(prompt).toContain('Plan the steps that remain');
    expect(prompt).toContain('If the results so far achieve the objective, give no steps and set is_complete to true');
  });

  it('gives the iterative planner the results so far and the steps left', () => {
    const prompt = nextStepPrompt('Describe Paris', '- writer: writes', researched, 1);
    expect(prompt).toContain('8 million');
    expect(prompt).toContain('At most 1 more step can run.');
    expect(nextStepPrompt('o', 'r', [], 3)).toContain('(nothing yet)');
  });

  it('gives a task its description, the objective and earlier results only when there are some', () => {
    const first = taskPrompt('Describe Paris', 'Find the population', []);
    expect(first.startsWith('Your task:\nFind the population')).toBe(true);
    expect(first).toContain('Describe Paris');
    expect(first).not.toContain('Results of earlier steps');
    expect(taskPrompt('Describe Paris', 'Write it up', researched)).toContain('780 km2');
  });

  it('tells the synthesizer when no work was needed, and when the plan was cut short', () => {
    expect(synthesisPrompt('Say hi', [], true)).toContain('no work by the agents was needed');
    expect(synthesisPrompt('Describe Paris', researched, true)).toContain('8 million');
    expect(synthesisPrompt('Describe Paris', researched, false)).toContain('cut short');
  });
});

describe('planOf', () => {
  it('is the steps that ran without their results', () => {
    expect(planOf(researched, true)).toEqual({
      steps: [
        {
          description: 'Gather facts',
          tasks: [
            { description: 'Find the population', agent: 'researcher' },
            { description: 'Find the area', agent: 'finder' },
          ],
        },
      ],
      is_complete: true,
    });
  });
});
