import { Organization, OrganizationSettings } from '../../src/db/models';
import { useTestApi } from '../helpers/api';
import { signUp } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { widgetSession } from '../helpers/widget';

const db = useTestDatabase();
const BODY_LIMIT = 4096;
const api = useTestApi(db, {
  configure: (config) => ({
    ...config,
    rateLimits: { ...config.rateLimits, apiKeyPerMinute: 3, organizationPerMinute: 8 },
    http: { ...config.http, bodyLimitBytes: BODY_LIMIT },
    ingestion: { ...config.ingestion, uploadMaxBytes: 2048 },
    widget: { ...config.widget, attachmentMaxBytes: 1024 },
  }),
});

async function expectTooMany(response: Response): Promise<void> {
  expect(response.status).toBe(429);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(await response.json()).toMatchObject({
    type: `${api().baseUrl}/problems/rate-limited`,
    status: 429,
  });
}

async function expectTooLarge(response: Response): Promise<void> {
  expect(response.status).toBe(413);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(await response.json()).toMatchObject({
    type: `${api().baseUrl}/problems/payload-too-large`,
    status: 413,
  });
}

describe('rate limits', () => {
  it('limits an API key, then its organization, with 429 and Retry-After', async () => {
    const owner = await signUp(api());
    const get = (token: string) =>
      fetch(`${api().baseUrl}/v1/organization`, { headers: { authorization: `Bearer ${token}` } });
    const created = await owner.client.POST('/v1/api-keys', { body: { name: 'limited' } }); // org: 1
    const key = created.data!.key;

    for (let i = 0; i < 3; i++) expect((await get(key)).status).toBe(200); // key: 3, org: 4
    await expectTooMany(await get(key));
    // The organization still has room for its members…
    for (let i = 0; i < 4; i++) expect((await get(owner.session.accessToken)).status).toBe(200); // org: 8
    // …until its own limit.
    await expectTooMany(await get(owner.session.accessToken));
    // Another tenant is not affected.
    const neighbour = await signUp(api());
    expect((await get(neighbour.session.accessToken)).status).toBe(200);
  });
});

