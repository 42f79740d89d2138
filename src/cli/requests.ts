import { z } from 'zod';
import type { Run } from '../../client/run-view';
import type { PendingInput } from '../../workflows/definitions';

/**
 * The requests a run waits on, as `watch`, `run --wait` and `chat` follow them. A run may wait on
 * several at once (parallel tool calls, two children of a composed run asking together), and its
 * events have one `input_requested` for each: each event is about its own request, found by its
 * requestId, never the Run's first pending one.
 */

const announcedData = z.object({
  requestId: z.string(),
  kind: z.enum(['input', 'approval', 'elicitation']),
  prompt: z.string().optional(),
  tool: z.string().optional(),
  args: z.string().optional(),
  schema: z.record(z.string(), z.unknown()).optional(),
});

/** A JSON object an event previews, unless the preview was cut. */
function previewedObject(preview: string | undefined): Record<string, unknown> | undefined {
  if (preview === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(preview);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The request an input_requested event announces, as far as the event says (a long prompt is cut,
 * a tool call's arguments are a preview); the Run has it whole while it waits. Undefined for an
 * event that names no request.
 */
export function announcedRequest(data: Record<string, unknown>): PendingInput | undefined {
  const parsed = announcedData.safeParse(data);
  if (!parsed.success) return undefined;
  const { requestId, kind, prompt, tool, schema } = parsed.data;
  const args = previewedObject(parsed.data.args);
  return {
    requestId,
    kind,
    prompt: prompt ?? '',
    ...(tool !== undefined && { tool }),
    ...(args !== undefined && { args }),
    ...(schema !== undefined && { schema }),
  };
}

/** Every request the run waits on: its pendingInputs, or its pendingInput from an API without that list. */
export function waitingRequests(run: Run): PendingInput[] {
  return run.pendingInputs ?? (run.pendingInput ? [run.pendingInput] : []);
}

/** The request with this id, if the run still waits on it. */
export function waitingRequest(run: Run, requestId: string): PendingInput | undefined {
  return waitingRequests(run).find((request) => request.requestId === requestId);
}
