import { Organization } from '../../src/db/models';
import { useTestApi } from '../helpers/api';
import { signUp, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';
import { widgetSession } from '../helpers/widget';
import { LEAK, PAYLOADS, SQL, UNSTORABLE, XSS } from './payloads';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const SITE = 'https://shop.example';

/** Sends JSON and returns the status and the raw body, checked for leaks on the way. */
async function send(
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
  const res = await fetch(`${api().baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  // The path rides along so a failure names the request.
  expect({ path, serverError: res.status >= 500 }).toEqual({ path, serverError: false });
  expect(text).not.toMatch(LEAK);
  let json: Record<string, unknown> = {};
  if (text && (res.headers.get('content-type') ?? '').includes('json')) {
    json = JSON.parse(text) as Record<string, unknown>;
  }
  return { status: res.status, text, json };
}

describe('XSS and SQL-injection payloads through every text input', () => {
  let owner: Account;
  let auth: Record<string, string>;
  let tablesBefore: number;

  const tableCount = async (): Promise<number> => {
    const result = await db().raw<{ rows: { n: number }[] }>(
      `select count(*)::int as n from pg_tables where schemaname = 'public'`,
    );
    return result.rows[0]!.n;
  };

  beforeAll(async () => {
    owner = await signUp(api());
    auth = { authorization: `Bearer ${owner.session.accessToken}` };
    // A document before any search, so a search widened by a wildcard would have something to find.
    const document = await send(
      'POST',
      '/v1/documents',
      { type: 'url', url: 'https://help.example.com/shipping', title: 'Shipping rates' },
      auth,
    );
    expect(document.status).toBe(201);
    tablesBefore = await tableCount();
  });

  afterAll(async () => {
    // Nothing was dropped or emptied by a stacked statement.
    expect(await tableCount()).toBe(tablesBefore);
    expect(await Organization.query().resultSize()).toBeGreaterThan(0);
  });

  it.each(PAYLOADS)(
    'stores and returns the organization name and AI settings verbatim: %s',
    async (payload) => {
      const name = await send('PATCH', '/v1/organization', { name: payload }, auth);
      expect(name.status).toBe(200);
      expect(name.json.name).toBe(payload);
      const settings = await send(
        'PATCH',
        '/v1/organization/settings',
        { aiPersona: payload, aiInstructions: payload },
        auth,
      );
      expect(settings.status).toBe(200);
      const read = await send('GET', '/v1/organization/settings', undefined, auth);
      expect(read.json).toMatchObject({ aiPersona: payload, aiInstructions: payload });
    },
  );

  it.each(PAYLOADS)('stores conversations and visitor messages verbatim: %s', async (payload) => {
    const created = await send(
      'POST',
      '/v1/conversations',
      { visitorId: payload, visitorName: payload },
      auth,
    );
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const posted = await send(
      'POST',
      `/v1/conversations/${id}/messages?wait=true`,
      { content: payload, clientMessageId: payload.slice(0, 100) },
      auth,
    );
    expect(posted.status).toBe(201);
    const detail = await send('GET', `/v1/conversations/${id}`, undefined, auth);
    expect(detail.json).toMatchObject({ visitorId: payload, visitorName: payload });
    const messages = detail.json.messages as { role: string; content: string }[];
    expect(messages.find((m) => m.role === 'visitor')!.content).toBe(payload);
    // The assistant answered the hostile question like any other, once.
    expect(messages.filter((m) => m.role === 'assistant')).toHaveLength(1);
  });

  it.each(PAYLOADS)('keeps filters and search parameters as data: %s', async (payload) => {
    const q = encodeURIComponent(payload);
    for (const path of [
      `/v1/documents?q=${q}`,
      `/v1/conversations?visitorId=${q}`,
      `/v1/audit-log?action=${q}&targetType=${q}`,
      `/v1/members?cursor=${q}`,
      `/v1/conversations?sort=${q}`,
    ]) {
      const res = await send('GET', path, undefined, auth);
      // A refused parameter is a client error with its problem; an accepted one lists.
      if (res.status === 200) expect(Array.isArray(res.json.items)).toBe(true);
      else expect({ path, problemType: typeof res.json.type }).toEqual({ path, problemType: 'string' });
      expect([200, 400, 422]).toContain(res.status);
    }
    // A wildcard or quote in the search is text: it finds nothing, never every document.
    const search = await send('GET', `/v1/documents?q=${q}`, undefined, auth);
    expect(search.status).toBe(200);
    expect(search.json.items).toEqual([]);
    const all = await send('GET', '/v1/documents', undefined, auth);
    expect((all.json.items as unknown[]).length).toBeGreaterThan(0);
  });

  it.each(PAYLOADS)('stores API key names and document titles verbatim: %s', async (payload) => {
    const key = await send('POST', '/v1/api-keys', { name: payload }, auth);
    expect(key.status).toBe(201);
    expect(key.json.name).toBe(payload);
    const document = await send(
      'POST',
      '/v1/documents',
      { type: 'url', url: 'https://help.example.com/never-fetched', title: payload },
      auth,
    );
    expect([201, 402]).toContain(document.status);
    if (document.status === 201) expect(document.json.title).toBe(payload);
    const badUrl = await send('POST', '/v1/documents', { type: 'url', url: payload }, auth);
    expect(badUrl.status).toBe(422);
  });

  it.each(SQL)(
    'answers sign-in and sign-up attempts with SQL in them as ordinary failures: %s',
    async (payload) => {
      const login = await send('POST', '/v1/auth/login', {
        email: `${payload}@example.com`,
        password: payload,
      });
      expect([401, 422]).toContain(login.status);
      const signup = await send('POST', '/v1/auth/signup', {
        organizationName: payload,
        name: payload,
        email: `x${Date.now()}${Math.random().toString(36).slice(2, 6)}@example.com`,
        password: 'correct horse battery staple',
      });
      expect(signup.status).toBe(201);
      expect((signup.json.organization as { name: string }).name).toBe(payload);
    },
  );

  it.each(UNSTORABLE)('refuses text PostgreSQL cannot store with a 4xx, not a 500: %j', async (payload) => {
    const res = await send('PATCH', '/v1/organization', { name: payload }, auth);
    expect(res.status).toBeGreaterThanOrEqual(400);
    const conversation = await send('POST', '/v1/conversations', { visitorName: payload }, auth);
    expect(conversation.status).toBeGreaterThanOrEqual(400);
  });

  describe('the widget channel', () => {
    let widgetKey: string;
    beforeAll(async () => {
      await send('PATCH', '/v1/organization/settings', { allowedOrigins: [SITE] }, auth);
      widgetKey = (await Organization.query().findById(owner.session.organization.id))!.widgetKey;
    });

    it.each(PAYLOADS)(
      'stores visitor names and messages verbatim and echoes them as JSON: %s',
      async (payload) => {
        const session = await widgetSession(api().baseUrl, widgetKey, SITE, { name: payload });
        expect(session.status).toBe(200);
        const headers = {
          origin: SITE,
          'x-widget-key': widgetKey,
          authorization: `Bearer ${session.data.token}`,
        };
        const sent = await send(
          'POST',
          '/widget/v1/frames',
          { type: 'message', clientMessageId: 'm-1', content: payload },
          headers,
        );
        expect(sent.status).toBe(200);
        const frames = sent.json.frames as { type: string; message?: { content: string } }[];
        expect(frames.some((f) => f.type === 'ack')).toBe(true);
        const detail = await send('GET', `/v1/conversations/${session.data.conversationId}`, undefined, auth);
        expect(detail.json.visitorName).toBe(payload);
        expect((detail.json.messages as { content: string }[])[0]!.content).toBe(payload);
      },
    );

    it.each(XSS)('escapes a widget key reflected into the demo page: %s', async (payload) => {
      const res = await fetch(`${api().baseUrl}/demo?key=${encodeURIComponent(payload)}`);
      expect(res.status).toBeLessThan(500);
      const html = await res.text();
      expect(html).not.toContain(payload);
      expect(html).not.toMatch(/<script>alert|onerror=alert|onload=alert|<iframe src="https:\/\/evil/);
    });
  });
});
