import { workflowInfo } from '@temporalio/workflow';
import { DEFAULT_HISTORY_LIMIT_BYTES } from '../src/spec/constants';
import type { ResolvedLoop } from '../src/spec/schema';

/** True once this execution's history should hand over to a new one (or Temporal suggests so). */
export function historyIsLarge(spec: ResolvedLoop): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historySize > (spec.history_limit_bytes ?? DEFAULT_HISTORY_LIMIT_BYTES);
}
