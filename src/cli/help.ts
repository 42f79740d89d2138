/** `mcp-agent --help`: every command, the options, where the API is, and the exit codes. */

export const HELP_TEXT = `Usage: mcp-agent <command> [arguments] [options]

Runs and controls agent workflows through the mcp-agent HTTP API.

Commands:
  workflows                         the config's workflows
  run <name> [input]                start a run of a config workflow, or of a pattern type with --spec;
                                    with no input, a conversation starts idle (others need one)
      --id ID                         the run's id (the same id, input and spec again return the same run)
      --spec JSON|@file               the spec of an ad-hoc run, e.g. '{"agent": {"instruction": "..."}}'
      --wait                          follow the run's events until it closes, then show the result
  status <runId>                    one run
  list                              runs, newest first
      --status S                      running, paused, waiting_for_input, idle, completed,
                                      failed, cancelled, terminated or timed_out
      --workflow W                    only runs of this workflow
      --limit N                       at most N runs (default 50)
  pause <runId>                     pause at the next step boundary
  resume <runId>                    resume a paused run
  cancel <runId> [--reason TEXT]    cancel the run, its children and their running activities
  input <runId> <value>             answer the pending input or approval request; the value is
                                    JSON when it parses as JSON, else text
      --request-id R                  the request to answer (default: the oldest pending one)
  watch <runId>                     print the run's events as they happen until it closes
  chat <workflow|runId> [input]     talk to an agent: a workflow starts a conversation (its first
                                    message is [input], else the first line typed), anything else
                                    attaches to that run. Each line is the next message; tool calls
                                    show as they happen, approvals and input requests are asked
                                    (answer y/n [reason], or the text), answers print as
                                    "assistant: ...". /close ends it, /quit or Ctrl-D leaves it
                                    open, /pause, /resume, /status, /history, /help
      --id ID                         the new run's id
      --spec JSON|@file               an ad-hoc run of a pattern type (conversation: true is added)
  servers                           the config's MCP servers
  tools <server>                    a server's tools (after its allowed_tools)
  resources <server>                a server's resources and resource templates
  prompts <server>                  a server's prompts and their arguments ([optional] ones)
  resource <server> <uri>           read a resource: its text (binary: --json has the base64)
  prompt <server> <name> [args]     get a prompt; args is a JSON object of strings,
                                    e.g. '{"city": "Paris"}'
  login <server>                    OAuth login (authorization code with PKCE) to an MCP server of the
                                    config: prints the URL to open, waits for the browser's redirect
                                    on 127.0.0.1 (up to 5 minutes), and stores the tokens where
                                    workers read them (mcp.token_dir, mode 0600); exit 1 if refused
      --port N                        the loopback port of the redirect (default: the server's
                                      auth.oauth.redirect_port, else any free port)
  serve                             the MCP server over stdio (for MCP clients to start)
  dev                               Temporal, a worker and the API on this machine (npm run dev)
  init [dir]                        a new project in a new or empty folder (default: this one): a
                                    code workflow, its config, a test, a README
      --package SPEC                  how it depends on mcp-agent-temporal: a tarball from npm pack,
                                      a built checkout's folder or a version range (default: where
                                      this copy came from: its tarball, checkout or ^<version>)
  replay <history.json>             replay a recorded history (the Web UI's Download) on today's
                                    code and config: exit 0 if it replays, 1 with the reason if not,
                                    2 if the file is not a history
      --id ID                         the run's id, which its children's ids derive from (default:
                                      the file's name without .json)

Options:
  --api URL        the API (default: MCP_AGENT_API_URL, else http://HOST:PORT, i.e. http://127.0.0.1:3000)
  --token TOKEN    bearer token for the API (default: MCP_AGENT_API_TOKEN)
  --json           print the API's JSON (watch, chat: one JSON object per event or Run and line)
  -h, --help       this help
  --version        the version

Input and values are JSON when they parse as JSON ('{"a": 1}', 42, true), else text ("add 2 and 3").
A value that starts with "-" goes after "--": mcp-agent input RUN_ID -- -5

Exit codes:
  0  success; for run --wait and watch: the run completed; for chat: it completed or you left it
  1  the run failed, was cancelled or terminated, or timed out
  2  usage error: bad arguments
  3  the API answered with an error (unknown run, workflow or MCP server, conflict, rejected
     input, Temporal or the MCP server unavailable); its message is printed on stderr
  4  the API cannot be reached
`;
