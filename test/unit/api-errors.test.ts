import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ServiceError } from '@temporalio/client';
import {
  IdempotencyKeyReusedError,
  InputRejectedError,
  RunClosedError,
  RunIdInUseError,
  RunNotFoundError,
  WorkerUnavailableError,
  WorkflowTaskFailingError,
} from '../../client/run-errors';
import { ApiError, isTemporalUnavailable, logApiError, toApiError } from '../../src/api/errors';
import { mcpApiError } from '../../src/api/routes/servers';
import { McpConnectionError } from '../../src/mcp/errors';
import { RequestValidationError } from '../../src/api/validation';
import { SpecError, UnknownWorkflowError } from '../../src/config/errors';

function grpcError(code: number): Error {
  return Object.assign(new Error(`${code} grpc failure`), { code, details: 'grpc failure', metadata: {} });
}

function mapped(error: unknown): { status: number; code: string; message: string; details?: unknown } {
  const apiError = toApiError(error);
  return { status: apiError.status, ...apiError.body().error };
}

describe('toApiError', () => {
  it.each([
    [new RunNotFoundError('r1'), 404, 'run_not_found'],
    [new RunClosedError('r1', 'timed_out'), 409, 'run_closed'],
    [new RunIdInUseError('r1'), 409, 'id_in_use'],
    [new InputRejectedError('nothing_pending', 'The run is not waiting for input.'), 409, 'nothing_pending'],
    [new InputRejectedError('wrong_request_id', 'No pending request has id "x".'), 422, 'wrong_request_id'],
    [new InputRejectedError('invalid_value', 'Send {"approved": true}.'), 422, 'invalid_value'],
    [new IdempotencyKeyReusedError('r1', 'k1'), 422, 'idempotency_key_reused'],
    [new UnknownWorkflowError('nope'), 404, 'workflow_not_found'],
    [new WorkerUnavailableError('r1'), 503, 'worker_unavailable'],
    [new WorkerUnavailableError('r1', 'message'), 503, 'worker_unavailable'],
    [new WorkflowTaskFailingError('r1', { attempt: 3, cause: 'failed' as const, message: 'boom' }, { what: 'input' }), 503, 'workflow_task_failing'],
  ])('maps %p to %i %s with its own message', (error, status, code) => {
    expect(mapped(error)).toMatchObject({ status, code, message: error.message });
  });

  it("says why a run's workflow task keeps failing, and whether the input may still arrive", () => {
    const failing = { attempt: 4, cause: 'failed' as const, message: '[TMPRL1100] Nondeterminism error: no command scheduled' };
    expect(mapped(new WorkflowTaskFailingError('r1', failing, { what: 'input' })).message).toBe(
      'Run "r1" cannot take the input now: its workflow task keeps failing (attempt 4): [TMPRL1100] Nondeterminism error: no command scheduled. ' +
        'Nothing was delivered; the run goes on once a worker can run it (a deploy of code that can replay its history, with the workflow type it started as).',
    );
    expect(mapped(new WorkflowTaskFailingError('r1', failing, { what: 'message', held: true })).message).toContain(
      'Temporal may still deliver it once a worker can run the run again; check the run before sending something different.',
    );
    expect(mapped(new WorkflowTaskFailingError('r1', { attempt: 2, cause: 'failed' as const, message: 'boom.' })).message).toBe(
      'Run "r1" cannot answer now: its workflow task keeps failing (attempt 2): boom. ' +
        'The run goes on once a worker can run it (a deploy of code that can replay its history, with the workflow type it started as).',
    );
  });

  it('says how a closed run ended, in words that read right for every status', () => {
    expect(
      ['completed', 'failed', 'cancelled', 'terminated', 'timed_out'].map((status) => mapped(new RunClosedError('r1', status)).message),
    ).toEqual([
      'Run "r1" has already completed.',
      'Run "r1" has already failed.',
      'Run "r1" has already been cancelled.',
      'Run "r1" has already been terminated.',
      'Run "r1" has already timed out.',
    ]);
  });

  it('lists spec problems as details', () => {
    const error = new SpecError([{ path: ['spec', 'agent'], message: 'unknown agent "x"' }]);
    expect(mapped(error)).toEqual({
      status: 400,
      code: 'invalid_spec',
      message: 'The spec cannot run: spec.agent: unknown agent "x".',
      details: ['spec.agent: unknown agent "x"'],
    });
  });

  it('passes the details of an input rejection on', () => {
    const error = new InputRejectedError('wrong_request_id', 'No pending request has id "x".', { pending: ['input-1'] });
    expect(mapped(error).details).toEqual({ pending: ['input-1'] });
  });

  it('lists validation problems by path within the request part', () => {
    const error = new RequestValidationError([
      { code: 'custom', path: ['input'], message: 'required', input: undefined },
      { code: 'unrecognized_keys', path: [], keys: ['inputs'], message: 'Unrecognized key: "inputs"', input: {} },
    ]);
    error.validationContext = 'body';
    expect(mapped(error)).toEqual({
      status: 400,
      code: 'invalid_request',
      message: 'The request is not valid: body.input: required; body.inputs: unknown key.',
      details: [
        { path: 'body.input', message: 'required' },
        { path: 'body.inputs', message: 'unknown key' },
      ],
    });
  });

  it('maps Fastify body errors to our codes', () => {
    const invalidJson = Object.assign(new Error('Body is not valid JSON'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 });
    const mediaType = Object.assign(new Error('Unsupported Media Type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 });
    expect(mapped(invalidJson)).toMatchObject({ status: 400, code: 'invalid_json' });
    expect(mapped(mediaType)).toMatchObject({ status: 415, code: 'unsupported_media_type' });
  });

  it('keeps other client errors as the 4xx they are', () => {
    const error = Object.assign(new Error('Too many requests'), { statusCode: 429 });
    expect(mapped(error)).toEqual({ status: 429, code: 'bad_request', message: 'Too many requests' });
  });

  it('answers 503 when Temporal is unreachable, wrapped or not', () => {
    expect(mapped(new ServiceError('Failed to describe workflow', { cause: grpcError(14) }))).toMatchObject({
      status: 503,
      code: 'temporal_unavailable',
    });
    expect(mapped(grpcError(4)).code).toBe('temporal_unavailable');
  });

  it('hides anything else behind a generic 500', () => {
    const apiError = toApiError(new TypeError('secret internals at /srv/app.js:12'));
    expect(apiError.status).toBe(500);
    expect(apiError.body()).toEqual({
      error: { code: 'internal', message: 'Something went wrong on our side; the error has been logged.' },
    });
  });

  it('leaves an ApiError as it is', () => {
    const error = new ApiError(401, 'unauthorized', 'Send a token.');
    expect(toApiError(error)).toBe(error);
  });
});

describe('isTemporalUnavailable', () => {
  it('is false for gRPC errors that are answers, such as NOT_FOUND', () => {
    expect(isTemporalUnavailable(new ServiceError('not found', { cause: grpcError(5) }))).toBe(false);
    expect(isTemporalUnavailable(new Error('plain'))).toBe(false);
  });
});

describe('mcpApiError', () => {
  it('answers a request the server did not answer in time with 504, its timeout and the setting to raise', () => {
    const timeout = new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: 3000 });
    expect(mapped(mcpApiError(timeout, 'docs', { kind: 'resource', uri: 'file:///a' }, 60))).toEqual({
      status: 504,
      code: 'mcp_server_timeout',
      message: 'MCP server "docs" did not answer within 3 s (reading a resource); raise mcp.servers.docs.read_timeout_seconds if it needs longer.',
    });
    // A connect whose initialize timed out is a failed connect, and a timeout all the same.
    const connect = new McpConnectionError('docs', 'could not connect: the server did not answer initialize within 3 s', { cause: timeout });
    expect(mapped(mcpApiError(connect, 'docs', { kind: 'tools' }, 60))).toMatchObject({
      status: 504,
      message: 'MCP server "docs" did not answer within 3 s while connecting (initialize); raise mcp.servers.docs.read_timeout_seconds if it needs longer.',
    });
  });
});

