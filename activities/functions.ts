import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { isRecord } from '../src/config/values';
import type { FunctionContext } from '../src/functions/convention';
import { jsonValueProblem } from '../src/functions/json-value';
import type { FunctionRegistry } from '../src/functions/registry';
import { thrownMessage } from '../src/functions/thrown-message';
import { FailureTypes } from '../src/failure-types';
import type { Activities, CallFunctionInput, CallFunctionResult } from './contracts';

export type FunctionActivities = Pick<Activities, 'callFunction'>;

/**
 * Runs configured functions (calling convention: src/functions/convention.ts). Only an unknown
 * name (a config mistake) or an ApplicationFailure the function throws on purpose fails the
 * activity; any other error is an answer for the caller, as an MCP tool's error is.
 */
export function createFunctionActivities(registry: FunctionRegistry): FunctionActivities {
  async function callFunction(input: CallFunctionInput): Promise<CallFunctionResult> {
    const fn = registry.get(input.name);
    if (!fn) throw unknownFunction(input.name, registry.names());
    const signal = Context.current().cancellationSignal;
    const before = input.contextVariables ?? {};
    let transferTo: string | undefined;
    const context: FunctionContext = {
      contextVariables: structuredClone(before),
      transferTo(agent: string) {
        if (typeof agent !== 'string' || agent === '') throw new TypeError('transferTo needs the name of a swarm agent');
        transferTo = agent;
      },
      signal,
    };
    let value: unknown;
    try {
      value = await fn(input.args ?? {}, context);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof ApplicationFailure) throw error;
      return failed(before, thrownMessage(error));
    }
    const problem = resultProblem(value, context.contextVariables);
    if (problem) return failed(before, `Function "${input.name}" ${problem}`);
    return {
      value: asJson(value ?? null),
      isError: false,
      contextVariables: asJson(context.contextVariables) as Record<string, unknown>,
      ...(transferTo !== undefined && { transferTo }),
    };
  }

  return { callFunction };
}

function resultProblem(value: unknown, contextVariables: unknown): string | undefined {
  const valueProblem = jsonValueProblem(value, 'result');
  if (valueProblem) return `returned a value JSON cannot carry: ${valueProblem}`;
  if (!isRecord(contextVariables)) return 'left context.contextVariables not an object';
  const variablesProblem = jsonValueProblem(contextVariables, 'contextVariables');
  if (variablesProblem) return `left context variables JSON cannot carry: ${variablesProblem}`;
  return undefined;
}

/** What the workflow will receive anyway (dates as strings, undefined fields gone), made visible here. */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

function failed(contextVariables: Record<string, unknown>, error: string): CallFunctionResult {
  return { value: null, isError: true, error, contextVariables };
}

function unknownFunction(name: string, known: string[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.UnknownFunction,
    message: `Unknown function "${name}". Configured: ${known.length ? known.join(', ') : '(none)'}`,
    nonRetryable: true,
  });
}
