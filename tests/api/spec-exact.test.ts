import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/lib/paths';
import { PROBLEM_TYPES } from '../../src/lib/problem';
import { signUp, type Account } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { useTestDatabase } from '../helpers/db';

const db = useTestDatabase();
const api = useTestApi(db, {
  // The limits test sends a few hundred requests in a minute.
  configure: (c) => ({ ...c, rateLimits: { ...c.rateLimits, organizationPerMinute: 100_000 } }),
});

/**
 * The committed spec says exactly what the server does. These checks walk the whole document, so
 * they hold every operation and schema to it, including ones added later.
 */

interface Operation {
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; schema: Schema; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: Schema; example?: unknown }> };
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, unknown> }>;
  [extension: string]: unknown;
}

interface Schema {
  type?: string;
  format?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  [key: string]: unknown;
}

const spec = JSON.parse(fs.readFileSync(path.join(projectRoot, 'openapi', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; headers: Record<string, unknown> };
};

const operations = Object.entries(spec.paths).flatMap(([route, byMethod]) =>
  Object.entries(byMethod).map(([method, operation]) => ({ route, method, operation })),
);

/** A schema with its `$ref`s followed (tsoa refers to named schemas and aliases). */
function resolve(schema: Schema): Schema {
  let resolved = schema;
  while (resolved.$ref) {
    const { $ref, ...rest } = resolved;
    resolved = { ...spec.components.schemas[$ref.replace('#/components/schemas/', '')]!, ...rest };
  }
  return resolved;
}

/** Every schema node in the spec with its JSON pointer and the name of the property that holds it. */
function* schemaNodes(node: unknown, at = '', name = ''): Generator<[string, string, Schema]> {
  if (!node || typeof node !== 'object') return;
  const schema = node as Schema;
  if (typeof schema.type === 'string' || schema.$ref) yield [at, name, schema];
  // A parameter's schema is named by its parameter.
  const parameter =
    typeof schema.in === 'string' && typeof schema.name === 'string' ? schema.name : undefined;
  for (const [key, child] of Object.entries(schema)) {
    const childName =
      key === 'schema' && parameter
        ? parameter
        : key === 'properties' || key === 'items' || key === 'additionalProperties' || /^\d+$/.test(key)
          ? name
          : key;
    if (key === 'properties' && child && typeof child === 'object') {
      for (const [property, value] of Object.entries(child as Record<string, unknown>))
        yield* schemaNodes(value, `${at}/properties/${property}`, property);
    } else yield* schemaNodes(child, `${at}/${key}`, childName);
  }
}

/**
 * Quantities that really are fractions: similarities, shares, sentiments, averages of ratings, and
 * retrieval stage timings (StageTimings: milliseconds to a hundredth, most stages take under one).
 */
const FRACTIONAL = /score|coverage|fused|confidence|sentiment|rate$|threshold|drop|^average$|^StageTimings$/i;

describe('the committed OpenAPI spec', () => {
  it('types whole numbers as integer, never as number', () => {
    const wrong: string[] = [];
    for (const [at, name, schema] of schemaNodes(spec)) {
      if (schema.type === 'number' && !FRACTIONAL.test(name)) wrong.push(`${at} (${name})`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives every operation a summary, and every request body an example', () => {
    const missing: string[] = [];
    for (const { route, method, operation } of operations) {
      const where = `${method.toUpperCase()} ${route}`;
      if (!operation.summary?.trim()) missing.push(`${where}: summary`);
      for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
        const schema = resolve(media.schema);
        if (type === 'application/json' && media.example === undefined && schema.example === undefined)
          missing.push(`${where}: example of the ${type} body`);
        // A form's example would be a file; each of its parts says what it is instead.
        if (type === 'multipart/form-data')
          for (const [part, partSchema] of Object.entries(schema.properties ?? {}))
            if (!partSchema.description) missing.push(`${where}: description of the part ${part}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('keeps security requirements well formed and states the role and scope each operation needs', () => {
    const wrong: string[] = [];
    for (const { route, method, operation } of operations) {
      const where = `${method.toUpperCase()} ${route}`;
      if (!operation.security?.length) continue; // public
      // An HTTP bearer scheme has no scopes: its lists are empty (OpenAPI 3.0).
      for (const requirement of operation.security)
        for (const [scheme, names] of Object.entries(requirement))
          if (names.length > 0) wrong.push(`${where}: ${scheme} lists ${names.join(', ')}`);
      const role = operation['x-required-role'];
      const scopes = operation['x-required-scopes'];
      if (!['owner', 'admin', 'agent'].includes(role as string)) wrong.push(`${where}: x-required-role`);
      if (!Array.isArray(scopes) || scopes.length === 0) wrong.push(`${where}: x-required-scopes`);
      if (!operation.description?.includes(`**Access:** members with the role \`${String(role)}\``))
        wrong.push(`${where}: access sentence in the description`);
    }
    expect(wrong).toEqual([]);
  });

  it('declares the headers every answer carries: request id, rate limits, Retry-After on 429', () => {
    const wrong: string[] = [];
    for (const { route, method, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const where = `${method.toUpperCase()} ${route} ${status}`;
        const headers = Object.keys(response.headers ?? {});
        if (!headers.includes('X-Request-Id')) wrong.push(`${where}: X-Request-Id`);
        if (operation.security?.length && status !== '401')
          for (const name of ['RateLimit', 'RateLimit-Policy'])
            if (!headers.includes(name)) wrong.push(`${where}: ${name}`);
        if (status === '429' && !headers.includes('Retry-After')) wrong.push(`${where}: Retry-After`);
      }
    }
    expect(wrong).toEqual([]);
    for (const name of ['X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Next-Cursor'])
      expect([name, spec.components.headers[name]]).toEqual([name, expect.anything()]);
  });

  it('takes an Idempotency-Key on every authenticated operation that creates (201)', () => {
    const missing = operations
      .filter(
        ({ method, operation }) =>
          method === 'post' && operation.security?.length && '201' in operation.responses,
      )
      .filter(
        ({ operation }) =>
          !operation.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key'),
      )
      .map(({ route }) => `POST ${route}`);
    expect(missing).toEqual([]);
  });

  it('declares problem types as URIs', () => {
    expect(resolve(spec.components.schemas.ProblemDocument!.properties!.type!).format).toBe('uri');
  });
});

describe('problem types', () => {
  it('answers with an absolute type URI whose page explains the problem', async () => {
    const res = await fetch(`${api().baseUrl}/v1/organization`);
    const problem = (await res.json()) as { type: string; title: string };
    expect(problem.type).toBe(`${api().baseUrl}/problems/unauthorized`);
    const page = await fetch(problem.type);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain(`<h1>${problem.title}</h1>`);
  });

  it('serves a page for every problem type, and lists them all', async () => {
    const index = await (await fetch(`${api().baseUrl}/problems`)).text();
    for (const [slug, { status, title }] of Object.entries(PROBLEM_TYPES)) {
      const page = await fetch(`${api().baseUrl}/problems/${slug}`);
      expect([slug, page.status]).toEqual([slug, 200]);
      const html = await page.text();
      expect(html).toContain(`<h1>${title}</h1>`);
      expect(html).toContain(`<strong>${status}</strong>`);
      expect(index).toContain(`href="/problems/${slug}"`);
    }
    expect((await fetch(`${api().baseUrl}/problems/no-such-problem`)).status).toBe(404);
  });
});

describe('declared limits', () => {
  let owner: Account;
  let conversationId: string;
  beforeAll(async () => {
    owner = await signUp(api());
    const { data } = await owner.client.POST('/v1/conversations', { body: {} });
    conversationId = data!.id;
  });

  it("sends a list page's cursor as X-Next-Cursor too, and none on the last page", async () => {
    await owner.client.POST('/v1/conversations', { body: {} });
    const first = await owner.client.GET('/v1/conversations', { params: { query: { limit: 1 } } });
    expect(first.data!.nextCursor).toEqual(expect.any(String));
    expect(first.response.headers.get('x-next-cursor')).toBe(first.data!.nextCursor);
    const last = await owner.client.GET('/v1/conversations', { params: { query: { limit: 100 } } });
    expect(last.data!.nextCursor).toBeNull();
    expect(last.response.headers.get('x-next-cursor')).toBeNull();
  });

  /** Real ids where the service would otherwise answer 404 before reading the body. */
  const pathOf = (route: string): string =>
    route.replace(/\{(\w+)\}/g, () =>
      route.startsWith('/v1/conversations/')
        ? conversationId
        : route.startsWith('/v1/members/')
          ? owner.session.user.id
          : randomUUID(),
    );

  /** A string of exactly `length` characters built from the example so that it still fits `pattern`. */
  function fill(example: unknown, length: number, pattern?: string): string {
    const seeds =
      typeof example === 'string' ? [example] : ['a', 'https://example.com/', 'a@example.com', randomUUID()];
    const candidates = seeds.flatMap((base) => {
      const extra = 'a'.repeat(Math.max(0, length - base.length));
      return [base.slice(0, length) + extra, extra + base, base.replace('@', `${extra}@`)];
    });
    const fits = candidates.find((v) => v.length === length && (!pattern || new RegExp(pattern).test(v)));
    if (!fits) throw new Error(`no value of ${length} characters fits ${pattern}`);
    return fits;
  }

  interface Case {
    where: string;
    field: string;
    atLimit: unknown;
    overLimit: unknown;
  }

  /** A value at each declared maximum of `schema` (recursively), and one just past it. */
  function* limits(schema: Schema, example: unknown, field: string): Generator<Omit<Case, 'where'>> {
    const s = resolve(schema);
    if (s.type === 'string' && typeof s.maxLength === 'number') {
      const pattern = typeof s.pattern === 'string' ? s.pattern : undefined;
      yield {
        field,
        atLimit: fill(example, s.maxLength, pattern),
        overLimit: fill(example, s.maxLength + 1),
      };
    }
    if ((s.type === 'integer' || s.type === 'number') && typeof s.maximum === 'number') {
      yield { field, atLimit: s.maximum, overLimit: s.maximum + (s.type === 'integer' ? 1 : 0.01) };
    }
    if (s.type === 'array' && typeof s.maxItems === 'number' && s.items) {
      const item = resolve(s.items);
      const first = Array.isArray(example) ? (example[0] as unknown) : undefined;
      // Distinct items of the example's kind (an enum has too few values to fill a list).
      if (item.type === 'string' && !item.enum && typeof first === 'string') {
        const items = (n: number) => Array.from({ length: n }, (_, i) => first.replace(/(\.\w+)$/, `${i}$1`));
        yield { field, atLimit: items(s.maxItems), overLimit: items(s.maxItems + 1) };
      }
    }
    for (const [name, property] of Object.entries(s.properties ?? {})) {
      const value = (example as Record<string, unknown> | undefined)?.[name];
      yield* limits(property, value, `${field}.${name}`);
    }
  }

  function withValue(example: unknown, field: string, value: unknown): unknown {
    const body = structuredClone(example ?? {}) as Record<string, unknown>;
    const keys = field.split('.').slice(1);
    let node = body;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = value;
    return body;
  }

  /**
   * Fields whose valid values are set by stored state, not by the schema: a value of the declared
   * length is refused because it is not that state, so only the refusal past the limit is checked here.
   */
  const STATE_BOUND: Record<string, string> = {
    // Must equal the organization's name; its limit is the name's own (200), so a name of that
    // length can be confirmed. The name itself is another organization's to choose.
    'DELETE /v1/organization body.confirm': "the organization's name",
  };

  it('refuses one past each declared maximum of a JSON body or query, and accepts the maximum itself', async () => {
    const cases: (Case & { send: (value: unknown) => Promise<Response> })[] = [];
    const headers = {
      authorization: `Bearer ${owner.session.accessToken}`,
      'content-type': 'application/json',
    };
    for (const { route, method, operation } of operations) {
      const where = `${method.toUpperCase()} ${route}`;
      const media = operation.requestBody?.content['application/json'];
      if (media) {
        const example = media.example ?? resolve(media.schema).example;
        for (const c of limits(media.schema, example, 'body'))
          cases.push({
            ...c,
            where,
            send: (value) =>
              fetch(`${api().baseUrl}${pathOf(route)}`, {
                method: method.toUpperCase(),
                headers,
                body: JSON.stringify(withValue(example, c.field, value)),
              }),
          });
      }
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== 'query') continue;
        for (const c of limits(parameter.schema, undefined, `query.${parameter.name}`))
          cases.push({
            ...c,
            where,
            send: (value) =>
              fetch(
                `${api().baseUrl}${pathOf(route)}?${new URLSearchParams({ [parameter.name]: String(value) })}`,
                { method: method.toUpperCase(), headers },
              ),
          });
      }
    }
    expect(cases.length).toBeGreaterThan(20);

    const namesField = async (res: Response, field: string): Promise<boolean> => {
      if (res.status !== 422) return false;
      const { errors = [] } = (await res.json()) as { errors?: { field: string }[] };
      return errors.some((e) => e.field === field || e.field.startsWith(`${field}.`));
    };
    const wrong: string[] = [];
    for (const c of cases) {
      if (!STATE_BOUND[`${c.where} ${c.field}`] && (await namesField(await c.send(c.atLimit), c.field)))
        wrong.push(`${c.where}: ${c.field} refused at the declared limit`);
      if (!(await namesField(await c.send(c.overLimit), c.field)))
        wrong.push(`${c.where}: ${c.field} accepted past the declared limit`);
    }
    expect(wrong).toEqual([]);
  }, 180_000);
});
