import {
  classificationRequest,
  classificationSchema,
  intentsBySimilarity,
  intentsFromReply,
  intentTexts,
  type ClassificationReply,
} from '../../src/patterns/intent-classifier';
import { outputJsonSchema } from '../../src/patterns/structured';
import type { Intent } from '../../src/spec/schema';

const intents: Intent[] = [
  { name: 'order_status', description: 'Where an order is', examples: ['Where is my parcel?', 'Has order A-1 shipped?'] },
  { name: 'refund', description: 'Money back for an order', examples: [] },
  { name: 'greeting', description: '', examples: [] },
];

describe('classifying with a model', () => {
  it('shows the model every intent with its description and examples, and the request as the user turn', () => {
    const request = classificationRequest(
      { intents, top_k: 2, llm: { provider: 'openai', model: 'classifier' } },
      'Where is order A-1?',
    );
    expect(request).toMatchObject({ provider: 'openai', model: 'classifier', tools: [], maxTokens: 2048 });
    expect(request.messages).toEqual([{ role: 'user', content: 'Where is order A-1?' }]);
    expect(request.system).toContain('- order_status: Where an order is\n    e.g. "Where is my parcel?"\n    e.g. "Has order A-1 shipped?"');
    expect(request.system).toContain('- refund: Money back for an order');
    expect(request.system).toContain('- greeting: no description');
    expect(request.system).toContain('at most 2 intents');
  });

  it('offers the intent names as an enum, refuses others, and lets entities be left out', () => {
    const schema = classificationSchema(intents.map((i) => i.name));
    expect(JSON.stringify(outputJsonSchema(schema))).toContain('"enum":["order_status","refund","greeting"]');
    expect(schema.safeParse({ intents: [{ intent: 'weather', confidence: 0.5, reasoning: '' }] }).success).toBe(false);
    expect(schema.parse({ intents: [{ intent: 'refund', confidence: 0.5, reasoning: 'r' }] })).toEqual({
      intents: [{ intent: 'refund', confidence: 0.5, reasoning: 'r', entities: {} }],
    });
    expect(schema.safeParse({ intents: [{ intent: 'refund', confidence: 0.5, reasoning: 'r', entities: { id: 7 } }] }).success).toBe(false);
  });

  it('ranks the intents most likely first, once each, above the threshold, at most top-k', () => {
    const reply: ClassificationReply = {
      intents: [
        { intent: 'refund', confidence: 0.3, reasoning: 'maybe', entities: {} },
        { intent: 'order_status', confidence: 0.9, reasoning: 'asks where', entities: { order_id: 'A-1' } },
        { intent: 'greeting', confidence: 0.2, reasoning: 'no', entities: {} },
      ],
    };
    expect(intentsFromReply(reply, { topK: 2 })).toEqual([
      { name: 'order_status', score: 0.9, reasoning: 'asks where', entities: { order_id: 'A-1' } },
      { name: 'refund', score: 0.3, reasoning: 'maybe', entities: {} },
    ]);
    expect(intentsFromReply(reply, { topK: 3, threshold: 0.95 })).toEqual([]);
  });
});

describe('classifying by embeddings', () => {
  it('embeds the description and each example on its own, the name when there is neither', () => {
    expect(intentTexts(intents)).toEqual([
      { intent: 'order_status', text: 'Where an order is' },
      { intent: 'order_status', text: 'Where is my parcel?' },
      { intent: 'order_status', text: 'Has order A-1 shipped?' },
      { intent: 'refund', text: 'Money back for an order' },
      { intent: 'greeting', text: 'greeting' },
    ]);
  });

  it('scores an intent by its closest text', () => {
    const texts = intentTexts(intents);
    const vectors = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0.6, 0.8],
      [0.8, 0.6, 0],
      [0, 0, 1],
    ];
    expect(intentsBySimilarity(texts, vectors, [0, 1, 0], { topK: 3 })).toEqual([
      { name: 'order_status', score: 1 },
      { name: 'refund', score: 0.6 },
      { name: 'greeting', score: 0 },
    ]);
    expect(intentsBySimilarity(texts, vectors, [0, 0, 1], { topK: 1 })).toEqual([{ name: 'greeting', score: 1 }]);
    expect(intentsBySimilarity(texts, vectors, [0, 1, 0], { topK: 3, threshold: 0.7 })).toEqual([{ name: 'order_status', score: 1 }]);
  });
});
