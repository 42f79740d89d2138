import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { formatPath, zodIssueProblems } from '../config/problems';

/**
 * Request validation with the routes' zod schemas. The type provider's own compiler keeps only a
 * JSON-pointer of each issue; this one keeps zod's issues, so replies list problems by key path in
 * the same words as config errors (`body.spec.agent: unknown agent "x"`).
 */

/** Fastify sets `validationContext` on the error to the part that failed. */
export class RequestValidationError extends Error {
  validationContext?: string;

  constructor(readonly issues: readonly z.core.$ZodIssue[]) {
    super('The request does not match its schema.');
    this.name = 'RequestValidationError';
  }
}

export interface RequestProblem {
  path: string;
  message: string;
}

const partNames: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'headers' };

export function requestProblems(error: RequestValidationError): RequestProblem[] {
  const part = partNames[error.validationContext ?? ''] ?? 'request';
  return zodIssueProblems(error.issues, [part]).map((problem) => ({
    path: formatPath(problem.path),
    message: problem.path.length === 1 && part === 'body' ? wholeBodyMessage(problem.message) : problem.message,
  }));
}

/** Fastify hands the schema an absent body and a JSON `null` alike (as nothing), which zod calls undefined. */
function wholeBodyMessage(message: string): string {
  return message.replace(/^expected object, received undefined$/, 'expected a JSON object, received no body (or null)');
}

/** Fastify hands a request without a body to the body schema as null; to a schema that is no body. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const parsed = schema.safeParse(httpPart === 'body' && data === null ? undefined : data, { reportInput: true });
    return parsed.success ? { value: parsed.data } : { error: new RequestValidationError(parsed.error.issues) };
  };
