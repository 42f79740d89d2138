import { ActivityFailure, isCancellation } from '@temporalio/workflow';
import type { CallFunctionResult } from '../activities/contracts';
import type { ImageRef, StoredText, ToolCall, ToolResultMessage } from '../src/llm/messages';
import { matchesAny } from '../src/mcp/naming';
import { functionResultText, functionSummary, notRunnableToolText, routeToolCall, toolSummary, unknownToolText } from '../src/patterns/agent';
import {
  answerText,
  approvalDecisionSchema,
  approvalPrompt,
  denialText,
  humanInputPrompt,
  noAnswerText,
} from '../src/patterns/human-input';
import { runsLocally } from '../src/spec/local-calls';
import type { ResolvedAgent } from '../src/spec/schema';
import { callFunctionActivity, mcpCallToolActivity } from './activities';
import type { RunControl } from './run-control';

/**
 * One tool call of a model turn, as the agent loop and the swarm both run it: the human_input tool,
 * the approval a person gives first when the agent's `approve_tools` names the tool, then the MCP
 * tool or config function as an activity (a local activity for a server or function marked
 * `local: true`). Whatever goes wrong on the tool's side is an answer for the model, never a
 * failure of the run.
 */

export interface ToolCallScope {
  /** The agent that made the call: its servers, functions, human_input and approve_tools apply. */
  agent: ResolvedAgent;
  /** The tool names the turn offered; anything else is an unknown tool. */
  offered: readonly string[];
  control: RunControl;
  /** The swarm's context variables, which a function sees and may change; a plain agent has none. */
  contextVariables?: Record<string, unknown>;
}

export interface ToolCallOutcome {
  message: ToolResultMessage;
  /** Set when a function ran: the swarm takes context variables and transfers from it. */
  functionReply?: CallFunctionResult;
}

/**
 * A call whose wait for input the previous run left open (InputDeferred) names the request, so
 * this run waits on the same one.
 */
export interface DeferredCall {
  call: ToolCall;
  requestId?: string;
}

export async function runToolCall(call: ToolCall, scope: ToolCallScope, resume?: string): Promise<ToolCallOutcome> {
  const { agent, offered, control } = scope;
  const result = (content: string, isError: boolean, stored?: StoredText, images?: ImageRef[]): ToolCallOutcome => ({
    message: { role: 'tool', toolCallId: call.id, name: call.name, content, isError, ...(stored && { stored }), ...(images && { images }) },
  });
  const route = routeToolCall(call.name, offered, agent.servers, agent.human_input, agent.functions ?? []);
  const timeout = agent.input_timeout_seconds;

  if (route.kind === 'unknown') return result(unknownToolText(call.name, offered), true);
  if (route.kind === 'not_runnable') return result(notRunnableToolText(call.name), true);

  if (route.kind === 'human_input') {
    const outcome = await control.requestInput({ kind: 'input', prompt: humanInputPrompt(call.arguments) }, timeout, resume);
    return outcome.answered ? result(answerText(outcome.value), false) : result(noAnswerText('input', timeout), true);
  }

  if (matchesAny(agent.approve_tools, call.name)) {
    const outcome = await control.requestInput(
      { kind: 'approval', prompt: approvalPrompt(call.name), tool: call.name, args: call.arguments },
      timeout,
      resume,
    );
    if (!outcome.answered) return result(noAnswerText('approval', timeout, call.name), true);
    const decision = approvalDecisionSchema.parse(outcome.value);
    if (!decision.approved) return result(denialText(call.name, decision.reason), true);
  }

  const paused = control.checkpoint();
  if (paused) await paused;
  if (route.kind === 'function') {
    const reply = await callFunctionActivity(functionSummary(route.name), runsLocally(agent, { function: route.name }))({
      name: route.name,
      args: call.arguments,
      ...(scope.contextVariables !== undefined && { contextVariables: scope.contextVariables }),
    });
    control.recordToolCall();
    return { ...result(functionResultText(reply), reply.isError), functionReply: reply };
  }
  const local = runsLocally(agent, { server: route.server });
  let reply;
  // try/catch rather than .catch(): one more promise would reorder the commands of concurrent calls.
  try {
    reply = await mcpCallToolActivity(toolSummary(call.name), agent.server_calls?.[route.server], local)({
      server: route.server,
      tool: route.tool,
      arguments: call.arguments,
    });
  } catch (err) {
    // A local call never asks the run anything (activities/server-requests.ts), and its ids count apart.
    const activityId = local || isCancellation(err) ? undefined : failedActivityId(err);
    if (activityId) control.toolCallFailed(activityId);
    throw err;
  }
  control.recordToolCall();
  return result(reply.content, reply.isError, reply.stored, reply.images);
}

/** The activity a failure came from: itself, or the cause of a failure made of it (a deadline's). */
function failedActivityId(err: unknown): string | undefined {
  for (let failure = err; failure instanceof Error; failure = failure.cause) {
    if (failure instanceof ActivityFailure) return failure.activityId;
  }
  return undefined;
}
