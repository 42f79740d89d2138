import { ApplicationFailure } from '@temporalio/common';
import { type EmbedInput } from '../../activities/contracts';
import { FailureTypes } from '../failure-types';

/**
 * A provider's vectors, checked before they reach the cache: a short or malformed answer would
 * otherwise pair texts with the wrong vectors. Retrying would most likely get the same answer.
 */
export function checkedVectors(provider: EmbedInput['provider'], vectors: unknown, expected: number): number[][] {
  if (!Array.isArray(vectors)) throw malformedReply(provider, 'no embeddings in the reply');
  if (vectors.length !== expected) {
    throw malformedReply(provider, `${vectors.length} embeddings for ${expected} texts`);
  }
  vectors.forEach((vector: unknown, index) => {
    if (!isVector(vector)) throw malformedReply(provider, `embedding ${index} is not a list of numbers`);
  });
  return vectors as number[][];
}

export function malformedReply(provider: EmbedInput['provider'], reason: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.ProviderReplyMalformed,
    message: `${provider} embeddings reply unusable: ${reason}`,
    nonRetryable: true,
    details: [{ provider }],
  });
}

function isVector(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === 'number' && Number.isFinite(x));
}
