import { asText } from '../src/patterns/nodes';
import {
  classificationRequest,
  classificationSchema,
  intentsBySimilarity,
  intentsFromReply,
  intentTexts,
  NO_INTENT_TEXT,
  type IntentMatch,
} from '../src/patterns/intent-classifier';
import type { ResolvedIntentClassifier } from '../src/spec/schema';
import { workflow, type RunContext, type RunUsage } from '../src/workflow';

export interface IntentClassifierResult {
  /** The most likely intent's name, or that none matched. */
  text: string;
  /** Most likely first; empty when no intent matched. */
  intents: IntentMatch[];
  usage: RunUsage;
}

export const intentClassifierWorkflow = workflow(classify, { pattern: 'intent_classifier' });

type ClassifierRun = RunContext<unknown, ResolvedIntentClassifier>;

async function classify(run: ClassifierRun): Promise<IntentClassifierResult> {
  const { spec } = run;
  const request = asText(run.input);
  run.step(`classifying among ${spec.intents.length} intents`);
  await run.checkpoint();
  const intents = spec.method === 'llm' ? await classifyWithModel(run, request) : await classifyWithEmbeddings(run, request);
  return { text: intents[0]?.name ?? NO_INTENT_TEXT, intents, usage: run.usage() };
}

async function classifyWithModel(run: ClassifierRun, request: string): Promise<IntentMatch[]> {
  const { spec } = run;
  const reply = await run.model(spec.llm).generateStructured(classificationRequest(spec, request), classificationSchema(spec.intents.map((intent) => intent.name)), {
    name: 'intents',
    description: 'The intents the request has',
    role: 'intent classifier',
  });
  return intentsFromReply(reply, { topK: spec.top_k, threshold: spec.threshold });
}

/**
 * Intent texts and request are embedded by separate calls, at once: the worker caches the
 * intents' vectors, so after the first run only the request reaches the provider.
 */
async function classifyWithEmbeddings(run: ClassifierRun, request: string): Promise<IntentMatch[]> {
  const { spec } = run;
  const { provider, model } = spec.embedding;
  const texts = intentTexts(spec.intents);
  const [textVectors, [requestVector]] = await Promise.all([
    run.embed(
      texts.map(({ text }) => text),
      { provider, model, purpose: 'document', role: `intent classifier · embed ${spec.intents.length} intents` },
    ),
    run.embed([request], { provider, model, purpose: 'query', role: 'intent classifier · embed request' }),
  ]);
  return intentsBySimilarity(texts, textVectors, requestVector, { topK: spec.top_k, threshold: spec.threshold });
}
