import { InternedValue } from '../src/conversation/interned';
import type { Message } from '../src/llm/messages';
import type { ResolvedAgent } from '../src/spec/schema';
import { composeAgentContextActivity, mcpGetPromptActivity, mcpReadResourceActivity } from './activities';
import type { RunControl } from './run-control';

/**
 * What an agent is given when its run starts: the MCP prompt and resources its spec names, read
 * through one activity each (`get prompt · docs · review`, `read resource · docs · file:///a.md`),
 * then put together with its instruction by a local activity that stores the system prompt, so
 * history carries its key rather than the resources' text.
 */

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
      mcpGetPromptActivity(`get prompt · ${prompt.server} · ${prompt.name}`, agent.server_calls?.[prompt.server])({
        server: prompt.server,
        name: prompt.name,
        ...(prompt.arguments && { arguments: prompt.arguments }),
      }),
    Promise.all(
      resources.map(({ server, uri }) =>
        mcpReadResourceActivity(`read resource · ${server} · ${uri}`, agent.server_calls?.[server])({ server, uri }),
      ),
    ),
  ]);
  const composed = await composeAgentContextActivity(`context · ${agent.name}`)({
    instruction: agent.instruction,
    ...(prompt && promptResult && { prompt: { server: prompt.server, name: prompt.name, as: prompt.as, result: promptResult } }),
    resources: resources.map(({ server, uri }, index) => ({ server, uri, result: resourceResults[index] })),
  });
  return { system: InternedValue.from(composed.system), messages: composed.messages };
}
