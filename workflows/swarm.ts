import { ApplicationFailure } from '@temporalio/workflow';
import type { Message, ToolCall, ToolDefinition, ToolResultMessage } from '../src/llm/messages';
import { finalText, functionTools, inputAsUserMessage } from '../src/patterns/agent';
import { humanInputTool } from '../src/patterns/human-input';
import { handoffTarget, handoffTools, swarmSystemPrompt, transferredText, unknownTransferText } from '../src/patterns/swarm';
import type { ResolvedAgent, ResolvedSwarm, WorkflowInput } from '../src/spec/schema';
import { mcpListToolsActivity } from './activities';
import type { RunUsage } from './definitions';
import { runToCompletion } from './lifecycle';
import { llmTurn } from './llm-turn';
import { RunControl } from './run-control';
import { runToolCall } from './tool-calls';

export interface SwarmResult {
  text: string;
  /** The agent that held the conversation at the end. */
  agent: string;
  /** Every agent that held the conversation, in order, starting with `start`. */
  handoffs: string[];
  context_variables: Record<string, unknown>;
  /** LLM calls made, whichever agent made them. */
  turns: number;
  stopReason: 'final_answer' | 'max_turns';
  usage: RunUsage;
}

/**
 * OpenAI-Swarm-style: one conversation that agents pass between them. The active agent speaks with
 * its own instruction (plus the shared context variables) and its own tools: its MCP servers'
 * tools, its config functions, and a `transfer_to_<agent>` tool for each of its handoffs. A transfer
 * tool, or a function calling `transferTo(agent)`, makes another agent active from the next turn.
 * The run ends when the active agent answers without tool calls, or after `max_turns` LLM calls.
 */
export async function swarmWorkflow(args: WorkflowInput<ResolvedSwarm>): Promise<SwarmResult> {
  const control = new RunControl(args.name, 'swarm');
  return runToCompletion(control, () => swarmLoop(args, control));
}

async function swarmLoop({ spec, input }: WorkflowInput<ResolvedSwarm>, control: RunControl): Promise<SwarmResult> {
  const members = new Map(spec.agents.map((agent) => [agent.name, agent]));
  const start = members.get(spec.start);
  if (!start) {
    throw ApplicationFailure.nonRetryable(
      `The swarm starts with "${spec.start}", which is not one of its agents (${[...members.keys()].join(', ')}).`,
      'InvalidSpec',
    );
  }
  const toolsOf = agentTools(spec, control);
  const messages: Message[] = [inputAsUserMessage(input)];
  const handoffs = [start.name];
  let active = start;
  let contextVariables = { ...spec.context_variables };
  const transferTo = (name: string): void => {
    const next = members.get(name);
    if (next && next !== active) {
      active = next;
      handoffs.push(next.name);
    }
  };
  const finish = (text: string, turns: number, stopReason: SwarmResult['stopReason']): SwarmResult => ({
    text,
    agent: active.name,
    handoffs,
    context_variables: contextVariables,
    turns,
    stopReason,
    usage: control.totalUsage(),
  });

  for (let turn = 1; turn <= spec.max_turns; turn++) {
    // The agent that speaks this turn; its calls run with its tools even if one of them hands over.
    const agent = active;
    const tools = await toolsOf(agent);
    const { text, calls } = await llmTurn({
      agent,
      system: swarmSystemPrompt(agent.instruction, contextVariables),
      messages,
      tools,
      turn,
      control,
    });
    if (calls.length === 0) return finish(text, turn, 'final_answer');
    const offered = tools.map((tool) => tool.name);
    // One after another, unlike the agent loop: each function sees the context variables the one
    // before it left, and transfers take effect in the order the model asked for them.
    for (const call of calls) {
      const target = handoffTarget(call.name, agent.handoffs);
      if (target !== undefined) {
        transferTo(target);
        messages.push(toolResult(call, transferredText(target)));
        continue;
      }
      const outcome = await runToolCall(call, { agent, offered, control, contextVariables });
      const fn = outcome.functionReply;
      let message = outcome.message;
      if (fn && !fn.isError) {
        contextVariables = fn.contextVariables;
        if (fn.transferTo !== undefined && members.has(fn.transferTo)) transferTo(fn.transferTo);
        else if (fn.transferTo !== undefined) {
          message = { ...message, content: `${message.content}\n\n${unknownTransferText(fn.transferTo, [...members.keys()])}` };
        }
      }
      messages.push(message);
    }
  }
  return finish(finalText(messages), spec.max_turns, 'max_turns');
}

/**
 * Each agent's tools, built the first time it becomes active. Servers are listed once per run,
 * however many agents share them.
 */
function agentTools(spec: ResolvedSwarm, control: RunControl): (agent: ResolvedAgent) => Promise<ToolDefinition[]> {
  const byServer = new Map<string, Promise<ToolDefinition[]>>();
  const byAgent = new Map<string, Promise<ToolDefinition[]>>();
  const descriptions = Object.fromEntries(spec.agents.map((agent) => [agent.name, agent.description]));
  const listServer = (server: string): Promise<ToolDefinition[]> => {
    let listed = byServer.get(server);
    if (!listed) {
      listed = control.checkpoint().then(() => mcpListToolsActivity(`list tools · ${server}`)({ server }));
      byServer.set(server, listed);
    }
    return listed;
  };
  const build = async (agent: ResolvedAgent): Promise<ToolDefinition[]> => {
    if (agent.servers.length > 0) control.setStep(`listing tools of ${agent.servers.join(', ')} · ${agent.name}`);
    const perServer = await Promise.all(agent.servers.map(listServer));
    return [
      ...perServer.flat(),
      ...functionTools(agent.functions, { ...agent.function_descriptions, ...spec.functions }),
      ...handoffTools(agent.handoffs, descriptions),
      ...(agent.human_input ? [humanInputTool] : []),
    ];
  };
  return (agent) => {
    let tools = byAgent.get(agent.name);
    if (!tools) {
      tools = build(agent);
      byAgent.set(agent.name, tools);
    }
    return tools;
  };
}

function toolResult(call: ToolCall, content: string): ToolResultMessage {
  return { role: 'tool', toolCallId: call.id, name: call.name, content, isError: false };
}
