import { proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/contracts';
import { InternedValue } from '../src/conversation/interned';
import { FailureTypes } from '../src/failure-types';
import type { Message } from '../src/llm/messages';
import type { ResolvedAgent } from '../src/spec/schema';
import type { RunControl } from './run-control';

/**
 * What an agent is given when its run starts: the MCP prompt and resources its spec names, read
 * through one activity each (`get prompt · docs · review`, `read resource · docs · file:///a.md`),
 * then put together with its instruction by a local activity that stores the system prompt, so
 * history carries its key rather than the resources' text.
 */

/** As a tool call's: a dead worker is noticed in seconds, an unreachable server retried for a while. */
const readOptions: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '5 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
    nonRetryableErrorTypes: [FailureTypes.UnknownMcpServer, FailureTypes.McpRequestFailed],
  },
};

/** Putting text together and storing it: nothing a retry could fix but a store that blinked. */
const composeOptions = { startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } } as const;

export interface AgentContext {
  /** The instruction with the prompt and resources: stored, so only its key is known here. */
  system: InternedValue<string>;
  /** A prompt used `as: messages`: its messages, which open the conversation. */
  messages: Message[];
}

/** Nothing to read (no prompt, no resources): undefined, and the agent's instruction stands as it is. */
export async function readAgentContext(agent: ResolvedAgent, control: RunControl): Promise<AgentContext | undefined> {
  const resources = agent.resources ?? [];
  const { prompt } = agent;
  if (resources.length === 0 && !prompt) return undefined;
  const what = [prompt && `prompt ${prompt.name}`, resources.length > 0 && `${resources.length} resource${resources.length > 1 ? 's' : ''}`];
  control.setStep(`reading ${what.filter(Boolean).join(' and ')} · ${agent.name}`);
  await control.checkpoint();
  const [promptResult, resourceResults] = await Promise.all([
    prompt &&
      proxyActivities<Activities>({ ...readOptions, summary: `get prompt · ${prompt.server} · ${prompt.name}` }).mcpGetPrompt({
        server: prompt.server,
        name: prompt.name,
        ...(prompt.arguments && { arguments: prompt.arguments }),
      }),
    Promise.all(
      resources.map(({ server, uri }) =>
        proxyActivities<Activities>({ ...readOptions, summary: `read resource · ${server} · ${uri}` }).mcpReadResource({ server, uri }),
      ),
    ),
  ]);
  const composed = await proxyLocalActivities<Activities>({ ...composeOptions, summary: `context · ${agent.name}` }).composeAgentContext({
    instruction: agent.instruction,
    ...(prompt && promptResult && { prompt: { server: prompt.server, name: prompt.name, as: prompt.as, result: promptResult } }),
    resources: resources.map(({ server, uri }, index) => ({ server, uri, result: resourceResults[index] })),
  });
  return { system: InternedValue.from(composed.system), messages: composed.messages };
}
