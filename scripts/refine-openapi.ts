import fs from 'node:fs';
import path from 'node:path';
import { ROLES } from '../src/db/models/identity';
import { ALL_SCOPES } from '../src/domain/scopes';

/**
 * What tsoa cannot say from the controllers, added to the spec it wrote (`npm run openapi` runs this
 * after `tsoa spec-and-routes`; tests/api/openapi.test.ts does the same to check the committed spec):
 *
 * - Security requirements well formed for an HTTP bearer scheme, whose lists must be empty in OpenAPI
 *   3.0: tsoa's `@Security('bearer', ['admin', 'documents:write'])` names the minimum role and the
 *   API-key scopes, which move to `x-required-role` and `x-required-scopes` and to a sentence of the
 *   description (shown in /docs).
 * - The response headers the server sends on every answer (`X-Request-Id`, the rate-limit headers of
 *   the IETF draft), `Retry-After` on 429, and `X-Next-Cursor` on list pages.
 *
 * It works on every operation, so operations added later are covered without more code.
 */

interface Operation {
  description?: string;
  parameters?: { in: string; name: string }[];
  security?: Record<string, string[]>[];
  responses: Record<string, Response>;
  [extension: string]: unknown;
}
interface Response {
  description: string;
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, { schema?: { $ref?: string } }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: {
    headers?: Record<string, unknown>;
    schemas: Record<string, { properties?: Record<string, unknown> }>;
  };
  [key: string]: unknown;
}

const HEADERS = {
  'X-Request-Id': {
    description:
      "This request's id (yours when you sent a well-formed `X-Request-Id`, otherwise minted); quote it to support.",
    schema: { type: 'string' },
  },
  'RateLimit-Policy': {
    description:
      'The quotas this request counts against (IETF draft-ietf-httpapi-ratelimit-headers), a list of `"<name>";q=<requests>;w=<seconds>`, e.g. `"api-key";q=120;w=60, "organization";q=600;w=60`. Sent on every answer that counted against a quota (all but a 401).',
    schema: { type: 'string' },
  },
  RateLimit: {
    description:
      'What is left of each quota, in the same order: `"<name>";r=<remaining>;t=<seconds until the window resets>`, e.g. `"api-key";r=119;t=42, "organization";r=599;t=42`.',
    schema: { type: 'string' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    schema: { type: 'integer', format: 'int64' },
  },
  'X-Next-Cursor': {
    description: 'The `nextCursor` of this page, when there is a next page.',
    schema: { type: 'string' },
  },
};

const ref = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

/** True when a response's JSON body is a page (`{ items, nextCursor }`). */
function isPage(spec: OpenApiDocument, response: Response): boolean {
  const schema = response.content?.['application/json']?.schema?.$ref;
  const name = schema?.replace('#/components/schemas/', '');
  const properties = name ? spec.components.schemas[name]?.properties : undefined;
  return Boolean(properties && 'items' in properties && 'nextCursor' in properties);
}

function describeAccess(role: string, scopes: string[]): string {
  const keys =
    scopes.length > 0
      ? `an API key needs the scope${scopes.length > 1 ? 's' : ''} ${scopes.map((s) => `\`${s}\``).join(', ')}`
      : `an API key must be unrestricted (scope \`${ALL_SCOPES}\`)`;
  return `**Access:** members with the role \`${role}\` or above; ${keys}.`;
}

export function refineSpec(spec: OpenApiDocument): OpenApiDocument {
  spec.components.headers = { ...spec.components.headers, ...HEADERS };
  for (const [route, operations] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      // What counts against a quota: authenticated operations (per organization, and per API key),
      // and the sign-in endpoints (per address); see src/api/rate-limits.ts.
      const counted =
        Boolean(operation.security?.length) || (method === 'post' && route.startsWith('/v1/auth/'));
      const requirements = operation.security ?? [];
      for (const requirement of requirements) {
        for (const [scheme, names] of Object.entries(requirement)) {
          if (operation['x-required-role']) continue; // refined already
          const role = names.find((n) => (ROLES as readonly string[]).includes(n)) ?? 'agent';
          const scopes = names.filter((n) => n.includes(':'));
          requirement[scheme] = [];
          operation['x-required-role'] = role;
          operation['x-required-scopes'] = scopes.length > 0 ? scopes : [ALL_SCOPES];
          operation.description = [operation.description, describeAccess(role, scopes)]
            .filter(Boolean)
            .join('\n\n');
        }
      }
      // A keyed request can meet its first run still going (409) or a key used for another (422).
      if (operation.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key')) {
        const problem = Object.values(operation.responses).find(
          (r) => r.content?.['application/problem+json'],
        );
        for (const [status, description] of [
          ['409', 'A request with this Idempotency-Key is still running; see Retry-After'],
          ['422', 'Invalid fields, or an Idempotency-Key already used for another request'],
        ] as const) {
          if (problem && !operation.responses[status])
            operation.responses[status] = { description, content: problem.content };
        }
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        const headers: Response['headers'] = { 'X-Request-Id': ref('X-Request-Id') };
        if (counted && status !== '401') {
          headers['RateLimit-Policy'] = ref('RateLimit-Policy');
          headers.RateLimit = ref('RateLimit');
        }
        if (
          status === '429' ||
          (status === '409' && operation.parameters?.some((p) => p.name === 'Idempotency-Key'))
        )
          headers['Retry-After'] = ref('Retry-After');
        if (status === '200' && isPage(spec, response)) headers['X-Next-Cursor'] = ref('X-Next-Cursor');
        response.headers = { ...response.headers, ...headers };
      }
    }
  }
  return spec;
}

/** Reads, refines and writes a spec file in tsoa's own layout (tab-indented). */
export function refineSpecFile(file: string): void {
  const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as OpenApiDocument;
  fs.writeFileSync(file, JSON.stringify(refineSpec(spec), null, '\t'));
}

if (require.main === module) {
  refineSpecFile(path.resolve(process.argv[2] ?? 'openapi/openapi.json'));
}
