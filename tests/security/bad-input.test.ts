import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Organization } from '../../src/db/models';
import { createLogger } from '../../src/lib/logger';
import { PASSWORD, signUp, type Account } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { ConsoleAgent } from '../helpers/console';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';
import { buildTicket } from '../helpers/tickets';
import { VisitorSocket, widgetSession } from '../helpers/widget';

/**
 * Bad input, by class rather than by instance (issue #17): every operation of openapi/openapi.json,
 * every console and public form, and every widget frame type get hostile values (encodings, unicode
 * edge cases, NUL, depth, size, wrong types, wrong content types, header oddities). Whatever the
 * input, the answer is not a 5xx, comes within a few seconds, has the documented shape
 * (problem+json from the API and the widget, a page from the console, an error frame on the
 * socket), and nothing is logged at error level: a client's mistake is not the server's error.
 * Values are sampled per field (a rotating window over the corpus) so the walk stays fast.
 */

type ValueClass =
  | 'encodings'
  | 'unicode'
  | 'NUL'
  | 'depth'
  | 'size'
  | 'wrong types'
  | 'wrong content types'
  | 'header oddities';

interface Hostile {
  class: ValueClass;
  label: string;
  value: unknown;
}

const nestArrays = (depth: number, inner: unknown = 'admin'): unknown => {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};
const nestObjects = (depth: number): unknown => {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

/**
 * 5,000 levels overflow JSON.stringify's own stack in a test worker: the value stands for its text,
 * which `serialize` puts in place.
 */
const DEEP = { deep: 5000 };
const DEEP_TEXT = '['.repeat(5000) + '"admin"' + ']'.repeat(5000);
const DEEP_MARK = '\u0001deep\u0001';

function serialize(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v === DEEP ? DEEP_MARK : v)).replace(
    JSON.stringify(DEEP_MARK),
    DEEP_TEXT,
  );
}

const CORPUS: Hostile[] = [
  { class: 'encodings', label: 'percent-encoded NUL as text', value: '%00' },
  { class: 'encodings', label: 'broken percent escape', value: '%ZZ%' },
  { class: 'encodings', label: 'byte order mark', value: '\uFEFFhello' },
  { class: 'encodings', label: 'mojibake', value: 'Ã©tÃ© â€™' },
  { class: 'encodings', label: 'CRLF and a header', value: 'a\r\nSet-Cookie: x=1' },
  { class: 'encodings', label: 'HTML entities and markup', value: '&lt;<script>&#0;</script>' },
  { class: 'unicode', label: 'lone high surrogate', value: 'a\uD800' },
  { class: 'unicode', label: 'lone low surrogate', value: '\uDFFFb' },
  { class: 'unicode', label: 'right-to-left override', value: '\u202Egnp.exe' },
  { class: 'unicode', label: 'zero-width characters', value: '\u200B\u200C\u200D\u2060' },
  { class: 'unicode', label: 'combining flood', value: 'e' + '\u0301'.repeat(3000) },
  { class: 'unicode', label: 'astral and ZWJ emoji', value: '👩‍👩‍👧‍👦𝕏' },
  { class: 'unicode', label: 'noncharacters', value: '\uFFFE\uFFFF\u{10FFFF}' },
  { class: 'NUL', label: 'NUL', value: '\u0000' },
  { class: 'NUL', label: 'embedded NUL', value: 'a\u0000b' },
  { class: 'NUL', label: 'C0 controls and escapes', value: '\u0001\u0007\u001b[31m\u007f' },
  { class: 'depth', label: 'arrays 20 deep', value: nestArrays(20) },
  { class: 'depth', label: 'objects 40 deep', value: nestObjects(40) },
  { class: 'depth', label: 'arrays 5,000 deep', value: DEEP },
  { class: 'size', label: '100 KB string', value: 'a'.repeat(100_000) },
  { class: 'size', label: '10,000-item array', value: Array.from({ length: 10_000 }, () => 'a') },
  { class: 'size', label: '2 MB string', value: 'b'.repeat(2 * 1024 * 1024) },
  { class: 'wrong types', label: 'null', value: null },
  { class: 'wrong types', label: 'true', value: true },
  { class: 'wrong types', label: 'zero', value: 0 },
  { class: 'wrong types', label: 'negative', value: -1 },
  { class: 'wrong types', label: 'fraction', value: 1.5 },
  { class: 'wrong types', label: 'huge number', value: 1e308 },
  { class: 'wrong types', label: 'unsafe integer', value: 2 ** 53 + 2 },
  { class: 'wrong types', label: 'empty string', value: '' },
  { class: 'wrong types', label: 'numeric string', value: '123' },
  { class: 'wrong types', label: 'empty array', value: [] },
  { class: 'wrong types', label: 'array of a string', value: ['a'] },
  { class: 'wrong types', label: 'empty object', value: {} },
  { class: 'wrong types', label: 'prototype key', value: JSON.parse('{"__proto__":{"admin":true}}') },
];

