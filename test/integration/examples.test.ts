import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { replayHistories, startTestEnvironment, type RecordedRequest, type TestEnvironment } from 'mcp-agent-temporal/testing';
import type { FinderResult } from '../../examples/workflows/finder';
import type { StoryReport } from '../../examples/workflows/orchestrator';
import type { RoutedAnswer } from '../../examples/workflows/router';
import type { StoryReview } from '../../examples/workflows/parallel';
import type { CoverLetter } from '../../examples/workflows/evaluator-optimizer';
import type { SupportAnswer } from '../../examples/workflows/swarm';
import type { TripPlan } from '../../examples/workflows/human-input';
import type { ReadInvoice } from '../../examples/workflows/structured-output';

/**
 * Every example in examples/ end to end, as a user's own test would run them: examples'
 * mcp_agent.config.yaml as it is, a Temporal dev server and a worker of its own
 * (startTestEnvironment), the scripted model in place of a real one, and the examples'
 * filesystem MCP server reading files this test writes into a temporary folder.
 */

const configPath = path.resolve(__dirname, '..', '..', 'examples', 'mcp_agent.config.yaml');

/** Each agent gets a model name of its own, so each one's scripted replies come in its own order. */
const modelOf = (agent: string) => `example-${agent}`;
/** What the patterns think with themselves (the router's ranking, the orchestrator's plans): the default model. */
const PATTERNS_MODEL = 'example-patterns';

let env: TestEnvironment;
let filesDir: string;
const runIds: string[] = [];

beforeAll(async () => {
  filesDir = mkdtempSync(path.join(tmpdir(), 'mcp-agent-examples-'));
  env = await startTestEnvironment({
    configPath,
    configure: (config) => {
      const filesystemServer = require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js');
      const filesystem = config.mcp.servers.filesystem;
      return {
        ...config,
        openai: { ...config.openai, default_model: PATTERNS_MODEL },
        agents: Object.fromEntries(Object.entries(config.agents).map(([name, agent]) => [name, { ...agent, model: modelOf(name) }])),
        // The same server, serving this test's folder instead of examples/files.
        mcp: {
          ...config.mcp,
          servers: { ...config.mcp.servers, filesystem: { ...filesystem, args: [filesystemServer, '.'], cwd: filesDir } },
        },
      };
    },
  });
});

afterAll(async () => {
  await env?.close();
  if (filesDir) rmSync(filesDir, { recursive: true, force: true });
});

