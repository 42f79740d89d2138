/**
 * Failure types activities raise; workflows (retry policies) and the API recognise them by these
 * names. Plain constants, so workflow code can import them.
 */
export const FailureTypes = {
  ProviderRequestRejected: 'ProviderRequestRejected',
  ProviderUnavailable: 'ProviderUnavailable',
  MissingApiKey: 'MissingApiKey',
  /** The provider answered 2xx with something unusable, such as fewer vectors than texts. */
  ProviderReplyMalformed: 'ProviderReplyMalformed',
  UnknownMcpServer: 'UnknownMcpServer',
  McpConnectionFailed: 'McpConnectionFailed',
  /** An MCP server answered a resource read or prompt request with an error (unknown URI or prompt, bad arguments). */
  McpRequestFailed: 'McpRequestFailed',
  /** An MCP server did not answer a resource read or prompt request within read_timeout_seconds. */
  McpRequestTimedOut: 'McpRequestTimedOut',
  UnknownFunction: 'UnknownFunction',
  /** A call's attempts together outlasted its configured `deadline_seconds`. */
  CallDeadlineExceeded: 'CallDeadlineExceeded',
  /** A call's last attempt ran past its timeout, or its worker stopped heartbeating (raised by workflow code, from Temporal's timeout). */
  CallTimedOut: 'CallTimedOut',
  /** A code workflow named an agent or spec the config cannot resolve. */
  InvalidSpec: 'InvalidSpec',
  /** A code workflow's request for input got no answer within its timeout. */
  InputTimedOut: 'InputTimedOut',
  /**
   * A run tree spent its `max_cost` or `max_tokens` (raised by workflow code, not activities): the
   * run that noticed fails with it, and so does every run above it.
   */
  BudgetExceeded: 'BudgetExceeded',
} as const;
