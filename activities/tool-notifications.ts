import { Context } from '@temporalio/activity';
import type { LoggingMessageNotification, Progress } from '@modelcontextprotocol/sdk/types.js';
import type { DeltaPublisher } from '../src/streaming/nats';

/**
 * What an MCP server tells us about a tool call while it runs (`notifications/progress` and
 * `notifications/message`): the latest progress goes into the activity's heartbeat details (the
 * Web UI's pending activity, `temporal workflow describe`), and with streaming on, each
 * notification is a live `tool_progress` or `tool_log` event on the run's event streams.
 */
export interface ToolNotifications {
  onProgress(progress: Progress): void;
  onLog(message: LoggingMessageNotification['params']): void;
  /** The latest progress, for each heartbeat; undefined before the first. */
  details(): Progress | undefined;
}

export function toolNotifications(server: string, tool: string, live: DeltaPublisher | undefined): ToolNotifications {
  const context = Context.current();
  const { workflowExecution, activityId, attempt } = context.info;
  // No run, no run events (an activity started on its own).
  const publish = workflowExecution ? live : undefined;
  const call = { runId: workflowExecution?.workflowId ?? '', activityId, attempt, server, tool };
  let latest: Progress | undefined;
  return {
    onProgress(progress) {
      latest = { progress: progress.progress, ...(progress.total !== undefined && { total: progress.total }), ...(progress.message && { message: progress.message }) };
      context.heartbeat(latest);
      publish?.toolEvent({ type: 'tool_progress', at: new Date().toISOString(), data: { ...call, ...latest } });
    },
    onLog(params) {
      const message = typeof params.data === 'string' ? params.data : JSON.stringify(params.data);
      publish?.toolEvent({
        type: 'tool_log',
        at: new Date().toISOString(),
        data: { ...call, level: params.level, ...(params.logger && { logger: params.logger }), message },
      });
    },
    details: () => latest,
  };
}
