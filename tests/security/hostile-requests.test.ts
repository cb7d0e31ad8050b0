import net from 'node:net';
import { Writable } from 'node:stream';
import { ApiKey, Organization } from '../../src/db/models';
import { createLogger } from '../../src/lib/logger';
import { signUp, PASSWORD, type Account } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { ConsoleAgent } from '../helpers/console';
import { useTestDatabase } from '../helpers/db';
import { VisitorSocket, widgetSession } from '../helpers/widget';

/**
 * Requests a black-box probe (issue #17) answered with a 500, a bare Node error or the wrong error:
 * each must be a 4xx in the documented shape, and a client's mistake is never logged as an error.
 */

const lines: Record<string, unknown>[] = [];
const logger = createLogger(
  { level: 'info', name: 'hostile-test' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
);
const errorLines = () => lines.filter((line) => Number(line.level) >= 50);

const db = useTestDatabase();
const api = useTestApi(db, { logger });
const SITE = 'https://www.shop.example';

let owner: Account;
let widgetKey: string;

beforeAll(async () => {
  owner = await signUp(api());
  widgetKey = (await Organization.query().findById(owner.session.organization.id))!.widgetKey;
});
beforeEach(() => {
  lines.length = 0;
});
afterEach(() => {
  expect(errorLines()).toEqual([]);
});

async function expectProblem(
  response: Response,
  status: number,
  type?: string,
): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status });
  if (type) expect(body.type).toBe(type);
  return body;
}

/** Bytes straight onto a socket (fetch would refuse or fix what these requests get wrong). */
function rawRequest(head: string, body = ''): Promise<{ status: number; headers: string; body: string }> {
  const { port } = new URL(api().baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(head + body));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [headers = '', rest = ''] = received.split('\r\n\r\n', 2);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0), headers, body: rest });
    });
  });
}

