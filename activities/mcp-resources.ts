import { ApplicationFailure } from '@temporalio/common';
import type { Prompt, ReadResourceResult, Resource, ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import type { ConversationStore } from '../src/conversation/store';
import { FailureTypes } from '../src/failure-types';
import { base64Bytes, clipResource, composeSystemPrompt, isContextImage, promptInstructionText, type ContextResource } from '../src/mcp/agent-context';
import { contentBlockText } from '../src/mcp/content';
import { isRequestTimeout, McpNotOfferedError, serverAnswer } from '../src/mcp/errors';
import type { McpPool } from '../src/mcp/pool';
import { hasPromptArgumentProblems, promptArgumentProblems, promptArgumentsMessage } from '../src/mcp/prompt-arguments';
import type {
  Activities,
  ComposeAgentContextInput,
  ComposedAgentContext,
  McpGetPromptInput,
  McpGetPromptResult,
  McpPromptInfo,
  McpReadResourceInput,
  McpReadResourceResult,
  McpResourceContent,
  McpResourceInfo,
  McpResourceTemplateInfo,
} from './contracts';
import { inActivity } from './mcp';

export type McpResourceActivities = Pick<
  Activities,
  'mcpListResources' | 'mcpListResourceTemplates' | 'mcpReadResource' | 'mcpListPrompts' | 'mcpGetPrompt' | 'composeAgentContext'
>;

/**
 * Resources and prompts over the worker's MCP pool, one activity per request, and the local
 * activity that puts an agent's prompt and resources together with its instruction. Unlike a tool
 * call, whose errors are answers for the model, a resource or prompt a run asks for and cannot get
 * is a mistake in its spec: the server's error fails the activity without retries. A timeout or an
 * unreachable server is retried by Temporal.
 */
export function createMcpResourceActivities(pool: McpPool, conversations: ConversationStore): McpResourceActivities {
  return {
    mcpListResources: ({ server }) => inActivity(async () => (await pool.listResources(server)).map(resourceInfo)),

    mcpListResourceTemplates: ({ server }) => inActivity(async () => (await pool.listResourceTemplates(server)).map(templateInfo)),

    mcpListPrompts: ({ server }) => inActivity(async () => (await pool.listPrompts(server)).map(promptInfo)),

    async mcpReadResource({ server, uri }: McpReadResourceInput): Promise<McpReadResourceResult> {
      return inActivity(async (signal) => {
        const result = await answered(server, `read the resource "${uri}"`, () => pool.readResource(server, uri, { signal }));
        return { contents: await Promise.all(result.contents.map((content) => storedContent(content, conversations))) };
      });
    },

    async mcpGetPrompt({ server, name, arguments: args = {} }: McpGetPromptInput): Promise<McpGetPromptResult> {
      return inActivity(async (signal) => {
        await checkPromptArguments(pool, server, name, args);
        const result = await answered(server, `get the prompt "${name}"`, () => pool.getPrompt(server, name, args, { signal }));
        const messages = await Promise.all(
          result.messages.map(async (message) => ({ role: message.role, ...(await conversations.storeText(contentBlockText(message.content))) })),
        );
        return { ...(result.description !== undefined && { description: result.description }), messages };
      });
    },

    async composeAgentContext(input: ComposeAgentContextInput): Promise<ComposedAgentContext> {
      const resources: ContextResource[] = await Promise.all(
        input.resources.map(async ({ server, uri, result }) => ({
          server,
          uri,
          parts: await Promise.all(result.contents.map((content) => wholeContent(content, conversations))),
        })),
      );
      const promptMessages = input.prompt
        ? await Promise.all(
            input.prompt.result.messages.map(async (message) => ({
              role: message.role,
              content: message.stored ? await conversations.text(message.stored.key) : message.content,
            })),
          )
        : [];
      const asInstruction = input.prompt?.as === 'instruction';
      const system = composeSystemPrompt(input.instruction, asInstruction ? promptInstructionText(promptMessages) : undefined, resources);
      const messages: ComposedAgentContext['messages'] = asInstruction
        ? []
        : promptMessages.map((message) =>
            message.role === 'user'
              ? { role: 'user' as const, content: clipResource(message.content) }
              : { role: 'assistant' as const, content: clipResource(message.content), toolCalls: [] },
          );
      // Images cannot be part of a system prompt: they open the conversation, one message per resource part.
      for (const resource of resources) {
        for (const part of resource.parts.filter(isContextImage)) {
          const image = await conversations.putImage(part.blob, part.mimeType);
          messages.push({ role: 'user', content: `The resource ${part.uri} from ${resource.server} (${part.mimeType}):`, images: [image] });
        }
      }
      return { system: { key: await conversations.putJson(system) }, systemChars: system.length, messages };
    },
  };
}

/**
 * An agent spec's prompt arguments, checked against the server's list as the API checks a request's
 * (servers take undeclared ones silently): a wrong one fails the run at once, not retried, naming it
 * and the arguments the prompt has. A prompt the server does not list is left to prompts/get, whose
 * error says so.
 */
async function checkPromptArguments(pool: McpPool, server: string, name: string, args: Record<string, string>): Promise<void> {
  const listed = await answered(server, 'list its prompts', () => pool.listPrompts(server));
  const declared = listed.find((prompt) => prompt.name === name);
  if (!declared) return;
  const problems = promptArgumentProblems(declared.arguments, args);
  if (!hasPromptArgumentProblems(problems)) return;
  throw ApplicationFailure.create({
    type: FailureTypes.McpRequestFailed,
    message: promptArgumentsMessage(server, name, declared.arguments, problems).replace(/\.$/, ''),
    details: [problems],
    nonRetryable: true,
  });
}

/**
 * The server's answer, or a failure that says what could not be done: its own error and a
 * missing capability are not retried, a timeout is. Lost connections go on to inActivity.
 */
async function answered<T>(server: string, what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof McpNotOfferedError) {
      throw ApplicationFailure.create({ type: FailureTypes.McpRequestFailed, message: `Cannot ${what}: ${error.message}`, nonRetryable: true });
    }
    if (isRequestTimeout(error)) {
      throw ApplicationFailure.create({ type: FailureTypes.McpRequestTimedOut, message: `MCP server "${server}" did not ${what} in time` });
    }
    const answer = serverAnswer(error);
    if (answer) {
      throw ApplicationFailure.create({
        type: FailureTypes.McpRequestFailed,
        message: `MCP server "${server}" could not ${what}: ${answer.message}`,
        details: [{ code: answer.code }],
        nonRetryable: true,
      });
    }
    throw error;
  }
}