describe('logApiError', () => {
  function logged(error: unknown): Array<{ level: string; fields: Record<string, unknown>; message: string }> {
    const calls: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
    const at = (level: string) => (fields: object, message: string) => void calls.push({ level, fields: fields as Record<string, unknown>, message });
    logApiError({ error: at('error'), warn: at('warn'), info: at('info') }, toApiError(error), error);
    return calls;
  }

  it('keeps error level, with the error, for our own bugs (500) only', () => {
    const bug = new TypeError('x is undefined');
    expect(logged(bug)).toEqual([{ level: 'error', fields: { status: 500, code: 'internal', err: bug }, message: expect.any(String) }]);
  });

  it('logs the upstream problems the contract lists (503, 504) at warn, and 4xx at info, with code and message and no error', () => {
    const cases: Array<[unknown, string]> = [
      [grpcError(14), 'warn'],
      [new ApiError(503, 'mcp_server_unavailable', 'MCP server "x": could not connect: fetch failed'), 'warn'],
      [new ApiError(504, 'mcp_server_timeout', 'MCP server "x" did not answer in time.'), 'warn'],
      [new RunNotFoundError('r'), 'info'],
      [new ApiError(422, 'mcp_server_error', 'MCP server "x" answered with an error: no'), 'info'],
    ];
    for (const [error, level] of cases) {
      const apiError = toApiError(error);
      expect(logged(error)).toEqual([{ level, fields: { status: apiError.status, code: apiError.code }, message: apiError.message }]);
    }
  });
});
