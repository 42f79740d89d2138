import { workflow, type RunContext } from 'mcp-agent-temporal/workflow';

/**
 * mcp-agent's first example, the "finder": an agent with MCP servers reads a file, then the text
 * is turned into a tweet. mcp-agent's finder also fetched a web page with the `fetch` server;
 * this one reads local files only (the filesystem server in mcp_agent.config.yaml), so it runs
 * without network access. Add a fetch server to the finder's `servers` to read URLs too.
 */

export interface FinderInput {
  /** A file under examples/files; default durable-agents.md. */
  file?: string;
}

export interface FinderResult {
  contents: string;
  tweet: string;
}

export const findAndTweet = workflow(async (run: RunContext<FinderInput>): Promise<FinderResult> => {
  const file = run.input.file ?? 'durable-agents.md';
  const finder = run.agent('finder');

  // The agent lists and reads files with the filesystem server's tools, as many calls as it
  // needs; each model call and each tool call is an activity, retried on its own if it fails.
  run.step(`reading ${file}`);
  const contents = await finder.generate(`Show me what is in ${file}, verbatim.`, { name: 'read' });

  // Each generate() is a child workflow with a fresh conversation: what the next call needs to
  // know goes into its message.
  run.step('writing the tweet');
  const tweet = await finder.generate(`Summarize this in a tweet of at most 128 characters:\n\n${contents}`, { name: 'tweet' });
  return { contents, tweet };
});
