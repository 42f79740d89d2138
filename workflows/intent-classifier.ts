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
import type { ResolvedIntentClassifier, WorkflowInput } from '../src/spec/schema';
import { embedActivity } from './activities';
import type { RunUsage } from './definitions';
import { runToCompletion } from './lifecycle';
import { RunControl } from './run-control';
import { generateStructured } from './structured';

export interface IntentClassifierResult {
  /** The most likely intent's name, or that none matched. */
  text: string;
  /** Most likely first; empty when no intent matched. */
  intents: IntentMatch[];
  usage: RunUsage;
}

export async function intentClassifierWorkflow(
  args: WorkflowInput<ResolvedIntentClassifier>,
): Promise<IntentClassifierResult> {
  const control = new RunControl(args.name, 'intent_classifier');
  return runToCompletion(control, () => classify(args, control));
}

async function classify(args: WorkflowInput<ResolvedIntentClassifier>, control: RunControl): Promise<IntentClassifierResult> {
  const { spec } = args;
  const request = asText(args.input);
  control.setStep(`classifying among ${spec.intents.length} intents`);
  await control.checkpoint();
  const intents =
    spec.method === 'llm' ? await classifyWithModel(spec, request, control) : await classifyWithEmbeddings(spec, request);
  return { text: intents[0]?.name ?? NO_INTENT_TEXT, intents, usage: control.totalUsage() };
}

async function classifyWithModel(spec: ResolvedIntentClassifier, request: string, control: RunControl): Promise<IntentMatch[]> {
  const reply = await generateStructured({
    schema: classificationSchema(spec.intents.map((intent) => intent.name)),
    name: 'intents',
    description: 'The intents the request has',
    request: classificationRequest(spec, request),
    summary: `intent classifier · llm ${spec.llm.provider}/${spec.llm.model}`,
    onUsage: (usage) => control.recordLlmCall(usage),
  });
  return intentsFromReply(reply, { topK: spec.top_k, threshold: spec.threshold });
}

/**
 * Intent texts and request are embedded by separate calls, at once: the worker caches the
 * intents' vectors, so after the first run only the request reaches the provider.
 */
async function classifyWithEmbeddings(spec: ResolvedIntentClassifier, request: string): Promise<IntentMatch[]> {
  const { provider, model } = spec.embedding;
  const texts = intentTexts(spec.intents);
  const [textVectors, requestVectors] = await Promise.all([
    embedActivity(`intent classifier · embed ${spec.intents.length} intents`)({
      provider,
      model,
      texts: texts.map(({ text }) => text),
      purpose: 'document',
    }),
    embedActivity('intent classifier · embed request')({ provider, model, texts: [request], purpose: 'query' }),
  ]);
  return intentsBySimilarity(texts, textVectors.vectors, requestVectors.vectors[0], {
    topK: spec.top_k,
    threshold: spec.threshold,
  });
}
