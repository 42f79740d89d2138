import { z } from 'zod';
import type { LlmRequest } from '../llm/messages';
import type { Intent, ResolvedIntentClassifier } from '../spec/schema';
import { bestMatches } from './ranking';
import { rankBySimilarity, type RankOptions } from './similarity';

/**
 * The intent classifier's pure side: how the model is asked, how its reply and embedding
 * similarities become a ranking of intents.
 */

/** One intent the request may express. */
export interface IntentMatch {
  name: string;
  /** The model's confidence (llm method) or the best cosine similarity to the intent's texts (embedding method). */
  score: number;
  /** Why the model chose the intent (llm method). */
  reasoning?: string;
  /** Values the model found in the request, by entity name (llm method). */
  entities?: Record<string, string>;
}

export const NO_INTENT_TEXT = 'No intent matched the request.';

const MAX_CLASSIFIER_TOKENS = 2048;

export function classificationSystemPrompt(intents: readonly Intent[], topK: number): string {
  const listing = intents.flatMap((intent) => [
    `- ${intent.name}: ${intent.description || 'no description'}`,
    ...intent.examples.map((example) => `    e.g. "${example}"`),
  ]);
  return [
    'You tell what a request is asking for. Match it against these intents, using their descriptions and examples:',
    '',
    ...listing,
    '',
    `Return at most ${topK} intent${topK === 1 ? '' : 's'}, most likely first. For each, give its name exactly as listed,`,
    'your confidence from 0 (certainly not) to 1 (certainly), a short reason, and the entities the request',
    'mentions that matter for the intent (such as an order number, a date or a place) as name-value pairs.',
    'Leave out intents that do not fit; if none fits, return an empty list.',
  ].join('\n');
}

/**
 * What the model must return. The names are an enum, so the model sees them in the schema, and a
 * name that is not an intent fails validation and gets the model a repair turn.
 */
export function classificationSchema(names: readonly string[]) {
  return z.object({
    intents: z
      .array(
        z.object({
          intent: z.enum(names).describe('An intent name, exactly as listed'),
          confidence: z.number().min(0).max(1).describe('0 = certainly not, 1 = certainly'),
          reasoning: z.string().describe('Why the request has this intent, in a sentence'),
          entities: z
            .record(z.string(), z.string())
            .default({})
            .describe('Entities the request mentions, e.g. {"order_id": "A-17"}'),
        }),
      )
      .describe('The intents the request has, most likely first; empty when none fits'),
  });
}

export type ClassificationReply = z.infer<ReturnType<typeof classificationSchema>>;

export function classificationRequest(
  spec: Pick<ResolvedIntentClassifier, 'llm' | 'top_k' | 'intents'>,
  request: string,
): Omit<LlmRequest, 'output'> {
  return {
    provider: spec.llm.provider,
    model: spec.llm.model,
    system: classificationSystemPrompt(spec.intents, spec.top_k),
    messages: [{ role: 'user', content: request }],
    tools: [],
    maxTokens: MAX_CLASSIFIER_TOKENS,
  };
}

/** The model's intents: most likely first, each once, above the threshold, at most top-k. */
export function intentsFromReply(reply: ClassificationReply, options: RankOptions): IntentMatch[] {
  const scored = reply.intents.map(({ intent, confidence, reasoning, entities }) => ({
    name: intent,
    score: confidence,
    reasoning,
    entities,
  }));
  return bestMatches(scored, options);
}

/** A text embedded for an intent; an intent has several (its description and each example). */
export interface IntentText {
  intent: string;
  text: string;
}

/** The description and every example, each embedded on its own; the name when there is neither. */
export function intentTexts(intents: readonly Intent[]): IntentText[] {
  return intents.flatMap((intent) => {
    const texts = [intent.description, ...intent.examples].filter((text) => text.trim() !== '');
    return (texts.length > 0 ? texts : [intent.name]).map((text) => ({ intent: intent.name, text }));
  });
}

/**
 * Intents ranked by similarity to the request: an intent scores as its closest text, so one
 * example that matches well is enough.
 */
export function intentsBySimilarity(
  texts: readonly IntentText[],
  textVectors: readonly number[][],
  requestVector: number[],
  options: RankOptions,
): IntentMatch[] {
  const vectors = texts.map(({ intent }, index) => ({ name: intent, vector: textVectors[index] }));
  const every = rankBySimilarity(requestVector, vectors, { topK: vectors.length });
  return bestMatches(every, options);
}