describe('unauthenticated requests that answered 500', () => {
  it('a 43-character non-ASCII CSRF token is refused with 403', async () => {
    const agent = new ConsoleAgent(api().baseUrl);
    await agent.page('/login');
    // Header values travel as latin1 bytes; form fields as UTF-8.
    const header = await agent.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': 'é'.repeat(43) },
      body: 'email=a%40b.example&password=x',
    });
    expect(header.status).toBe(403);
    for (const token of ['é'.repeat(43), '€'.repeat(43), '\u{1F600}'.repeat(21) + 'a']) {
      const field = await agent.post(
        '/login',
        { email: 'a@b.example', password: 'x', _csrf: token },
        { csrf: false },
      );
      expect(field.status).toBe(403);
    }
  });

  it('Content-Encoding gzip or deflate on an uncompressed body is a 400', async () => {
    for (const encoding of ['gzip', 'deflate']) {
      const body = JSON.stringify({ email: 'a@b.example', password: 'x' });
      await expectProblem(
        await fetch(`${api().baseUrl}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': encoding },
          body,
        }),
        400,
        `${api().baseUrl}/problems/bad-request`,
      );
      await expectProblem(
        await fetch(`${api().baseUrl}/widget/v1/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': encoding, origin: SITE },
          body: JSON.stringify({ key: widgetKey }),
        }),
        400,
        `${api().baseUrl}/problems/bad-request`,
      );
      const webhook = await fetch(`${api().baseUrl}/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-encoding': encoding,
          'stripe-signature': 't=1,v1=0',
        },
        body: '{}',
      });
      expect(webhook.status).toBeGreaterThanOrEqual(400);
      expect(webhook.status).toBeLessThan(500);
    }
  });

  it('multipart/form-data without a boundary is a 4xx (widget attachments, console uploads)', async () => {
    const session = await widgetSession(api().baseUrl, widgetKey, SITE);
    await expectProblem(
      await fetch(`${api().baseUrl}/widget/v1/attachments?key=${widgetKey}`, {
        method: 'POST',
        headers: {
          'content-type': 'multipart/form-data',
          authorization: `Bearer ${session.data.token}`,
          origin: SITE,
        },
        body: 'abc',
      }),
      415,
      `${api().baseUrl}/problems/unsupported-media-type`,
    );
    const agent = new ConsoleAgent(api().baseUrl);
    await agent.page('/login');
    await agent.post('/login', { email: owner.session.user.email, password: PASSWORD });
    await agent.page('/console/documents');
    const upload = await agent.request('/console/documents/upload', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data', 'x-csrf-token': agent.csrf },
      body: 'abc',
    });
    expect(upload.status).toBe(415);
  });

  it('5,000 levels of nested arrays in an enum field are a 400 before validation', async () => {
    const deep = '['.repeat(5000) + '"admin"' + ']'.repeat(5000);
    const headers = {
      authorization: `Bearer ${owner.session.accessToken}`,
      'content-type': 'application/json',
    };
    for (const [path, body] of [
      ['/v1/api-keys', `{"name":"k","scopes":${deep}}`],
      ['/v1/invitations', `{"email":"x@y.example","role":${deep}}`],
      ['/v1/auth/login', `{"email":"x@y.example","password":${deep}}`],
    ] as const) {
      const body2 = await expectProblem(
        await fetch(`${api().baseUrl}${path}`, { method: 'POST', headers, body }),
        400,
        `${api().baseUrl}/problems/bad-request`,
      );
      expect(String(body2.detail)).toMatch(/nest/);
    }
  });

  it('a JSON body that is not UTF-8 is a 400, not text stored as U+FFFD', async () => {
    const body = Buffer.concat([
      Buffer.from('{"visitorName":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const answer = await expectProblem(
      await fetch(`${api().baseUrl}/v1/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.session.accessToken}`, 'content-type': 'application/json' },
        body,
      }),
      400,
      `${api().baseUrl}/problems/bad-request`,
    );
    expect(String(answer.detail)).toMatch(/UTF-8/);
  });

  it('a URL over 16 KB is a problem+json, not a bare 431', async () => {
    const long = `/v1/organization?q=${'a'.repeat(17 * 1024)}`;
    const answer = await rawRequest(`GET ${long} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect([414, 431]).toContain(answer.status);
    expect(answer.headers).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(answer.body)).toMatchObject({ status: answer.status });
    // Malformed request lines get the same shape.
    const garbage = await rawRequest('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n');
    expect(garbage.status).toBe(400);
    expect(garbage.headers).toMatch(/content-type: application\/problem\+json/i);
  });
});

