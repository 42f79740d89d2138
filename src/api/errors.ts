import { isGrpcServiceError } from '@temporalio/client';
import { errorChain } from '../error-causes';
import {
  IdempotencyKeyReusedError,
  InputRejectedError,
  MessageRejectedError,
  NoTranscriptError,
  RunClosedError,
  RunIdInUseError,
  RunNotFoundError,
  WorkerUnavailableError,
  WorkflowTaskFailingError,
} from '../../client/run-errors';
import { InvalidInputError, SpecError, UnknownWorkflowError } from '../config/errors';
import { BODY_LIMIT_BYTES } from './schemas';
import { RequestValidationError, requestProblems } from './validation';

/**
 * Every failure becomes `{"error": {"code", "message", "details"?}}` with a status that says whose
 * fault it is: 4xx for the caller's request, 503 while Temporal or the workers cannot be reached,
 * 500 (with a generic message, the real error logged) for our own bugs. No stack ever leaves.
 */

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details !== undefined && { details: this.details }) } };
  }
}

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** Temporal's gRPC errors arrive wrapped (ServiceError → cause); any link in the chain counts. */
export function isTemporalUnavailable(error: unknown): boolean {
  return grpcErrors(error).some((grpc) => grpc.code === GRPC_UNAVAILABLE || grpc.code === GRPC_DEADLINE_EXCEEDED);
}

function grpcErrors(error: unknown) {
  return [...errorChain(error)].filter(isGrpcServiceError);
}

const GRPC_FAILED_PRECONDITION = 9;

/** Temporal refuses queries and Updates while a run's workflow task keeps failing. */
export function isWorkflowTaskFailing(error: unknown): boolean {
  return grpcErrors(error).some((grpc) => grpc.code === GRPC_FAILED_PRECONDITION && /workflow task in failed state/i.test(grpc.message));
}

const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNAUTHENTICATED = 16;

/**
 * Temporal refusing the API's own credentials is no fault of the request and no outage either: the
 * operator has to fix a setting, and the message names the ones that can be wrong.
 */
function temporalRefusal(error: unknown): ApiError | undefined {
  for (const current of grpcErrors(error)) {
    if (current.code === GRPC_UNAUTHENTICATED) {
      return new ApiError(
        503,
        'temporal_unauthorized',
        `Temporal refused the API's credentials (check temporal.api_key or TEMPORAL_API_KEY, and temporal.tls): ${current.details || current.message}`,
      );
    }
    if (current.code === GRPC_PERMISSION_DENIED) {
      return new ApiError(
        503,
        'temporal_forbidden',
        `Temporal does not let the API's credentials do this (check their permissions on namespace temporal.namespace): ${current.details || current.message}`,
      );
    }
  }
  return undefined;
}

export const temporalUnavailable = (): ApiError =>
  new ApiError(503, 'temporal_unavailable', 'Temporal is not reachable right now; try again shortly.');

/** Fastify's own request errors (body parsing, content type) by their codes. */
const fastifyErrors: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The request body is empty but says it is JSON.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'Send the request body as application/json.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'body_too_large',
    message: `The request body is larger than the API takes (${BODY_LIMIT_BYTES / 1024 / 1024} MiB of JSON).`,
  },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_url', message: 'The URL is not valid: a part of its path has a bad percent-encoding.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_request',
    message: 'The Content-Length header does not match the body.',
  },
};

function statusCodeOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function validationError(error: RequestValidationError): ApiError {
  const problems = requestProblems(error);
  const summary = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return new ApiError(400, 'invalid_request', `The request is not valid: ${summary}.`, problems);
}

/** The part of a request's logger that logApiError uses. */
interface RequestLog {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/**
 * How a failed request is logged. A 500 is our own bug: error level, with the error and its stack.
 * Every other status is an answer the contract lists, and the reply already says why: the
 * caller's mistake (4xx) at info, an upstream that is down or slow (503 Temporal or an MCP server
 * unreachable, 504 too slow) at warn, each with its code and message and no stack, so an
 * operator's error-level alerts fire on bugs only.
 */
export function logApiError(log: RequestLog, apiError: ApiError, error: unknown): void {
  const fields = { status: apiError.status, code: apiError.code };
  if (apiError.status === 500) log.error({ ...fields, err: error }, apiError.message);
  else if (apiError.status >= 500) log.warn(fields, apiError.message);
  else log.info(fields, apiError.message);
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof RequestValidationError) return validationError(error);
  if (error instanceof UnknownWorkflowError) return new ApiError(404, 'workflow_not_found', error.message);
  if (error instanceof SpecError) {
    return new ApiError(400, 'invalid_spec', `The spec cannot run: ${error.problems.join('; ')}.`, error.problems);
  }
  if (error instanceof InvalidInputError) return new ApiError(400, error.code, `${error.message}.`, error.problems);
  if (error instanceof RunNotFoundError) return new ApiError(404, error.code, error.message);
  if (error instanceof RunClosedError) return new ApiError(409, error.code, error.message);
  if (error instanceof RunIdInUseError) return new ApiError(409, error.code, error.message);
  if (error instanceof InputRejectedError) {
    return new ApiError(error.code === 'nothing_pending' ? 409 : 422, error.code, error.message, error.details);
  }
  if (error instanceof MessageRejectedError) {
    return new ApiError(error.code === 'invalid_message' ? 400 : 409, error.code, error.message);
  }
  // 422, as the IETF Idempotency-Key draft has it: the request is well formed, but its key belongs to another one.
  if (error instanceof IdempotencyKeyReusedError) return new ApiError(422, error.code, error.message);
  if (error instanceof NoTranscriptError) return new ApiError(409, error.code, error.message);
  if (error instanceof WorkerUnavailableError) return new ApiError(503, error.code, error.message);
  if (error instanceof WorkflowTaskFailingError) return new ApiError(503, error.code, error.message);
  if (isTemporalUnavailable(error)) return temporalUnavailable();
  const refused = temporalRefusal(error);
  if (refused) return refused;
  if (isWorkflowTaskFailing(error)) {
    return new ApiError(
      503,
      'workflow_task_failing',
      "The run cannot answer now: its workflow task keeps failing (its history in the Web UI says why); it goes on once a worker can run it.",
    );
  }

  const known = fastifyErrors[codeOf(error) ?? ''];
  if (known) return new ApiError(known.status, known.code, known.message);
  const status = statusCodeOf(error);
  if (status !== undefined && status >= 400 && status < 500 && error instanceof Error) {
    return new ApiError(status, 'bad_request', error.message);
  }
  return new ApiError(500, 'internal', 'Something went wrong on our side; the error has been logged.');
}
