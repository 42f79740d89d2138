import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** One execution of a run's continue-as-new chain, as Temporal describes it. */
export interface ExecutionSize {
  runId: string;
  /** Bytes of the execution's history, as the server counts them. */
  historySize: number;
  /** Events in the execution's history. */
  historyLength: number;
}

const CLOSE_EVENT = temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;

/**
 * Every execution of the chain that starts with `firstRunId`, oldest first, with its history size:
 * what a long conversation costs Temporal in all. Each execution's close event names the next.
 */
export async function executionSizes(client: Client, workflowId: string, firstRunId: string): Promise<ExecutionSize[]> {
  const sizes: ExecutionSize[] = [];
  for (let runId: string | undefined = firstRunId; runId; ) {
    const description = await client.workflow.getHandle(workflowId, runId).describe();
    sizes.push({ runId, historySize: description.historySize ?? 0, historyLength: description.historyLength });
    if (description.status.name !== 'CONTINUED_AS_NEW') break;
    const close: temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      historyEventFilterType: CLOSE_EVENT,
    });
    runId = close.history?.events?.[0]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return sizes;
}