/** Text as text, binary as base64 with its type; anything long goes to the store. */
async function storedContent(content: ReadResourceResult['contents'][number], conversations: ConversationStore): Promise<McpResourceContent> {
  const base = { uri: content.uri, ...(content.mimeType !== undefined && { mimeType: content.mimeType }) };
  if ('text' in content && typeof content.text === 'string') {
    const { content: text, stored } = await conversations.storeText(content.text);
    return { ...base, text, ...(stored && { stored }) };
  }
  const blob = 'blob' in content && typeof content.blob === 'string' ? content.blob : '';
  const { stored } = await conversations.storeText(blob);
  return { ...base, bytes: base64Bytes(blob), ...(stored ? { stored } : { blob }) };
}

/** A part with whatever was stored read back. */
async function wholeContent(content: McpResourceContent, conversations: ConversationStore) {
  const whole = content.stored ? await conversations.text(content.stored.key) : undefined;
  const base = { uri: content.uri, ...(content.mimeType !== undefined && { mimeType: content.mimeType }) };
  if (content.text !== undefined) return { ...base, text: whole ?? content.text };
  return { ...base, blob: whole ?? content.blob ?? '' };
}

function optional<T extends object, K extends keyof T>(source: T, keys: K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((key) => source[key] !== undefined).map((key) => [key, source[key]])) as Partial<Pick<T, K>>;
}

export function resourceInfo(resource: Resource): McpResourceInfo {
  return { uri: resource.uri, name: resource.name, ...optional(resource, ['title', 'description', 'mimeType', 'size']) };
}

export function templateInfo(template: ResourceTemplate): McpResourceTemplateInfo {
  return { uriTemplate: template.uriTemplate, name: template.name, ...optional(template, ['title', 'description', 'mimeType']) };
}

export function promptInfo(prompt: Prompt): McpPromptInfo {
  return {
    name: prompt.name,
    ...optional(prompt, ['title', 'description']),
    ...(prompt.arguments && {
      arguments: prompt.arguments.map((argument) => ({ name: argument.name, ...optional(argument, ['description', 'required']) })),
    }),
  };
}
