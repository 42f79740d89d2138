import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { childEnv } from './worker-child';

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

  /**
   * One conversation of `turns` tool turns with `model`; the time of each turn's calls (the LLM
   * call, then the tool call), pauses left out. With `pauseMs`, each call comes that long after the
   * one before, as an agent's come after a workflow task: on a VM a call after a pause takes about
   * twice as long as one straight after another (temporal/TUNING.md).
   */
  async run(model: string, turns: number, pauseMs = 0): Promise<number[]> {
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'bench' },
      { role: 'user', content: 'bench' },
    ];
    let spentMs = 0;
    const timed = async <T>(call: () => Promise<T>): Promise<T> => {
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      const started = performance.now();
      try {
        return await call();
      } finally {
        spentMs += performance.now() - started;
      }
    };
    const turnsMs: number[] = [];
    for (let turn = 0; turn < turns; turn++) {
      spentMs = 0;
      const completion = await timed(() => this.openai.chat.completions.create({ model, messages, tools: this.tools, max_tokens: 4096 }));
      const reply = completion.choices[0].message;
      messages.push(reply);
      for (const call of reply.tool_calls ?? []) {
        if (call.type !== 'function') continue;
        const result = await timed(() => this.mcp.callTool({ name: call.function.name.replace(/^fixture-/, ''), arguments: JSON.parse(call.function.arguments) }));
        if (result.isError) throw new Error(`direct tool call failed: ${JSON.stringify(result)}`);
        const content = (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('');
        messages.push({ role: 'tool', tool_call_id: call.id, content });
      }
      turnsMs.push(spentMs);
    }
    await this.openai.chat.completions.create({ model, messages, tools: this.tools, max_tokens: 4096 });
    return turnsMs;
  }

  close(): Promise<void> {
    return this.mcp.close();
  }
}

export interface DirectChild {
  pid: number;
  /** Runs these conversations at once in the child (see `Direct.run`); resolves with each one's turn times (ms) when they are done. */
  run(models: string[], turns: number, pauseMs?: number): Promise<number[][]>;
  stop(): Promise<void>;
}

/** bench/direct-worker.ts: the calls alone, in a process of their own. */
export async function startDirectChild(env: NodeJS.ProcessEnv): Promise<DirectChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'direct-worker.ts')], {
    cwd: path.resolve(__dirname, '..'),
    env: childEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Anything else it prints (a dependency's warning) is kept for the error message, never taken for an answer.
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // A child that died is reported by `exited`; a write to it must not crash the bench before its closers run.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let ready: (() => void) | undefined;
  const answers: Array<(turnsMs: number[][]) => void> = [];
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'worker polling') ready?.();
      else if (line.startsWith('{"turnsMs"')) answers.shift()?.((JSON.parse(line) as { turnsMs: number[][] }).turnsMs);
      else output += `${line}\n`;
    }
  });
  const died = exited.then(() => {
    throw new Error(`bench/direct-worker.ts exited:\n${output}`);
  });
  // Handled here once; each wait below races it.
  died.catch(() => undefined);
  await Promise.race([
    new Promise<void>((resolve, reject) => {
      // Cleared once ready: a start-up deadline, not the child's lifetime (benches run longer).
      const deadline = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`bench/direct-worker.ts not ready after 120 s:\n${output}`));
      }, 120_000);
      ready = () => {
        clearTimeout(deadline);
        resolve();
      };
    }),
    died,
  ]);
  return {
    pid: child.pid!,
    async run(models, turns, pauseMs = 0) {
      const answer = new Promise<number[][]>((resolve) => answers.push(resolve));
      child.stdin.write(`${JSON.stringify({ models, turns, pauseMs })}\n`);
      return Promise.race([answer, died]);
    },
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
