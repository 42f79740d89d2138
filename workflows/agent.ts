import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { Message, ToolDefinition } from '../src/llm/messages';
import { finalText, functionTools, inputAsUserMessage } from '../src/patterns/agent';
import { humanInputTool } from '../src/patterns/human-input';
import type { ResolvedAgent, ResolvedAgentPattern, WorkflowInput } from '../src/spec/schema';
import { mcpListToolsActivity } from './activities';
import type { RunUsage } from './definitions';
import { runToCompletion } from './lifecycle';
import { llmTurn } from './llm-turn';
import { RunControl, type RunControlCarry } from './run-control';
import { runToolCall } from './tool-calls';

export interface AgentResult {
  text: string;
  /** LLM turns taken. */
  iterations: number;
  stopReason: 'final_answer' | 'max_iterations';
  usage: RunUsage;
}

/** The loop's state at a turn boundary, handed to the next run on continue-as-new. */
interface AgentCarry {
  messages: Message[];
  tools: ToolDefinition[];
  iteration: number;
  control: RunControlCarry;
}

export type AgentWorkflowInput = WorkflowInput<ResolvedAgentPattern> & { carry?: AgentCarry };

/**
 * History grows with every turn because each LLM activity carries the conversation. Past this
 * size (or when Temporal suggests it) the loop continues as new at a turn boundary.
 */
const CONTINUE_AS_NEW_BYTES = 4 * 1024 * 1024;

export async function agentWorkflow(args: AgentWorkflowInput): Promise<AgentResult> {
  const control = new RunControl(args.name, 'agent', args.carry?.control);
  return runToCompletion(control, () => agentLoop(args, control));
}

async function agentLoop(args: AgentWorkflowInput, control: RunControl): Promise<AgentResult> {
  const agent = args.spec.agent;
  const tools = args.carry?.tools ?? (await listTools(agent, control));
  const offered = tools.map((t) => t.name);
  const messages: Message[] = args.carry?.messages ?? [inputAsUserMessage(args.input)];
  let iteration = args.carry?.iteration ?? 0;

  while (iteration < agent.max_iterations) {
    iteration++;
    const { text, calls } = await llmTurn({ agent, system: agent.instruction, messages, tools, turn: iteration, control });
    if (calls.length === 0) {
      return { text, iterations: iteration, stopReason: 'final_answer', usage: control.totalUsage() };
    }
    const outcomes = await Promise.all(calls.map((call) => runToolCall(call, { agent, offered, control })));
    messages.push(...outcomes.map((outcome) => outcome.message));

    if (iteration < agent.max_iterations && historyIsLarge()) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof agentWorkflow>({
        ...args,
        carry: { messages, tools, iteration, control: control.carry() },
      });
    }
  }
  return { text: finalText(messages), iterations: iteration, stopReason: 'max_iterations', usage: control.totalUsage() };
}

function historyIsLarge(): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historySize > CONTINUE_AS_NEW_BYTES;
}

async function listTools(agent: ResolvedAgent, control: RunControl): Promise<ToolDefinition[]> {
  control.setStep(`listing tools of ${agent.servers.join(', ') || 'no servers'}`);
  const perServer = await Promise.all(
    agent.servers.map(async (server) => {
      await control.checkpoint();
      return mcpListToolsActivity(`list tools · ${server}`)({ server });
    }),
  );
  // Runs started before agents could call functions carry specs without `functions`.
  const tools = [...perServer.flat(), ...functionTools(agent.functions ?? [], agent.function_descriptions)];
  return agent.human_input ? [...tools, humanInputTool] : tools;
}