function writeFile(relative: string, content: string): void {
  const file = path.join(filesDir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

async function start(workflow: string, input: unknown): Promise<string> {
  const { runId } = await env.start(workflow, input);
  runIds.push(runId);
  return runId;
}

async function completed<T>(runId: string): Promise<{ result: T; usage: { llmCalls: number; toolCalls: number } }> {
  const run = await env.result(runId);
  expect({ status: run.status, error: run.error }).toEqual({ status: 'completed', error: undefined });
  return { result: run.result as T, usage: run.usage };
}

/** What the agent was asked from now on (requests recorded before the call are left out). */
function recorder(): (agent: string) => RecordedRequest[] {
  const before = new Map<string, number>();
  const count = (model: string) => env.model.requests(model).length;
  for (const agent of Object.keys(env.config.agents)) before.set(modelOf(agent), count(modelOf(agent)));
  before.set(PATTERNS_MODEL, count(PATTERNS_MODEL));
  return (agent) => {
    const model = agent === 'patterns' ? PATTERNS_MODEL : modelOf(agent);
    return env.model.requests(model).slice(before.get(model) ?? 0);
  };
}

// What the model was sent, in OpenAI's wire format (every example agent uses OpenAI).
type Message = { role: string; content: unknown; tool_calls?: unknown[] };
const messagesOf = (request: RecordedRequest) => request.body.messages as Message[];
const textOf = (content: unknown) => (typeof content === 'string' ? content : JSON.stringify(content ?? ''));
const systemOf = (request: RecordedRequest) => textOf(messagesOf(request).find((m) => m.role === 'system')?.content);
const userOf = (request: RecordedRequest) => messagesOf(request).filter((m) => m.role === 'user').map((m) => textOf(m.content)).join('\n');
const toolResultsOf = (request: RecordedRequest) => messagesOf(request).filter((m) => m.role === 'tool').map((m) => textOf(m.content));
const toolsOffered = (request: RecordedRequest) =>
  ((request.body.tools as { function: { name: string } }[] | undefined) ?? []).map((tool) => tool.function.name);
const outputAskedFor = (request: RecordedRequest) => (request.body.response_format as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;

test('each example is a code workflow of the config, and input_schema refuses bad input before anything starts', async () => {
  expect(Object.entries(env.config.workflows).map(([name, entry]) => [name, entry.type])).toEqual([
    ['finder', 'code'],
    ['story_report', 'code'],
    ['route_request', 'code'],
    ['story_review', 'code'],
    ['cover_letter', 'code'],
    ['support_desk', 'code'],
    ['plan_trip', 'code'],
    ['read_invoice', 'code'],
  ]);
  await expect(env.start('story_review', { story: '' })).rejects.toThrow(/input\.story/);
  await expect(env.start('support_desk', { customer: 'Ada' })).rejects.toThrow(/input\.message/);
  await expect(env.start('finder', { file: 'a.md', url: 'https://example.com' })).rejects.toThrow(/input_schema of "finder"/);
});

test('finder: the agent lists and reads a file through the filesystem MCP server, then writes a tweet from it', async () => {
  const contents = `# Release notes ${Date.now()}\n\nVersion 2 pauses runs from the Web UI.\n`;
  writeFile('notes.md', contents);
  const asked = recorder();
  env.model.script(modelOf('finder'), [
    { toolCalls: [{ name: 'filesystem-list_directory', arguments: { path: '.' } }] },
    { toolCalls: [{ name: 'filesystem-read_text_file', arguments: { path: 'notes.md' } }] },
    { text: contents },
    { text: 'v2 lets you pause runs from the Web UI. #durable' },
  ]);

  const runId = await start('finder', { file: 'notes.md' });
  const { result, usage } = await completed<FinderResult>(runId);

  expect(result).toEqual({ contents, tweet: 'v2 lets you pause runs from the Web UI. #durable' });
  expect(usage).toMatchObject({ llmCalls: 4, toolCalls: 2 });
  const [list, read, answer, tweet] = asked('finder');
  expect(userOf(list)).toBe('Show me what is in notes.md, verbatim.');
  expect(toolsOffered(list).sort()).toEqual(['filesystem-list_directory', 'filesystem-read_text_file']);
  // The server really listed and read the file this test wrote.
  expect(toolResultsOf(read)).toEqual(['[FILE] notes.md']);
  expect(toolResultsOf(answer)).toEqual(['[FILE] notes.md', contents]);
  // The tweet is a new conversation that carries the contents in its message.
  expect(userOf(tweet)).toBe(`Summarize this in a tweet of at most 128 characters:\n\n${contents}`);
  expect(toolResultsOf(tweet)).toEqual([]);
});

test('orchestrator: a plan over the configured agents, the finder reading the story file, later steps seeing earlier results', async () => {
  const story = `Once upon a time (${Date.now()}) a lighthouse keeper lost her matches in a storm.`;
  writeFile('stories/lighthouse.md', story);
  const asked = recorder();
  const task = (agent: string, description: string) => ({ agent, description });
  const plan = {
    steps: [
      { description: 'Get the story', tasks: [task('finder', 'Show stories/lighthouse.md verbatim.')] },
      {
        description: 'Review it',
        tasks: [task('proofreader', 'Proofread the story.'), task('style_checker', 'Review the style of the story.')],
      },
      { description: 'Report', tasks: [task('writer', 'Write a graded report for the author.')] },
    ],
    is_complete: false,
  };
  env.model.script(PATTERNS_MODEL, [{ json: plan }, { json: { steps: [], is_complete: true } }, { text: 'Grade B: a warm story; fix two commas.' }]);
  env.model.script(modelOf('finder'), [
    { toolCalls: [{ name: 'filesystem-read_text_file', arguments: { path: 'stories/lighthouse.md' } }] },
    { text: story },
  ]);
  env.model.script(modelOf('proofreader'), [{ text: 'Two commas are missing.' }]);
  env.model.script(modelOf('style_checker'), [{ text: 'Short and concrete.' }]);
  env.model.script(modelOf('writer'), [{ text: 'Dear author, B.' }]);

  const runId = await start('story_report', { file: 'stories/lighthouse.md' });
  const { result, usage } = await completed<StoryReport>(runId);

  expect(result).toEqual({
    report: 'Grade B: a warm story; fix two commas.',
    steps: plan.steps,
  });
  expect(usage).toMatchObject({ llmCalls: 8, toolCalls: 1 });

  // The planner saw the objective and the roster, with each agent's description from the config.
  const [planning, replanning, synthesis] = asked('patterns');
  expect(outputAskedFor(planning)).toBe('plan');
  expect(userOf(planning)).toContain('Read the short story in stories/lighthouse.md.');
  expect(userOf(planning)).toContain('finder: Reads local files and reports what they say');
  expect(userOf(planning)).toContain('fact_checker: Checks that what a story claims could be true');
  expect(userOf(replanning)).toContain('Dear author, B.');
  expect(userOf(synthesis)).toContain('Two commas are missing.');
  // The finder read the file through the MCP server; the reviewers got what it found.
  expect(toolResultsOf(asked('finder')[1])).toEqual([story]);
  expect(userOf(asked('proofreader')[0])).toContain(story);
  expect(userOf(asked('style_checker')[0])).toContain(story);
  expect(userOf(asked('writer')[0])).toContain('Two commas are missing.');
  expect(asked('fact_checker')).toEqual([]);
});

test('router: the model ranks the agents by their descriptions and the best one answers', async () => {
  const asked = recorder();
  env.model.script(PATTERNS_MODEL, [
    { json: { categories: [{ category: 'reasoner', confidence: 0.93, reasoning: 'It is an arithmetic word problem.' }] } },
  ]);
  env.model.script(modelOf('reasoner'), [{ text: '3 trains pass each other, so the answer is 3.' }]);

  const request = 'Trains leave every 20 minutes from both ends of a one-hour line. How many do I pass?';
  const runId = await start('route_request', request);
  const { result } = await completed<RoutedAnswer>(runId);

  expect(result).toEqual({
    agent: 'reasoner',
    answer: '3 trains pass each other, so the answer is 3.',
    reasoning: 'It is an arithmetic word problem.',
  });
  const [ranking] = asked('patterns');
  const shown = JSON.stringify(ranking.body);
  for (const description of ['Reads local files and reports what they say', 'Writes reports, summaries and replies', 'Solves logic puzzles']) {
    expect(shown).toContain(description);
  }
  expect(userOf(asked('reasoner')[0])).toContain(request);
  expect(asked('finder')).toEqual([]);
  expect(asked('writer')).toEqual([]);
});

test('parallel: three reviewers asked at the same time, the grader given all three reviews', async () => {
  const asked = recorder();
  const story = 'Biscuit the cat climbed the hundred steps of the lighthouse before Marta, as he allways did.';
  // Each reviewer takes two seconds to answer: had they run one after another, each would be asked
  // at least two seconds after the one before.
  env.model.script(modelOf('proofreader'), [{ text: '"allways" should be "always".', delayMs: 2000 }]);
  env.model.script(modelOf('fact_checker'), [{ text: 'Cats do climb stairs. Nothing wrong.', delayMs: 2000 }]);
  env.model.script(modelOf('style_checker'), [{ text: 'Plain and concrete.', delayMs: 2000 }]);
  env.model.script(modelOf('grader'), [{ text: 'B+\nOne spelling mistake; otherwise clean.' }]);

  const runId = await start('story_review', { story });
  const { result, usage } = await completed<StoryReview>(runId);

  expect(result).toEqual({
    grade: 'B+\nOne spelling mistake; otherwise clean.',
    reviews: { proofreading: '"allways" should be "always".', facts: 'Cats do climb stairs. Nothing wrong.', style: 'Plain and concrete.' },
  });
  expect(usage.llmCalls).toBe(4);
  const reviewers = ['proofreader', 'fact_checker', 'style_checker'].map((agent) => asked(agent)[0]);
  for (const review of reviewers) expect(userOf(review)).toContain(story);
  const arrivals = reviewers.map((review) => review.at);
  expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(1500);
  const grading = userOf(asked('grader')[0]);
  expect(grading).toContain(story);
  expect(grading).toContain('"allways" should be "always".');
  expect(grading).toContain('Cats do climb stairs.');
  expect(grading).toContain('Plain and concrete.');
});

test('evaluator-optimizer: the writer revises with the critic’s feedback until the structured rating is good', async () => {
  const asked = recorder();
  env.model.script(modelOf('cover_letter_writer'), [{ text: 'Dear team, I like computers.' }, { text: 'Dear team, I ran Postgres at scale for five years.' }]);
  env.model.script(modelOf('cover_letter_critic'), [
    { json: { rating: 'fair', feedback: 'Name the database work the posting asks for.' } },
    { json: { rating: 'good', feedback: 'Specific and short.' } },
  ]);

  const runId = await start('cover_letter', { posting: 'Database engineer, Postgres', candidate: 'Five years running Postgres clusters' });
  const { result, usage } = await completed<CoverLetter>(runId);

  expect(result).toEqual({
    letter: 'Dear team, I ran Postgres at scale for five years.',
    rating: 'good',
    rounds: [
      { rating: 'fair', feedback: 'Name the database work the posting asks for.' },
      { rating: 'good', feedback: 'Specific and short.' },
    ],
  });
  expect(usage.llmCalls).toBe(4);
  const [firstRating, secondRating] = asked('cover_letter_critic');
  expect(outputAskedFor(firstRating)).toBe('rating-1');
  expect(systemOf(firstRating)).toContain('You review cover letters as a hiring manager would.');
  expect(userOf(firstRating)).toContain('Dear team, I like computers.');
  expect(userOf(secondRating)).toContain('Dear team, I ran Postgres at scale for five years.');
  const revision = userOf(asked('cover_letter_writer')[1]);
  expect(revision).toContain('Your last letter:\nDear team, I like computers.');
  expect(revision).toContain('rated it fair and said:\nName the database work the posting asks for.');
});

test('swarm: the desk hands the customer to bookings, which reads the change policy through the MCP server', async () => {
  const policy = `# Changes\n\n- A change within 24 hours costs ${Date.now() % 1000} EUR.\n`;
  writeFile('policies/changes.md', policy);
  const asked = recorder();
  env.model.script(modelOf('desk'), [{ toolCalls: [{ name: 'transfer_to_bookings', arguments: {} }] }]);
  env.model.script(modelOf('bookings'), [
    { toolCalls: [{ name: 'filesystem-read_text_file', arguments: { path: 'policies/changes.md' } }] },
    { text: 'Ada, I can move you to the 18:00 flight; the change fee applies.' },
  ]);

  const runId = await start('support_desk', { customer: 'Ada', message: 'Can I take the evening flight tomorrow instead?' });
  const { result, usage } = await completed<SupportAnswer>(runId);

  expect(result).toEqual({ answer: 'Ada, I can move you to the 18:00 flight; the change fee applies.', handledBy: ['desk', 'bookings'] });
  expect(usage).toMatchObject({ llmCalls: 3, toolCalls: 1 });
  const [deskTurn] = asked('desk');
  expect(toolsOffered(deskTurn)).toEqual(['transfer_to_bookings', 'transfer_to_refunds']);
  expect(systemOf(deskTurn)).toContain('"customer": "Ada"');
  // Bookings took over the same conversation, with its own instruction and tools.
  const [bookingsFirst, bookingsSecond] = asked('bookings');
  expect(systemOf(bookingsFirst)).toMatch(/^You change Northwind Air flight bookings\./);
  expect(toolsOffered(bookingsFirst)).toEqual(expect.arrayContaining(['filesystem-read_text_file', 'transfer_to_refunds']));
  expect(userOf(bookingsFirst)).toContain('Can I take the evening flight tomorrow instead?');
  expect(toolResultsOf(bookingsSecond).at(-1)).toBe(policy);
  expect(asked('refunds')).toEqual([]);
});

test('human input: the agent asks the traveller through its tool, the code asks for changes, both answered through the runs client', async () => {
  const asked = recorder();
  env.model.script(modelOf('trip_planner'), [
    { toolCalls: [{ name: 'human_input', arguments: { prompt: 'Which dates, and what do you enjoy?' } }] },
    { text: 'Day 1: Rijksmuseum. Day 2: canals.' },
    { text: 'Day 1: Rijksmuseum. Day 2: canals and the Albert Cuyp market.' },
  ]);

  const runId = await start('plan_trip', 'Two days in Amsterdam');

  // The agent's question, from inside its child workflow, is the run's pending input.
  const question = await env.pendingInput(runId);
  expect(question).toMatchObject({ kind: 'input', prompt: 'Which dates, and what do you enjoy?' });
  await env.runs.provideInput(runId, { requestId: question.requestId, value: 'May 3 to 4; museums and food.' });

  // Then the workflow's own question, with the plan in it.
  const review = await env.pendingInput(runId);
  expect(review.kind).toBe('input');
  expect(review.prompt).toContain('Day 1: Rijksmuseum. Day 2: canals.');
  expect(review.prompt).toContain('Anything to change?');
  await env.runs.provideInput(runId, { value: 'Add a food market on day 2.' });

  const { result } = await completed<TripPlan>(runId);
  expect(result).toEqual({ plan: 'Day 1: Rijksmuseum. Day 2: canals and the Albert Cuyp market.', changes: 'Add a food market on day 2.' });
  const [first, second, revision] = asked('trip_planner');
  expect(toolsOffered(first)).toContain('human_input');
  expect(toolResultsOf(second)).toEqual(['May 3 to 4; museums and food.']);
  expect(userOf(revision)).toContain('The traveller wants: Add a food market on day 2.');
});

test('structured output: an invoice as typed data, repaired once when the model’s first answer does not match the schema', async () => {
  const asked = recorder();
  const invoice = {
    seller: 'Kessel Point Books',
    date: '2026-03-14',
    currency: 'EUR',
    lines: [
      { description: 'Paperback', quantity: 2, unitPrice: 12.5 },
      { description: 'Bookmark', quantity: 3, unitPrice: 1.2 },
    ],
    statedTotal: 28.6,
  };
  env.model.script(modelOf('extractor'), [
    // Quantities as words and no currency: not the schema's shape.
    { json: { ...invoice, currency: undefined, lines: [{ description: 'Paperback', quantity: 'two', unitPrice: 12.5 }] } },
    { json: invoice },
  ]);

  const runId = await start('read_invoice', 'Kessel Point Books, 14 March 2026. 2 x Paperback @ 12.50; 3 x Bookmark @ 1.20. Total EUR 28.60');
  const { result } = await completed<ReadInvoice>(runId);

  // Typed: the example's own ReadInvoice, so this reads as code that uses the value.
  const paperback: number = result.invoice.lines[0].unitPrice * result.invoice.lines[0].quantity;
  expect(paperback).toBe(25);
  expect(result).toEqual({ invoice, computedTotal: 28.6, totalMatches: true });
  const [first, repair] = asked('extractor');
  expect(outputAskedFor(first)).toBe('invoice');
  expect(JSON.stringify(first.body.response_format)).toContain('unitPrice');
  expect(userOf(first)).toContain('2 x Paperback @ 12.50');
  // The repair turn shows the model its answer and what was wrong with it.
  const told = textOf(messagesOf(repair).at(-1)?.content);
  expect(told).toContain('- currency: Invalid input: expected string');
  expect(told).toContain('- lines[0].quantity: Invalid input: expected number');
});

test('every example run replays on the examples’ code', async () => {
  expect(runIds).toHaveLength(8);
  const histories = await Promise.all(
    runIds.map(async (workflowId) => ({ workflowId, history: await env.temporal.client.workflow.getHandle(workflowId).fetchHistory() })),
  );
  expect(await replayHistories(env.config, histories)).toEqual(runIds.map((workflowId) => ({ workflowId })));
});
