import type { Config } from '../config/schema';
import { workflowTypeByPattern } from '../spec/schema';

/**
 * `POST /workflows/:name/run` is one route, but what its body may hold depends on `:name`: a config
 * workflow takes no `spec` (and `input: null` only when it is a conversation), a pattern type needs
 * one. A single templated operation cannot say so, and a client following it gets 400s for bodies
 * the document allowed. So the document, which is built for this deployment's config anyway, shows
 * one operation per config workflow (a concrete path, which OpenAPI matches before the template)
 * and keeps the template for the pattern types. The route and its checks are unchanged.
 */

export const RUN_TEMPLATE_PATH = '/workflows/{name}/run';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON body schema of an operation, an inline object schema here. */
function bodySchemaOf(operation: JsonObject): JsonObject | undefined {
  const requestBody = operation.requestBody;
  if (!isObject(requestBody) || !isObject(requestBody.content)) return undefined;
  const json = requestBody.content['application/json'];
  return isObject(json) && isObject(json.schema) ? json.schema : undefined;
}

function withBodySchema(operation: JsonObject, schema: JsonObject): JsonObject {
  const requestBody = operation.requestBody as JsonObject;
  return { ...operation, requestBody: { ...requestBody, content: { 'application/json': { schema } } } };
}

/** Agent, swarm and code entries say whether their runs are conversations. */
function isConversation(spec: Config['workflows'][string]): boolean {
  return 'conversation' in spec && spec.conversation === true;
}

export function describeWorkflowRuns<T extends object>(document: T, config: Config): T {
  const paths = (document as { paths?: unknown }).paths;
  if (!isObject(paths)) return document;
  const template = paths[RUN_TEMPLATE_PATH];
  if (!isObject(template) || !isObject(template.post)) return document;
  const operation = template.post;
  const body = bodySchemaOf(operation);
  if (!body || !isObject(body.properties)) return document;
  const { spec, input, ...properties } = body.properties;
  const parameters = Array.isArray(operation.parameters) ? (operation.parameters as JsonObject[]) : [];
  const responses = isObject(operation.responses) ? operation.responses : {};

  const described: JsonObject = {};
  for (const [name, workflow] of Object.entries(config.workflows)) {
    const { 404: _unknownName, ...workflowResponses } = responses;
    const workflowInput = isConversation(workflow)
      ? { ...(input as JsonObject), description: 'The first message; null starts the conversation idle, waiting for one' }
      : { ...(input as JsonObject), not: { type: 'null' } };
    described[`/workflows/${encodeURIComponent(name)}/run`] = {
      post: withBodySchema(
        {
          ...operation,
          summary: `Start a run of the config workflow "${name}" (${workflow.type})`,
          ...(workflow.description && { description: workflow.description }),
          parameters: parameters.filter((parameter) => parameter.name !== 'name'),
          responses: workflowResponses,
        },
        { ...body, properties: { input: workflowInput, ...properties } },
      ),
    };
  }

  // A config workflow named like a pattern type takes its place.
  const patternTypes = Object.keys(workflowTypeByPattern).filter((type) => !Object.hasOwn(config.workflows, type));
  const adhoc = withBodySchema(
    {
      ...operation,
      summary: 'Start an ad-hoc run of a pattern type, described by `spec`',
      description: 'Any other name is 404 workflow_not_found; the config workflows have operations of their own.',
      parameters: parameters.map((parameter) =>
        parameter.name === 'name' && isObject(parameter.schema) && patternTypes.length > 0
          ? { ...parameter, description: 'A pattern type', schema: { ...parameter.schema, enum: patternTypes } }
          : parameter,
      ),
    },
    {
      ...body,
      properties: { input, ...properties, spec },
      required: [...new Set([...(Array.isArray(body.required) ? body.required : []), 'spec'])],
    },
  );
  return { ...document, paths: { ...paths, [RUN_TEMPLATE_PATH]: { ...template, post: adhoc }, ...described } };
}

/**
 * The JSON parser refuses a key that could reach an object's prototype (`__proto__`, or `constructor`
 * holding `prototype`: 400 forbidden_key), wherever it is in the body. The document says so: every
 * request body's "any JSON" is a JsonValue, and every object that takes keys of the client's choice
 * leaves those two out.
 */
const JSON_VALUE_REF = '#/components/schemas/JsonValue';

const noPrototypeKeys = (valueSchema: JsonObject): JsonObject => ({
  propertyNames: { not: { const: '__proto__' } },
  properties: { constructor: { ...valueSchema, not: { type: 'object', required: ['prototype'] } } },
});

