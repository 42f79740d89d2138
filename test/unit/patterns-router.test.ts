import {
  candidateNamed,
  candidateText,
  routeCandidates,
  routesBySimilarity,
  routesFromReply,
  routingRequest,
  routingSchema,
  serverAgent,
  type RouteCandidate,
} from '../../src/patterns/router';
import { outputJsonSchema } from '../../src/patterns/structured';
import { agentDefinitionSchema, type ResolvedAgent, type ResolvedParallel, type ResolvedRouter } from '../../src/spec/schema';

const llm = { provider: 'anthropic' as const, model: 'router-model' };

function agent(name: string, extra: Partial<ResolvedAgent> = {}): ResolvedAgent {
  return { ...agentDefinitionSchema.parse({ instruction: `You are ${name}.` }), name, provider: 'openai', model: 'm', ...extra };
}

const spec: Pick<ResolvedRouter, 'agents' | 'servers' | 'functions' | 'llm' | 'top_k'> = {
  agents: [
    { kind: 'agent', name: 'billing', agent: agent('billing', { description: 'Invoices and refunds' }) },
    { kind: 'agent', name: 'support', agent: agent('support') },
    { kind: 'pattern', name: 'research', spec: { type: 'parallel', fan_out: [] } },
    { kind: 'function', name: 'faq', function: 'answer_faq' },
  ],
  servers: [{ name: 'weather', description: 'Forecasts by city' }],
  functions: [{ name: 'lookup_order', description: 'Finds an order by id' }],
  llm,
  top_k: 2,
};

describe('routeCandidates', () => {
  it('lists agents and patterns, then servers, then functions, each with what it is for', () => {
    expect(routeCandidates(spec).map(({ name, kind, description }) => ({ name, kind, description }))).toEqual([
      { name: 'billing', kind: 'agent', description: 'Invoices and refunds' },
      { name: 'support', kind: 'agent', description: 'You are support.' },
      { name: 'research', kind: 'pattern', description: 'a parallel workflow' },
      { name: 'faq', kind: 'function', description: 'the function answer_faq' },
      { name: 'weather', kind: 'server', description: 'Forecasts by city' },
      { name: 'lookup_order', kind: 'function', description: 'Finds an order by id' },
    ]);
  });

  it('hands each route the node that runs it: nodes as they are, servers as an agent, functions by name', () => {
    const candidates = routeCandidates(spec);
    expect(candidateNamed(candidates, 'billing').node).toBe(spec.agents[0]);
    expect(candidateNamed(candidates, 'research').node).toBe(spec.agents[2]);
    expect(candidateNamed(candidates, 'weather').node).toEqual({
      kind: 'agent',
      name: 'weather',
      agent: serverAgent('weather', 'Forecasts by city', llm),
    });
    expect(candidateNamed(candidates, 'lookup_order').node).toEqual({ kind: 'function', name: 'lookup_order', function: 'lookup_order' });
    expect(() => candidateNamed(candidates, 'nowhere')).toThrow('"nowhere" is not one of');
  });

  it("uses a nested pattern's own description when it carries one", () => {
    // Resolved specs do not declare a description; one that carries it anyway is used.
    const described = { type: 'parallel', fan_out: [], description: 'Asks three researchers at once' } as ResolvedParallel;
    const [candidate] = routeCandidates({ ...spec, agents: [{ kind: 'pattern', name: 'research', spec: described }], servers: [], functions: [] });
    expect(candidate.description).toBe('Asks three researchers at once');
  });

  it('describes a nested agent pattern by its agent', () => {
    const [candidate] = routeCandidates({
      ...spec,
      agents: [{ kind: 'pattern', name: 'helper', spec: { type: 'agent', agent: agent('helper', { description: 'Helps out' }) } }],
      servers: [],
      functions: [],
    });
    expect(candidate).toMatchObject({ name: 'helper', kind: 'pattern', description: 'Helps out' });
  });

  it('tells apart two kinds of route sharing a name, and counts a route listed twice once', () => {
    const candidates = routeCandidates({
      ...spec,
      agents: [{ kind: 'agent', name: 'weather', agent: agent('weather') }],
      servers: [
        { name: 'weather', description: 'Forecasts by city' },
        { name: 'weather', description: 'Forecasts by city' },
      ],
      functions: [],
    });
    expect(candidates.map(({ name, kind }) => ({ name, kind }))).toEqual([
      { name: 'weather', kind: 'agent' },
      { name: 'server:weather', kind: 'server' },
    ]);
  });
});