/** `count` values starting at `offset` (wrapping): every value is tried somewhere across the walk. */
const PER_FIELD = CORPUS.filter((h) => h.label !== '2 MB string');
/**
 * `count` values starting at `offset` (wrapping), so every value is tried somewhere across the walk;
 * the 2 MB body (a 413 wherever it goes) only where a whole body is replaced.
 */
const sample = (offset: number, count: number, corpus = PER_FIELD): Hostile[] =>
  Array.from({ length: Math.min(count, corpus.length) }, (_, i) => corpus[(offset + i) % corpus.length]!);

/** What the forms and query strings carry: text only. */
const asText = (value: unknown): string => (typeof value === 'string' ? value : serialize(value));

/** encodeURIComponent, with lone surrogates sent as the bytes of their (invalid) UTF-8 form. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text].map((c) => (/[\uD800-\uDFFF]/.test(c) ? '%ED%A0%80' : encodeURIComponent(c))).join('');
  }
}

// --- The harness: a logger whose error lines are collected, and a tally per class. ---

const errorLines: Record<string, unknown>[] = [];
const logger = createLogger(
  { level: 'warn', name: 'bad-input' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (Number(entry.level) >= 50) errorLines.push(entry);
      }
      done();
    },
  }),
);

const tally = new Map<ValueClass, { tried: number; passed: number }>();
const failures: string[] = [];

function record(cls: ValueClass, what: string, problem: string | undefined): void {
  const counts = tally.get(cls) ?? { tried: 0, passed: 0 };
  counts.tried++;
  if (problem) failures.push(`${cls} · ${what}: ${problem}`);
  else counts.passed++;
  tally.set(cls, counts);
}

const TIMEOUT_MS = 10_000;

interface Answer {
  status: number;
  type: string;
  text: string;
}

async function send(url: string, init: RequestInit): Promise<Answer | string> {
  try {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      text: await response.text(),
    };
  } catch (error) {
    return `no answer (${(error as Error).name}: ${(error as Error).message})`;
  }
}

/** Undefined when the answer is acceptable; otherwise what is wrong with it. */
function judgeProblem(answer: Answer | string): string | undefined {
  if (typeof answer === 'string') return answer;
  if (answer.status >= 500) return `${answer.status} ${answer.text.slice(0, 200)}`;
  if (answer.status < 400) return undefined;
  if (!answer.type.startsWith('application/problem+json')) return `${answer.status} as ${answer.type}`;
  const body = JSON.parse(answer.text) as { type?: unknown; title?: unknown; status?: unknown };
  // An absolute URI on the server's own address (its page is checked by tests/api/spec-exact.test.ts).
  if (typeof body.type !== 'string' || !body.type.startsWith(`${api().baseUrl}/problems/`))
    return 'no problem type';
  if (typeof body.title !== 'string' || body.status !== answer.status) return 'malformed problem document';
  return undefined;
}

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, {
  logger,
  taskQueue: () => worker().taskQueue,
  configure: (config) => ({
    ...config,
    rateLimits: { ...config.rateLimits, apiKeyPerMinute: 1_000_000, organizationPerMinute: 1_000_000 },
  }),
});
const SITE = 'https://www.shop.example';

let owner: Account;
let widgetKey: string;

