import { IdempotencyKey } from '../../src/db/models';
import { signUp, type Account } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { useTestDatabase } from '../helpers/db';

const db = useTestDatabase();
const api = useTestApi(db);

describe('Idempotency-Key', () => {
  let owner: Account;
  beforeAll(async () => {
    owner = await signUp(api());
  });

  const post = (account: Account, path: string, body: unknown, key?: string) =>
    fetch(`${api().baseUrl}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${account.session.accessToken}`,
        'content-type': 'application/json',
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: JSON.stringify(body),
    });

  const conversationsOf = async (account: Account, visitorId: string) =>
    (await account.client.GET('/v1/conversations', { params: { query: { visitorId } } })).data!.items;

  it('answers a retry with the same key and body with the first answer, creating nothing more', async () => {
    const body = { visitorId: 'idem-visitor-1', visitorName: 'Robin' };
    const first = await post(owner, '/v1/conversations', body, 'key-create-1');
    const retry = await post(owner, '/v1/conversations', body, 'key-create-1');
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(await first.json());
    expect(await conversationsOf(owner, 'idem-visitor-1')).toHaveLength(1);
    // Without a key, the same body creates again.
    await post(owner, '/v1/conversations', body);
    expect(await conversationsOf(owner, 'idem-visitor-1')).toHaveLength(2);
  });

  it('refuses the same key with another body, or on another operation, with a 422 problem', async () => {
    expect((await post(owner, '/v1/conversations', { visitorId: 'idem-2' }, 'key-reused')).status).toBe(201);
    for (const [path, body] of [
      ['/v1/conversations', { visitorId: 'idem-2-other' }],
      ['/v1/api-keys', { name: 'reused key' }],
    ] as const) {
      const refused = await post(owner, path, body, 'key-reused');
      expect(refused.status).toBe(422);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await refused.json()).toMatchObject({
        type: `${api().baseUrl}/problems/validation`,
        errors: [{ field: 'header.idempotency-key' }],
      });
    }
    expect(await conversationsOf(owner, 'idem-2-other')).toHaveLength(0);
  });

  it('keeps a key 24 hours, after which it is free again', async () => {
    await post(owner, '/v1/conversations', { visitorId: 'idem-3' }, 'key-expiring');
    await IdempotencyKey.query()
      .forOrganization(owner.session.organization.id)
      .where({ key: 'key-expiring' })
      .patch({ createdAt: new Date(Date.now() - 24 * 60 * 60 * 1000 - 60_000) });
    const later = await post(owner, '/v1/conversations', { visitorId: 'idem-3-later' }, 'key-expiring');
    expect(later.status).toBe(201);
    expect(later.headers.get('idempotent-replayed')).toBeNull();
    expect(await conversationsOf(owner, 'idem-3-later')).toHaveLength(1);
  });

  it('keeps keys per organization: another tenant with the same key gets its own answer', async () => {
    const body = { visitorId: 'idem-4' };
    const mine = (await (await post(owner, '/v1/conversations', body, 'key-shared')).json()) as {
      id: string;
    };
    const neighbour = await signUp(api());
    const theirs = await post(neighbour, '/v1/conversations', body, 'key-shared');
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(((await theirs.json()) as { id: string }).id).not.toBe(mine.id);
  });

  it('replays a created API key once, instead of minting a second', async () => {
    const first = await post(owner, '/v1/api-keys', { name: 'CRM sync' }, 'key-api-key');
    const retry = await post(owner, '/v1/api-keys', { name: 'CRM sync' }, 'key-api-key');
    expect(await retry.json()).toEqual(await first.json());
    const keys = (await owner.client.GET('/v1/api-keys')).data!.items.filter((k) => k.name === 'CRM sync');
    expect(keys).toHaveLength(1);
  });

  it('replays a created webhook endpoint (with its secret) and test set once, creating one of each', async () => {
    const endpoint = { url: 'https://example.com/webhooks/idem', eventTypes: ['ticket.created'] };
    const first = await post(owner, '/v1/webhook-endpoints', endpoint, 'key-webhook');
    const retry = await post(owner, '/v1/webhook-endpoints', endpoint, 'key-webhook');
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(await first.json());
    const endpoints = (await owner.client.GET('/v1/webhook-endpoints')).data!.items;
    expect(endpoints.filter((e) => e.url === endpoint.url)).toHaveLength(1);

    const set = { name: 'Idempotent set' };
    const created = await post(owner, '/v1/test-sets', set, 'key-test-set');
    const again = await post(owner, '/v1/test-sets', set, 'key-test-set');
    expect([created.status, again.status]).toEqual([201, 201]);
    expect(await again.json()).toEqual(await created.json());
  });

  it('refuses a malformed key', async () => {
    const refused = await post(owner, '/v1/conversations', {}, 'x'.repeat(256));
    expect(refused.status).toBe(422);
  });
});

describe('clientMessageId', () => {
  it('refuses a message id replayed with other content, and answers a true retry with the first message', async () => {
    const owner = await signUp(api());
    const { data: conversation } = await owner.client.POST('/v1/conversations', { body: {} });
    const send = (content: string) =>
      owner.client.POST('/v1/conversations/{id}/messages', {
        params: { path: { id: conversation!.id } },
        body: { content, clientMessageId: 'client-msg-1' },
      });
    const first = await send('Where is my order?');
    expect(first.response.status).toBe(202);
    const retry = await send('Where is my order?');
    expect(retry.data!.message.id).toBe(first.data!.message.id);
    const other = await send('Cancel my order.');
    expect(other.response.status).toBe(422);
    expect(other.error).toMatchObject({ errors: [{ field: 'body.clientMessageId' }] });
  });
});