export const jsonValueSchema: JsonObject = {
  description: 'Any JSON value in which no object has a `__proto__` key, or a `constructor` key holding `prototype`',
  anyOf: [
    { type: ['null', 'boolean', 'number', 'string'] },
    { type: 'array', items: { $ref: JSON_VALUE_REF } },
    { type: 'object', ...noPrototypeKeys({ $ref: JSON_VALUE_REF }), additionalProperties: { $ref: JSON_VALUE_REF } },
  ],
};

const SHAPE_KEYWORDS = ['type', '$ref', 'anyOf', 'oneOf', 'allOf', 'enum', 'const', 'properties', 'items'];

function withSafeKeys(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  // A schema that says nothing of its shape is any JSON.
  if (!SHAPE_KEYWORDS.some((keyword) => Object.hasOwn(schema, keyword))) return { ...schema, $ref: JSON_VALUE_REF };
  const result: JsonObject = { ...schema };
  if (isObject(schema.properties)) {
    result.properties = Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, withSafeKeys(value)]));
  }
  if (schema.items !== undefined) result.items = withSafeKeys(schema.items);
  for (const keyword of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(schema[keyword])) result[keyword] = (schema[keyword] as unknown[]).map(withSafeKeys);
  }
  if (schema.type === 'object' && schema.additionalProperties !== false) {
    const additional = isObject(schema.additionalProperties) ? withSafeKeys(schema.additionalProperties) : { $ref: JSON_VALUE_REF };
    if (isObject(schema.additionalProperties)) result.additionalProperties = additional;
    const rules = noPrototypeKeys(additional as JsonObject);
    result.propertyNames = isObject(schema.propertyNames) ? { allOf: [schema.propertyNames, rules.propertyNames] } : rules.propertyNames;
    if (!(isObject(result.properties) && Object.hasOwn(result.properties, 'constructor'))) {
      result.properties = { ...(result.properties as JsonObject | undefined), ...(rules.properties as JsonObject) };
    }
  }
  return result;
}

/** Set on an operation whose route takes no body too, until describeJsonBodies says so in its requestBody. */
const OPTIONAL_BODY = 'x-optional-body';

/**
 * The swagger plugin documents every body as required (Fastify needs one once a route has a body
 * schema, unless the schema takes none, as `.optional()` zod bodies do here: cancel, a prompt).
 * A route-level transform marks those, for describeJsonBodies.
 */
export function markOptionalBody<T extends { schema: unknown }>(routeSchema: unknown, transformed: T): T {
  const body = isObject(routeSchema) ? routeSchema.body : undefined;
  const optional = isObject(body) && typeof body.safeParse === 'function' && (body as { safeParse(value: unknown): { success: boolean } }).safeParse(undefined).success;
  return optional && isObject(transformed.schema) ? { ...transformed, schema: { ...transformed.schema, [OPTIONAL_BODY]: true } } : transformed;
}

/** Such a body may also be JSON `null`, which Fastify hands on as it hands on no body at all. */
function withOptionalBody(operation: JsonObject): JsonObject {
  if (operation[OPTIONAL_BODY] !== true) return operation;
  const { [OPTIONAL_BODY]: _mark, ...rest } = operation;
  const body = bodySchemaOf(rest);
  if (!isObject(rest.requestBody)) return rest;
  const optional = { ...rest, requestBody: { ...rest.requestBody, required: false } };
  return body ? withBodySchema(optional, { anyOf: [body, { type: 'null', description: 'the same as no body' }] }) : optional;
}

export function describeJsonBodies<T extends object>(document: T): T {
  const { paths, components } = document as { paths?: unknown; components?: unknown };
  if (!isObject(paths)) return document;
  const described = Object.fromEntries(
    Object.entries(paths).map(([path, item]) => [
      path,
      isObject(item)
        ? Object.fromEntries(
            Object.entries(item).map(([method, operation]) => {
              if (!isObject(operation)) return [method, operation];
              const body = bodySchemaOf(operation);
              return [method, withOptionalBody(body ? withBodySchema(operation, withSafeKeys(body) as JsonObject) : operation)];
            }),
          )
        : item,
    ]),
  );
  const schemas = isObject(components) && isObject(components.schemas) ? components.schemas : {};
  return { ...document, paths: described, components: { ...(components as JsonObject), schemas: { ...schemas, JsonValue: jsonValueSchema } } };
}