beforeAll(async () => {
  owner = await signUp(api());
  widgetKey = (await Organization.query().findById(owner.session.organization.id))!.widgetKey;
});

afterAll(() => {
  const rows = [...tally].map(([cls, { tried, passed }]) => `${cls.padEnd(20)} ${passed}/${tried}`);
  // The counts per class, for the issue's acceptance note.
  process.stdout.write(`\nbad input, passed/tried per class:\n${rows.join('\n')}\n`);
});

// --- The API: every operation of the OpenAPI document. ---

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  minLength?: number;
  pattern?: string;
}
interface Operation {
  parameters?: { in: string; name: string; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  security?: Record<string, string[]>[];
}

const spec = JSON.parse(readFileSync(join(__dirname, '../../openapi/openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};
const components = spec.components.schemas;
const resolve = (schema: Schema): Schema => {
  if (schema.$ref) return resolve(components[schema.$ref.split('/').pop()!]!);
  const first = schema.allOf?.[0] ?? schema.anyOf?.[0] ?? schema.oneOf?.[0];
  return first ? resolve(first) : schema;
};

/** A plausible value of a schema, so that the field under test is the only bad one. */
function plausible(schema: Schema): unknown {
  const s = resolve(schema);
  if (s.enum) return s.enum[0];
  switch (s.type) {
    case 'object':
      return Object.fromEntries((s.required ?? []).map((name) => [name, plausible(s.properties![name]!)]));
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    default:
      if (s.format === 'uuid') return randomUUID();
      if (s.format === 'email') return `bad-input-${randomUUID().slice(0, 8)}@example.com`;
      if (s.format === 'date-time') return new Date().toISOString();
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
  }
}

/** The body's fields, one level into nested objects (`widget.greeting`). */
function fieldsOf(schema: Schema, prefix: string[] = []): string[][] {
  const s = resolve(schema);
  if (s.type !== 'object' || !s.properties) return [];
  return Object.entries(s.properties).flatMap(([name, property]) => {
    const inner = resolve(property);
    const path = [...prefix, name];
    return prefix.length === 0 && inner.type === 'object' && inner.properties
      ? [path, ...fieldsOf(inner, path)]
      : [path];
  });
}

function withField(base: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1]!] = value;
  return copy;
}

const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ path, method, op })),
);

const CONTENT_TYPES: Hostile[] = [
  { class: 'wrong content types', label: 'text/plain', value: 'text/plain' },
  { class: 'wrong content types', label: 'JSON in UTF-16', value: 'application/json; charset=utf-16' },
  { class: 'wrong content types', label: 'unknown charset', value: 'application/json; charset=klingon' },
  { class: 'wrong content types', label: 'a form', value: 'application/x-www-form-urlencoded' },
  { class: 'wrong content types', label: 'multipart without boundary', value: 'multipart/form-data' },
  { class: 'wrong content types', label: 'XML', value: 'application/xml' },
  { class: 'wrong content types', label: 'garbage', value: ';;;/' },
];

const HEADER_ODDITIES: { label: string; headers: Record<string, string> }[] = [
  { label: 'gzip that is not', headers: { 'content-encoding': 'gzip' } },
  { label: 'deflate that is not', headers: { 'content-encoding': 'deflate' } },
  { label: 'unknown content encoding', headers: { 'content-encoding': 'x-squash' } },
  { label: 'bearer without a token', headers: { authorization: 'Bearer' } },
  { label: 'an 8 KB bearer token', headers: { authorization: `Bearer ${'a'.repeat(8 * 1024)}` } },
  { label: 'basic credentials', headers: { authorization: 'Basic Zm9vOmJhcg==' } },
  { label: 'latin1 bearer token', headers: { authorization: 'Bearer ééé' } },
  { label: 'hostile request id', headers: { 'x-request-id': '../../etc/passwd\u00e9' } },
  { label: 'accept XML only', headers: { accept: 'application/xml' } },
];

