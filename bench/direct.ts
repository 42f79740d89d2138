import { performance } from 'node:perf_hooks';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';

/**
 * An agent's calls with no Temporal, as the benches' baseline: the OpenAI SDK client and an MCP SDK
 * client, each connected once, the conversation growing as an agent's does. The model replies as
 * the scripted provider was told (bench/stack.ts `toolTurns`: a fixture-add call per turn, then an answer).
 */
export class Direct {
  private readonly openai: OpenAI;
  private readonly mcp = new McpClient({ name: 'bench-direct', version: '1.0.0' });
  private tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [];

  constructor(
    openaiBaseUrl: string,
    private readonly fixtureUrl: string,
  ) {
    this.openai = new OpenAI({ apiKey: 'bench', baseURL: openaiBaseUrl, maxRetries: 0 });
  }

  async connect(): Promise<void> {
    await this.mcp.connect(new StreamableHTTPClientTransport(new URL(this.fixtureUrl)));
    const { tools } = await this.mcp.listTools();
    this.tools = tools.map((tool) => ({
      type: 'function',
      function: { name: `fixture-${tool.name}`, description: tool.description ?? '', parameters: tool.inputSchema as Record<string, unknown> },
    }));
  }

  /** One conversation of `turns` tool turns with `model`; the time of each turn (the LLM call, then the tool call). */
  async run(model: string, turns: number): Promise<number[]> {
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'bench' },
      { role: 'user', content: 'bench' },
    ];
    const turnsMs: number[] = [];
    for (let turn = 0; turn < turns; turn++) {
      const started = performance.now();
      const completion = await this.openai.chat.completions.create({ model, messages, tools: this.tools, max_tokens: 4096 });
      const reply = completion.choices[0].message;
      messages.push(reply);
      for (const call of reply.tool_calls ?? []) {
        if (call.type !== 'function') continue;
        const result = await this.mcp.callTool({ name: call.function.name.replace(/^fixture-/, ''), arguments: JSON.parse(call.function.arguments) });
        if (result.isError) throw new Error(`direct tool call failed: ${JSON.stringify(result)}`);
        const content = (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('');
        messages.push({ role: 'tool', tool_call_id: call.id, content });
      }
      turnsMs.push(performance.now() - started);
    }
    await this.openai.chat.completions.create({ model, messages, tools: this.tools, max_tokens: 4096 });
    return turnsMs;
  }

  close(): Promise<void> {
    return this.mcp.close();
  }
}