describe('smaller findings', () => {
  it('a NUL in a widget message or clientMessageId is invalid_message, not unavailable', async () => {
    const session = await widgetSession(api().baseUrl, widgetKey, SITE);
    const socket = await VisitorSocket.connect(api().baseUrl, widgetKey, SITE);
    socket.send({ type: 'hello', token: session.data.token });
    await socket.next('welcome');
    socket.send({ type: 'message', clientMessageId: 'a\u0000b', content: 'hi' });
    socket.send({ type: 'message', clientMessageId: 'ok', content: 'a\u0000b' });
    socket.send({ type: 'escalate', clientMessageId: '\u0000' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const errors = socket.frames.filter((f) => f.type === 'error');
    expect(errors.map((e) => e.type === 'error' && e.code)).toEqual([
      'invalid_message',
      'invalid_message',
      'invalid_message',
    ]);
    socket.close();
    // The HTTP fallback too.
    for (const frame of [
      { type: 'message', clientMessageId: 'x\u0000', content: 'hi' },
      { type: 'message', clientMessageId: 'x', content: '\u0000' },
    ]) {
      await expectProblem(
        await fetch(`${api().baseUrl}/widget/v1/frames?key=${widgetKey}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${session.data.token}`,
            origin: SITE,
          },
          body: JSON.stringify(frame),
        }),
        422,
      );
    }
  });

  it('a WebSocket upgrade with ?key=%00 is refused with 403', async () => {
    for (const key of ['%00', 'a%ED%A0%80', '%ZZ', '%', 'x'.repeat(5000)]) {
      const raw = await rawRequest(
        `GET /widget/v1/ws?key=${key} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      expect([key.slice(0, 10), raw.status]).toEqual([key.slice(0, 10), 403]);
    }
  });

  it('/demo/sitemap.xml names PUBLIC_URL, never the Host header', async () => {
    const answer = await rawRequest(
      'GET /demo/sitemap.xml HTTP/1.1\r\nHost: evil.example"><x>&\r\nConnection: close\r\n\r\n',
    );
    expect(answer.status).toBe(200);
    expect(answer.body).not.toContain('evil');
    expect(answer.body).toContain(`<loc>${api().config.http.publicUrl}/demo/help/`);
  });

  it('a visitor token in ?token= is neither logged nor echoed in the problem instance', async () => {
    const session = await widgetSession(api().baseUrl, widgetKey, SITE);
    const token = session.data.token;
    const answer = await fetch(
      `${api().baseUrl}/widget/v1/attachments/not-a-uuid?key=${widgetKey}&token=${token}`,
      { headers: { origin: SITE } },
    );
    const body = await expectProblem(answer, 404);
    expect(body.instance).toBe(`/widget/v1/attachments/not-a-uuid?key=${widgetKey}&token=[redacted]`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it('a key scoped to api_keys:write cannot revoke a wider key', async () => {
    const client = owner.client;
    const wide = await client.POST('/v1/api-keys', { body: { name: 'wide' } });
    const narrow = await client.POST('/v1/api-keys', {
      body: { name: 'narrow', scopes: ['api_keys:write'] },
    });
    const peer = await client.POST('/v1/api-keys', { body: { name: 'peer', scopes: ['api_keys:write'] } });
    const revoke = (id: string) =>
      fetch(`${api().baseUrl}/v1/api-keys/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${narrow.data!.key}` },
      });
    await expectProblem(await revoke(wide.data!.id), 403, `${api().baseUrl}/problems/forbidden`);
    const stored = await ApiKey.query()
      .forOrganization(owner.session.organization.id)
      .findById(wide.data!.id);
    expect(stored!.revokedAt).toBeNull();
    expect((await revoke(peer.data!.id)).status).toBe(204);
  });

  it('sign-ins to one account are throttled whatever address they come from', async () => {
    const limit = api().config.rateLimits.loginFailuresPerAccount;
    const email = owner.session.user.email;
    const attempt = (password: string, ip: string) =>
      fetch(`${api().baseUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ email: email.toUpperCase(), password }),
      });
    for (let i = 0; i < limit; i++) expect((await attempt('wrong password', `10.0.0.${i}`)).status).toBe(401);
    await expectProblem(await attempt(PASSWORD, '10.0.1.1'), 429, `${api().baseUrl}/problems/rate-limited`);
    // Another account is not affected.
    const other = await signUp(api());
    expect((await attempt.call(null, PASSWORD, '10.0.1.2')).status).toBe(429);
    expect(
      (
        await fetch(`${api().baseUrl}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: other.session.user.email, password: PASSWORD }),
        })
      ).status,
    ).toBe(200);
  });

  it('non-ASCII upload filenames are decoded as UTF-8', async () => {
    const form = new FormData();
    form.append('file', new Blob(['# Größe\n\nÜber alles.'], { type: 'text/markdown' }), 'Größe-日本.md');
    const answer = await fetch(`${api().baseUrl}/v1/documents/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.session.accessToken}` },
      body: form,
    });
    expect(answer.status).toBe(201);
    const document = (await answer.json()) as { title: string; source?: string; filename?: string };
    expect(JSON.stringify(document)).toContain('Größe-日本');
  });
});