describe('serverAgent', () => {
  it('is an agent with every default filled, the server as its only tools, and the router’s model', () => {
    expect(serverAgent('weather', 'Forecasts by city', llm)).toEqual({
      name: 'weather',
      instruction: 'Use the tools of weather to handle the request.',
      description: 'Forecasts by city',
      servers: ['weather'],
      provider: 'anthropic',
      model: 'router-model',
      max_iterations: 10,
      max_tokens: 4096,
      human_input: false,
      approve_tools: [],
      input_timeout_seconds: 86_400,
      handoffs: [],
      functions: [],
    });
    expect(serverAgent('bare', '', llm)).not.toHaveProperty('description');
    // The same defaults as a configured agent's, which the schema fills.
    const configured = agentDefinitionSchema.parse({ instruction: 'x', servers: ['weather'] });
    const { instruction: _instruction, servers: _servers, ...defaults } = configured;
    expect(serverAgent('weather', '', llm)).toMatchObject(defaults);
  });
});

describe('routing with a model', () => {
  const candidates = routeCandidates(spec);

  it('shows the model every route with its kind and description, and the request as the user turn', () => {
    const request = routingRequest(spec, candidates, 'My invoice is wrong');
    expect(request).toMatchObject({ provider: 'anthropic', model: 'router-model', tools: [], maxTokens: 2048 });
    expect(request.messages).toEqual([{ role: 'user', content: 'My invoice is wrong' }]);
    expect(request.system).toContain('- billing [agent (a model with its own instructions and tools)]: Invoices and refunds');
    expect(request.system).toContain('- weather [MCP server (a set of tools)]: Forecasts by city');
    expect(request.system).toContain('- lookup_order [function (plain code)]: Finds an order by id');
    expect(request.system).toContain('at most 2 destinations');
  });

  it('offers the route names as an enum and refuses any other name', () => {
    const schema = routingSchema(candidates.map((c) => c.name));
    const json = JSON.stringify(outputJsonSchema(schema));
    expect(json).toContain('"enum":["billing","support","research","faq","weather","lookup_order"]');
    const reply = { categories: [{ category: 'refunds', confidence: 0.9, reasoning: 'money' }] };
    const parsed = schema.safeParse(reply);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].path).toEqual(['categories', 0, 'category']);
    expect(schema.safeParse({ categories: [{ category: 'billing', confidence: 1.5, reasoning: 'x' }] }).success).toBe(false);
    expect(schema.safeParse({ categories: [] }).success).toBe(true);
  });

  it('ranks the choices best first, once each, above the threshold, at most top-k', () => {
    const reply = {
      categories: [
        { category: 'support', confidence: 0.4, reasoning: 'maybe' },
        { category: 'billing', confidence: 0.95, reasoning: 'invoice' },
        { category: 'support', confidence: 0.6, reasoning: 'second thought' },
        { category: 'weather', confidence: 0.1, reasoning: 'no' },
      ],
    };
    expect(routesFromReply(reply, candidates, { topK: 2 })).toEqual([
      { name: 'billing', kind: 'agent', score: 0.95, reasoning: 'invoice' },
      { name: 'support', kind: 'agent', score: 0.6, reasoning: 'second thought' },
    ]);
    expect(routesFromReply(reply, candidates, { topK: 5, threshold: 0.97 })).toEqual([]);
    expect(routesFromReply({ categories: [] }, candidates, { topK: 1 })).toEqual([]);
  });
});

describe('routing by embeddings', () => {
  const candidates: RouteCandidate[] = routeCandidates({ ...spec, agents: spec.agents.slice(0, 2), functions: [] });

  it('embeds each route as its name and description', () => {
    expect(candidates.map(candidateText)).toEqual([
      'billing: Invoices and refunds',
      'support: You are support.',
      'weather: Forecasts by city',
    ]);
    expect(candidateText({ ...candidates[0], description: '' })).toBe('billing');
  });

  it('ranks routes by cosine similarity to the request, with their kinds', () => {
    const vectors = [
      [1, 0],
      [0.6, 0.8],
      [0, 1],
    ];
    expect(routesBySimilarity(candidates, vectors, [0, 1], { topK: 2 })).toEqual([
      { name: 'weather', kind: 'server', score: 1 },
      { name: 'support', kind: 'agent', score: 0.8 },
    ]);
    expect(routesBySimilarity(candidates, vectors, [0, 1], { topK: 3, threshold: 0.9 }).map((r) => r.name)).toEqual(['weather']);
  });
});
