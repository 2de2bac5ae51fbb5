import type { ParamSpec } from '../params.ts';
import { idPattern } from '../params.ts';
import type { Route } from './route.ts';

const schemaOf = (p: ParamSpec): Record<string, unknown> => {
  switch (p.kind) {
    case 'date':
      return { type: 'string', format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
    case 'id':
      return { type: 'string', pattern: idPattern.source };
    case 'int':
      return {
        type: 'integer',
        minimum: p.min,
        maximum: p.max,
        ...(p.default !== undefined ? { default: p.default } : {}),
      };
    case 'enum':
      return { type: 'string', enum: [...p.values] };
    case 'page':
    case 'token':
      return { type: 'string', description: 'opaque token' };
  }
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The OpenAPI 3.1 document of the routes, generated from their declarations. */
export function openApiDocument(routes: readonly Route[], options: { auth: boolean }) {
  const paths: Record<string, unknown> = {};
  for (const r of routes) {
    const pathParams = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    paths[r.path] = {
      get: {
        summary: r.summary,
        tags: [r.tag],
        ...(options.auth ? { security: [{ bearer: [] }], 'x-scope': r.scope } : {}),
        operationId:
          r.path
            .replace('/api/v1/', '')
            .replace(/[{}]/g, '')
            .replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase()) || 'root',
        parameters: [
          ...pathParams.map((name) => ({
            name,
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: idPattern.source },
          })),
          ...Object.entries(r.params).map(([name, p]) => ({
            name,
            in: 'query',
            required: false,
            description: p.doc,
            schema: schemaOf(p),
          })),
        ],
        responses: {
          '200': {
            description: 'JSON answer',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          '400': errorResponse('invalid parameter (the message names it)'),
          ...(options.auth
            ? {
                '401': errorResponse('missing or unknown bearer token'),
                '403': errorResponse(`the token lacks the scope \`${r.scope}\``),
              }
            : {}),
          ...(pathParams.length > 0 ? { '404': errorResponse('unknown id') } : {}),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'University Learning Analytics API',
      version: '1.0.0',
      description:
        'Batch and speed views of the Lambda pipeline, merged at the batch watermark without double counting. Ids only: no profile PII is ever returned.',
    },
    servers: [{ url: '/' }],
    ...(options.auth ? { security: [{ bearer: [] }] } : {}),
    paths,
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'message'],
          properties: { error: { type: 'string' }, message: { type: 'string' } },
        },
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