describe('the API, operation by operation', () => {
  it.each(
    operations.map(({ path, method, op }) => [`${method.toUpperCase()} ${path}`, path, method, op] as const),
  )('%s', async (_name, path, method, op) => {
    const authorized = (op.security ?? []).length > 0;
    const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
      ...(authorized ? { authorization: `Bearer ${owner.session.accessToken}` } : {}),
      ...extra,
    });
    const url = (id: string, query = '') =>
      `${api().baseUrl}${path.replace(/\{[^}]+\}/g, id)}${query ? `?${query}` : ''}`;
    const upper = method.toUpperCase();
    const jsonSchema = op.requestBody?.content['application/json']?.schema;
    if (upper === 'DELETE' && path === '/v1/organization') {
      // Deleting the organization is confirmed with its exact name, which the PATCH walk left as one
      // of the values below: give it a name none of them is, or the walk deletes its own account.
      await owner.client.PATCH('/v1/organization', { body: { name: `bad-input ${randomUUID()}` } });
    }
    const base = jsonSchema ? plausible(jsonSchema) : undefined;
    const body = (value: unknown) =>
      upper === 'GET' || upper === 'DELETE' ? undefined : JSON.stringify(value);
    let offset = path.length;

    // Path parameters.
    if (path.includes('{')) {
      for (const hostile of sample(offset++, 8)) {
        const id = encode(asText(hostile.value).slice(0, 3000));
        const answer = await send(url(id), {
          method: upper,
          headers: headers({ 'content-type': 'application/json' }),
          body: body(base ?? {}),
        });
        record(hostile.class, `${upper} ${path} id=${hostile.label}`, judgeProblem(answer));
      }
    }
    // Query parameters, one at a time, and the query string's own oddities.
    for (const parameter of (op.parameters ?? []).filter((p) => p.in === 'query')) {
      for (const hostile of sample(offset++, 6)) {
        const query = `${parameter.name}=${encode(asText(hostile.value).slice(0, 12_000))}`;
        const answer = await send(url(randomUUID(), query), {
          method: upper,
          headers: headers({ 'content-type': 'application/json' }),
          body: body(base ?? {}),
        });
        record(hostile.class, `${upper} ${path} ?${parameter.name}=${hostile.label}`, judgeProblem(answer));
      }
      for (const raw of [
        `${parameter.name}=%ZZ`,
        `${parameter.name}=1&${parameter.name}=2`,
        `${parameter.name}[a]=1`,
      ]) {
        const answer = await send(url(randomUUID(), raw), { method: upper, headers: headers() });
        record('encodings', `${upper} ${path} ?${raw}`, judgeProblem(answer));
      }
    }
    // JSON bodies: each field, then the body as a whole.
    if (jsonSchema) {
      for (const field of fieldsOf(jsonSchema)) {
        for (const hostile of sample(offset++ * 3, 7)) {
          const answer = await send(url(randomUUID()), {
            method: upper,
            headers: headers({ 'content-type': 'application/json' }),
            body: serialize(withField(base, field, hostile.value)),
          });
          record(
            hostile.class,
            `${upper} ${path} body.${field.join('.')}=${hostile.label}`,
            judgeProblem(answer),
          );
        }
      }
      for (const hostile of sample(offset++, CORPUS.length, CORPUS)) {
        const answer = await send(url(randomUUID()), {
          method: upper,
          headers: headers({ 'content-type': 'application/json' }),
          body: serialize(hostile.value),
        });
        record(hostile.class, `${upper} ${path} body=${hostile.label}`, judgeProblem(answer));
      }
      for (const [label, raw] of [
        [
          'invalid UTF-8 bytes',
          Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0xff, 0x22, 0x7d]),
        ],
        ['truncated JSON', Buffer.from('{"a":')],
        ['a UTF-16 BOM', Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00])],
      ] as const) {
        const answer = await send(url(randomUUID()), {
          method: upper,
          headers: headers({ 'content-type': 'application/json' }),
          body: raw,
        });
        record('encodings', `${upper} ${path} body=${label}`, judgeProblem(answer));
      }
    }
    // Content types and header oddities, on a plausible body.
    if (upper !== 'GET' && upper !== 'DELETE') {
      for (const hostile of CONTENT_TYPES) {
        const answer = await send(url(randomUUID()), {
          method: upper,
          headers: headers({ 'content-type': hostile.value as string }),
          body: JSON.stringify(base ?? {}),
        });
        record(hostile.class, `${upper} ${path} as ${hostile.label}`, judgeProblem(answer));
      }
    }
    // Three oddities an operation, in turn: all of them across the walk, and Stripe is not called nine times.
    const oddities = [0, 1, 2].map((k) => HEADER_ODDITIES[(offset + k) % HEADER_ODDITIES.length]!);
    for (const oddity of oddities) {
      const answer = await send(url(randomUUID()), {
        method: upper,
        headers: { ...headers({ 'content-type': 'application/json' }), ...oddity.headers },
        body: body(base ?? {}),
      });
      record('header oddities', `${upper} ${path} with ${oddity.label}`, judgeProblem(answer));
    }
  });

  it('uploads with hostile names, parts and framing', async () => {
    const upload = (form: FormData | string, type?: string) =>
      send(`${api().baseUrl}/v1/documents/upload`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${owner.session.accessToken}`,
          ...(type ? { 'content-type': type } : {}),
        },
        body: form,
      });
    // One name per class: an accepted upload is ingested by the worker, which costs embeddings.
    const names = PER_FIELD.filter((h) => typeof h.value === 'string').filter(
      (h, i, all) => all.findIndex((other) => other.class === h.class) === i,
    );
    for (const hostile of names) {
      const form = new FormData();
      form.append(
        'file',
        new Blob(['# Notes\n\nHello.'], { type: 'text/markdown' }),
        `${hostile.value as string}.md`,
      );
      record(hostile.class, `upload named ${hostile.label}`, judgeProblem(await upload(form)));
    }
    for (const [label, body, type] of [
      ['a boundary that never comes', 'garbage', 'multipart/form-data; boundary=xyz'],
      [
        'an unterminated part',
        '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.md"\r\n\r\nhi',
        'multipart/form-data; boundary=xyz',
      ],
      ['a 1,000-character boundary', 'x', `multipart/form-data; boundary=${'b'.repeat(1000)}`],
      [
        'two files',
        '--x\r\nContent-Disposition: form-data; name="file"; filename="a.md"\r\n\r\na\r\n--x\r\nContent-Disposition: form-data; name="file"; filename="b.md"\r\n\r\nb\r\n--x--\r\n',
        'multipart/form-data; boundary=x',
      ],
    ] as const) {
      record('wrong content types', `upload with ${label}`, judgeProblem(await upload(body, type)));
    }
  });

  it('raw HTTP oddities Node parses (or refuses) before the app', async () => {
    const { port } = new URL(api().baseUrl);
    const raw = (request: string) =>
      new Promise<Answer | string>((resolve) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(request));
        let received = '';
        const timer = setTimeout(() => {
          socket.destroy();
          resolve('no answer within the timeout');
        }, TIMEOUT_MS);
        socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearTimeout(timer);
          const [head = '', rest = ''] = received.split('\r\n\r\n', 2);
          resolve({
            status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0) || 599,
            type: /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? '',
            text: rest,
          });
        });
      });
    const host = 'Host: 127.0.0.1\r\nConnection: close\r\n';
    for (const [label, request] of [
      ['a URL over 16 KB', `GET /v1/organization?q=${'a'.repeat(17 * 1024)} HTTP/1.1\r\n${host}\r\n`],
      [
        'headers over 16 KB',
        `GET /v1/organization HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
      ],
      ['a NUL in a header', `GET /v1/organization HTTP/1.1\r\n${host}X-Nul: a\u0000b\r\n\r\n`],
      [
        'two Content-Lengths',
        `POST /v1/auth/login HTTP/1.1\r\n${host}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
      ],
      [
        'Content-Length and chunked',
        `POST /v1/auth/login HTTP/1.1\r\n${host}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      ],
      ['a folded header', `GET /v1/organization HTTP/1.1\r\n${host}X-Fold: a\r\n b\r\n\r\n`],
      ['a header without a colon', `GET /v1/organization HTTP/1.1\r\n${host}Nonsense\r\n\r\n`],
      ['an unknown method', `BREW /v1/organization HTTP/1.1\r\n${host}\r\n`],
      [
        'a bad chunk size',
        `POST /v1/auth/login HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      ],
      ['latin1 bytes in the path', `GET /v1/\u00e9\u00ff HTTP/1.1\r\n${host}\r\n`],
      [
        'a body shorter than its length',
        `POST /v1/auth/login HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{}`,
      ],
    ] as const) {
      const answer = await raw(request);
      // A body shorter than its length ends with the client's half-close: no answer is owed.
      const problem =
        label === 'a body shorter than its length' && answer === 'no answer within the timeout'
          ? undefined
          : judgeProblem(answer);
      record('header oddities', `raw ${label}`, problem);
    }
  });
});

// --- The console and the public pages: every form they render. ---

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&quot;': '"',
  '&#39;': "'",
  '&lt;': '<',
  '&gt;': '>',
};
const unescape = (text: string) => text.replace(/&(amp|quot|#39|lt|gt);/g, (m) => ENTITIES[m]!);

interface Form {
  action: string;
  fields: Record<string, string>;
}

function formsIn(page: string): Form[] {
  const forms: Form[] = [];
  for (const match of page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attributes = match[1]!;
    const action = /hx-post="([^"]+)"/.exec(attributes)?.[1] ?? /action="([^"]+)"/.exec(attributes)?.[1];
    if (!action || !/method="post"|hx-post=/i.test(attributes)) continue;
    const fields: Record<string, string> = {};
    for (const field of match[2]!.matchAll(/<(input|textarea|select)\b([^>]*)>([\s\S]*?<\/textarea>)?/g)) {
      const name = /\bname="([^"]+)"/.exec(field[2]!)?.[1];
      if (!name) continue;
      const value =
        field[1] === 'textarea'
          ? (field[3] ?? '').replace(/<\/textarea>$/, '')
          : (/\bvalue="([^"]*)"/.exec(field[2]!)?.[1] ?? '');
      fields[unescape(name)] = unescape(value);
    }
    forms.push({ action: unescape(action), fields });
  }
  for (const match of page.matchAll(/<(?!form)[a-z]+\b[^>]*\bhx-post="([^"]+)"/g)) {
    forms.push({ action: unescape(match[1]!), fields: { _csrf: '' } });
  }
  return forms;
}

describe('console and public forms', () => {
  it('every form on every page takes hostile values without a 5xx or an error log', async () => {
    const agent = new ConsoleAgent(api().baseUrl);
    await agent.signIn(owner.email, PASSWORD);
    const ticket = await buildTicket(owner.session.organization.id, {
      status: 'assigned',
      assigneeUserId: owner.session.user.id,
    });
    const conversation = await owner.client.POST('/v1/conversations', { body: { visitorName: 'Ada' } });
    const pages = [
      '/console/overview',
      '/console/documents',
      '/console/conversations',
      `/console/conversations/${conversation.data!.id}`,
      '/console/tickets',
      `/console/tickets/${ticket.id}`,
      '/console/knowledge-gaps',
      '/console/settings',
      '/console/team',
      '/console/api-keys',
      '/console/billing',
      '/console/notifications',
    ];
    const forms = new Map<string, Form>();
    for (const page of pages) {
      const { status, body } = await agent.page(page);
      expect([page, status]).toEqual([page, 200]);
      for (const form of formsIn(body)) if (form.action !== '/logout') forms.set(form.action, form);
    }
    const visitor = new ConsoleAgent(api().baseUrl);
    for (const page of [
      '/signup',
      '/login',
      '/forgot-password',
      '/reset-password?token=x',
      '/verify-email?token=x',
      '/accept-invitation?token=x',
    ]) {
      const { body } = await visitor.page(page);
      for (const form of formsIn(body)) forms.set(`public ${form.action}`, form);
    }
    expect(forms.size).toBeGreaterThan(15);

    let offset = 0;
    for (const [key, form] of forms) {
      const poster = key.startsWith('public ') ? visitor : agent;
      for (const field of Object.keys(form.fields)) {
        for (const hostile of sample(offset++ * 3, 3)) {
          // Form values are text; a 2 MB one is over the form limit (413) like any other.
          const value = asText(hostile.value);
          const fields = { ...form.fields, _csrf: poster.csrf, [field]: value };
          let answer: Answer | string;
          try {
            const response = await poster.request(form.action, {
              method: 'POST',
              headers: {
                'content-type': 'application/x-www-form-urlencoded',
                'x-csrf-token': field === '_csrf' ? '' : poster.csrf,
              },
              body: new URLSearchParams(fields).toString().replace(/%EF%BF%BD/g, '%ED%A0%80'),
              signal: AbortSignal.timeout(TIMEOUT_MS),
            });
            answer = {
              status: response.status,
              type: response.headers.get('content-type') ?? '',
              text: await response.text(),
            };
          } catch (error) {
            answer = `no answer (${(error as Error).message})`;
          }
          const problem =
            typeof answer === 'string'
              ? answer
              : answer.status >= 500
                ? `${answer.status}`
                : answer.status >= 400 && !/^text\/html|^application\/problem\+json/.test(answer.type)
                  ? `${answer.status} as ${answer.type}`
                  : undefined;
          record(hostile.class, `${key} ${field}=${hostile.label}`, problem);
          // A form that ends the session would leave the rest of the walk signed out: sign in again.
          if (poster === agent && !agent.cookies.has('parley_refresh'))
            await agent.signIn(owner.email, PASSWORD);
        }
      }
      for (const type of ['multipart/form-data', 'application/json', 'text/plain']) {
        const response = await poster.request(form.action, {
          method: 'POST',
          headers: { 'content-type': type, 'x-csrf-token': poster.csrf },
          body: type === 'application/json' ? DEEP_TEXT : 'a=%00',
        });
        await response.text();
        record(
          'wrong content types',
          `${key} as ${type}`,
          response.status >= 500 ? `${response.status}` : undefined,
        );
      }
    }
  });
});

// --- The widget: every frame type, over the HTTP fallback and the WebSocket. ---

const FRAMES: Record<string, Record<string, unknown>> = {
  message: { type: 'message', clientMessageId: 'c1', content: 'How do refunds work?', attachmentIds: [] },
  escalate: { type: 'escalate', clientMessageId: 'c2' },
  typing: { type: 'typing', active: true },
  read: { type: 'read', messageId: randomUUID() },
  rate: { type: 'rate', rating: 5 },
  ping: { type: 'ping' },
  hello: { type: 'hello', token: 'x', lastMessageId: randomUUID() },
};

describe('widget frames', () => {
  it('every frame type over the HTTP fallback', async () => {
    const session = await widgetSession(api().baseUrl, widgetKey, SITE);
    let offset = 0;
    const post = (frame: unknown, type = 'application/json') =>
      send(`${api().baseUrl}/widget/v1/frames?key=${widgetKey}`, {
        method: 'POST',
        headers: { 'content-type': type, authorization: `Bearer ${session.data.token}`, origin: SITE },
        body: typeof frame === 'string' ? frame : serialize(frame),
      });
    const judgeFrames = (answer: Answer | string) => {
      const problem = judgeProblem(answer);
      if (problem || typeof answer === 'string' || answer.status !== 200) return problem;
      const { frames } = JSON.parse(answer.text) as { frames: { type: string; code?: string }[] };
      return frames.some((f) => f.type === 'error' && f.code === 'unavailable')
        ? 'an unavailable frame'
        : undefined;
    };
    for (const [name, frame] of Object.entries(FRAMES)) {
      for (const field of Object.keys(frame)) {
        for (const hostile of sample(offset++ * 4, field === 'type' ? CORPUS.length : 8)) {
          record(
            hostile.class,
            `frame ${name}.${field}=${hostile.label}`,
            judgeFrames(await post({ ...frame, [field]: hostile.value })),
          );
        }
      }
      record(
        'wrong types',
        `frame ${name} with an unknown field`,
        judgeFrames(await post({ ...frame, extra: 1 })),
      );
      for (const hostile of CONTENT_TYPES) {
        record(
          hostile.class,
          `frame ${name} as ${hostile.label}`,
          judgeFrames(await post(frame, hostile.value as string)),
        );
      }
    }
    // Hostile keys and tokens on the widget's other routes.
    for (const hostile of sample(0, CORPUS.length, CORPUS)) {
      const text = encode(asText(hostile.value).slice(0, 5000));
      for (const route of [
        `/widget/v1/events?key=${text}&token=${text}`,
        `/widget/v1/attachments/${text}?key=${widgetKey}&token=${text}`,
      ]) {
        const answer = await send(`${api().baseUrl}${route}`, {
          headers: { origin: SITE },
          signal: AbortSignal.timeout(2000),
        });
        record(
          hostile.class,
          `GET ${route.split('?')[0]!.slice(0, 40)} with ${hostile.label}`,
          judgeProblem(answer),
        );
      }
      const session = await send(`${api().baseUrl}/widget/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: SITE },
        body: JSON.stringify({
          key: hostile.value,
          token: hostile.value,
          name: hostile.value,
          email: hostile.value,
        }),
      });
      record(hostile.class, `session with ${hostile.label}`, judgeProblem(session));
    }
  });

  it('every frame type over the WebSocket', async () => {
    const session = await widgetSession(api().baseUrl, widgetKey, SITE);
    let socket: VisitorSocket | undefined;
    const open = async () => {
      socket = await VisitorSocket.connect(api().baseUrl, widgetKey, SITE);
      socket.send({ type: 'hello', token: session.data.token });
      await socket.next('welcome');
      return socket;
    };
    let offset = 0;
    for (const [name, frame] of Object.entries(FRAMES)) {
      if (name === 'hello') continue;
      for (const field of Object.keys(frame)) {
        for (const hostile of sample(offset++ * 5, 6)) {
          const ws = socket && !socket.closed ? socket : await open();
          const before = ws.frames.length;
          ws.send({ ...frame, [field]: hostile.value });
          ws.send({ type: 'ping' });
          // Either the socket answers (an error frame, an ack, then the pong), or it closes as malformed.
          const outcome = await Promise.race([
            ws.next('pong').then(() => 'answered'),
            ws.waitForClose(TIMEOUT_MS).then((c) => `closed ${c.code}`),
          ]).catch((error: Error) => error.message);
          const unavailable = ws.frames
            .slice(before)
            .some((f) => f.type === 'error' && f.code === 'unavailable');
          const problem = unavailable
            ? 'an unavailable frame'
            : outcome === 'answered' || outcome === 'closed 4400' || outcome === 'closed 1009'
              ? undefined
              : outcome;
          record(hostile.class, `socket ${name}.${field}=${hostile.label}`, problem);
          if (outcome === 'answered') ws.frames.length = 0;
        }
      }
    }
    for (const hostile of sample(3, CORPUS.length, CORPUS)) {
      const ws = await VisitorSocket.connect(api().baseUrl, widgetKey, SITE);
      ws.ws.send(serialize({ type: 'hello', token: hostile.value }));
      // Refused: an error frame (the socket waits for a proper hello), or closed as malformed.
      const outcome = await Promise.race([
        ws.next('error', () => true, TIMEOUT_MS).then((f) => `error ${f.code}`),
        ws.waitForClose(TIMEOUT_MS).then((c) => `closed ${c.code}`),
      ]).catch((error: Error) => error.message);
      record(
        hostile.class,
        `socket hello.token=${hostile.label}`,
        /^error (unauthorized|invalid_message|bad_frame)$|^closed (4400|4401|1009)$/.test(outcome)
          ? undefined
          : outcome,
      );
      ws.close();
    }
    socket?.close();
  });
});

describe('the walk as a whole', () => {
  it('found no 5xx, hang, shapeless answer or error log', () => {
    const logged = errorLines.map(
      (l) =>
        `${String(l.msg)} ${JSON.stringify((l.req as { url?: string })?.url ?? (l.err as { message?: string })?.message ?? '')}`,
    );
    expect({ failures: failures.slice(0, 40), errorLogs: logged.slice(0, 20) }).toEqual({
      failures: [],
      errorLogs: [],
    });
  });
});
