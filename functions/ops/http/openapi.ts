// GET /openapi.json: the ops API as an OpenAPI 3.1 document, built from the route table (routes.ts)
// and the zod schemas each route is validated with (route-schemas.ts), so it says what the server
// does. OpenAPI 3.1's schema dialect is JSON Schema 2020-12, which z.toJSONSchema writes.
import { z } from 'zod';
import { errorBodySchema, errorStatus } from '../api-schemas';
import { routes, type RouteName, type RouteSpec } from '../routes';
import { routeSchemas } from './route-schemas';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
};

// A query schema's properties as OpenAPI query parameters.
function queryParameters(schema: z.ZodType): JsonSchema[] {
  const json = toSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}

function operation(name: RouteName, spec: RouteSpec): JsonSchema {
  const schemas = routeSchemas[name];
  const pathParameters = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const parameters = [...pathParameters, ...(schemas.query ? queryParameters(schemas.query) : [])];
  const errors = Object.fromEntries(
    (spec.role === 'none' ? ['internal'] : ['invalid-request', 'unauthenticated', 'forbidden', 'not-found', 'internal']).map((code) => [
      String(errorStatus[code as keyof typeof errorStatus]),
      { description: code, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    ]),
  );
  const success = schemas.response
    ? { description: spec.summary, content: { 'application/json': { schema: toSchema(schemas.response, 'output') } } }
    : { description: `${spec.summary}. Events carry JSON data.`, content: { 'text/event-stream': { schema: { type: 'string' } } } };
  return {
    operationId: name,
    summary: spec.summary,
    'x-sluice-role': spec.role,
    ...(spec.role === 'none' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(schemas.body
      ? { requestBody: { required: false, content: { 'application/json': { schema: toSchema(schemas.body, 'input') } } } }
      : {}),
    responses: { [String(schemas.status)]: success, ...(name === 'healthDetailed' ? { 503: success } : {}), ...errors },
  };
}

export function buildOpenApiDocument(options: { serverUrl?: string } = {}): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const [name, spec] of Object.entries(routes) as Array<[RouteName, RouteSpec]>) {
    (paths[spec.path] ??= {})[spec.method.toLowerCase()] = operation(name, spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sluice ops API',
      version: '1',
      description: 'Runs, pipelines, controls, dead letters and health of a Sluice deployment. Roles: x-sluice-role on each operation.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ googleIdToken: [] }],
    components: {
      securitySchemes: {
        googleIdToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Google ID token whose audience is this function\'s URL (locally: the dev token).' },
      },
      schemas: { Error: toSchema(errorBodySchema, 'output') },
    },
    paths,
  };
}
