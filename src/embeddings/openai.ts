import { openAiClient, type ProviderSettings } from '../llm/clients';
import { providerFailure } from '../llm/errors';
import { checkedVectors, malformedReply } from './vectors';

/** Well under OpenAI's 2,048 inputs per request, so long descriptions stay under its token cap too. */
export const OPENAI_EMBEDDING_BATCH_SIZE = 256;

/**
 * One request's vectors, in the order of `texts`. Asks for floats: the SDK otherwise requests
 * base64, which not every OpenAI-compatible server speaks. Throws Temporal failures, or the SDK's
 * own error when `signal` aborted the request.
 */
export async function openAiEmbeddings(
  settings: ProviderSettings,
  model: string,
  texts: string[],
  signal: AbortSignal,
): Promise<number[][]> {
  const reply = await openAiClient(settings)
    .embeddings.create({ model, input: texts, encoding_format: 'float' }, { signal })
    .catch((error: unknown) => {
      throw providerFailure('openai', error) ?? error;
    });
  return checkedVectors('openai', inIndexOrder(reply.data ?? []), texts.length);
}

/** The API numbers each embedding with its input's index and does not promise to keep the order. */
function inIndexOrder(data: ReadonlyArray<{ index: number; embedding: unknown }>): unknown[] {
  const ordered: unknown[] = [];
  for (const { index, embedding } of data) {
    if (!Number.isInteger(index) || index < 0 || index >= data.length || ordered[index] !== undefined) {
      throw malformedReply('openai', `embedding index ${index} out of place`);
    }
    ordered[index] = embedding;
  }
  return ordered;
}