describe('rate-limit headers', () => {
  const get = (token: string) =>
    fetch(`${api().baseUrl}/v1/organization`, { headers: { authorization: `Bearer ${token}` } });

  it('tells each answer its quotas and what is left of them (IETF RateLimit-Policy / RateLimit)', async () => {
    const owner = await signUp(api());
    const first = await get(owner.session.accessToken);
    expect(first.headers.get('ratelimit-policy')).toBe('"organization";q=8;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^"organization";r=7;t=([1-9]|[1-5]\d|60)$/);
    const second = await get(owner.session.accessToken);
    expect(second.headers.get('ratelimit')).toMatch(/^"organization";r=6;t=\d+$/);

    // An API key counts against its own quota and its organization's, both listed.
    const created = await owner.client.POST('/v1/api-keys', { body: { name: 'headers' } }); // org: 3
    const byKey = await get(created.data!.key);
    expect(byKey.headers.get('ratelimit-policy')).toBe('"api-key";q=3;w=60, "organization";q=8;w=60');
    expect(byKey.headers.get('ratelimit')).toMatch(/^"api-key";r=2;t=\d+, "organization";r=4;t=\d+$/);
    // Browsers may read them cross-origin.
    expect(byKey.headers.get('access-control-expose-headers')).toMatch(/RateLimit,RateLimit-Policy/);
  });

  it('keeps them on a 429, with nothing left', async () => {
    const owner = await signUp(api());
    for (let i = 0; i < 8; i++) await get(owner.session.accessToken);
    const refused = await get(owner.session.accessToken);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit')).toMatch(/^"organization";r=0;t=\d+$/);
    expect(refused.headers.get('ratelimit-policy')).toBe('"organization";q=8;w=60');
  });

  it('gives the sign-in endpoints their per-address quota', async () => {
    const res = await fetch(`${api().baseUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'not the password' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('ratelimit-policy')).toBe('"address";q=100000;w=60');
    expect(res.headers.get('ratelimit')).toMatch(/^"address";r=\d+;t=\d+$/);
  });
});

describe('body limits', () => {
  it('answers 413 to a JSON body over the limit, and accepts one under it', async () => {
    const owner = await signUp(api());
    const post = (visitorName: string) =>
      fetch(`${api().baseUrl}/v1/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.session.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ visitorName }),
      });
    expect((await post('a'.repeat(100))).status).toBe(201);
    await expectTooLarge(await post('a'.repeat(BODY_LIMIT + 1)));
  });

  it('answers 413 to an upload over the limit', async () => {
    const owner = await signUp(api());
    const form = new FormData();
    form.append('file', new Blob(['# Big\n\n' + 'word '.repeat(1000)]), 'big.md');
    await expectTooLarge(
      await fetch(`${api().baseUrl}/v1/documents/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.session.accessToken}` },
        body: form,
      }),
    );
  });

  it('answers 413 to oversized widget sessions, frames and attachments', async () => {
    const owner = await signUp(api());
    const site = 'https://shop.example';
    await OrganizationSettings.query()
      .forOrganization(owner.session.organization.id)
      .patch({ allowedOrigins: [site] });
    const { widgetKey } = (await Organization.query().findById(owner.session.organization.id))!;

    await expectTooLarge(
      await fetch(`${api().baseUrl}/widget/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: site },
        body: JSON.stringify({ key: widgetKey, name: 'n'.repeat(10_000) }),
      }),
    );
    const session = await widgetSession(api().baseUrl, widgetKey, site);
    const headers = {
      origin: site,
      'x-widget-key': widgetKey,
      authorization: `Bearer ${session.data.token}`,
    };
    await expectTooLarge(
      await fetch(`${api().baseUrl}/widget/v1/frames`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'message', clientMessageId: 'big', content: 'x'.repeat(70_000) }),
      }),
    );
    const form = new FormData();
    form.append('file', new Blob([Buffer.alloc(2048, 0x41)], { type: 'image/png' }), 'big.png');
    await expectTooLarge(
      await fetch(`${api().baseUrl}/widget/v1/attachments`, { method: 'POST', headers, body: form }),
    );
  });
});

describe('malformed bodies (found by schemathesis)', () => {
  const upload = async (init: RequestInit & { headers?: Record<string, string> }) => {
    const owner = await signUp(api());
    return fetch(`${api().baseUrl}/v1/documents/upload`, {
      method: 'POST',
      ...init,
      headers: { authorization: `Bearer ${owner.session.accessToken}`, ...init.headers },
    });
  };

  it('answers 415 to an upload that is not a multipart form', async () => {
    for (const headers of [{}, { 'content-type': 'multipart/form-data' }] as Record<string, string>[]) {
      const response = await upload({ headers });
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({
        type: `${api().baseUrl}/problems/unsupported-media-type`,
      });
    }
  });

  it('answers 422 to a form without a file and to a broken multipart body', async () => {
    const form = new FormData();
    form.append('title', 'no file here');
    const missing = await upload({ body: form });
    expect(missing.status).toBe(422);
    expect(await missing.json()).toMatchObject({ errors: [{ field: 'body.file', message: 'is required' }] });

    const broken = await upload({
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nnot a header line\r\n\r\nbody\r\n--xyz--\r\n',
    });
    expect(broken.status).toBe(422);
    expect(await broken.json()).toMatchObject({ errors: [{ field: 'body' }] });
  });

  it('answers 422 to a JSON body that is not an object', async () => {
    const owner = await signUp(api());
    const response = await fetch(`${api().baseUrl}/v1/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.session.accessToken}`, 'content-type': 'application/json' },
      body: '"AAA"',
    });
    expect(response.status).toBe(422);
  });
});
