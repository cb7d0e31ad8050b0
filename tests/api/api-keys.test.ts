import { ApiKey } from '../../src/db/models';
import { sha256 } from '../../src/lib/secrets';
import { ApiKeyAuthenticator } from '../../src/services/api-keys';
import { useTestApi } from '../helpers/api';
import { addMember, anyString, matching, signUp, upgrade } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';

const db = useTestDatabase();
const api = useTestApi(db);
/** A second API process: its own event bus and key cache. */
const otherApi = useTestApi(db);
const strictApi = useTestApi(db, {
  configure: (c) => ({ ...c, rateLimits: { ...c.rateLimits, apiKeyPerMinute: 2, organizationPerMinute: 5 } }),
});

describe('API keys', () => {
  it('shows a new key once and stores only its hash and visible prefix', async () => {
    const owner = await signUp(api());
    const { data, response } = await owner.client.POST('/v1/api-keys', { body: { name: 'CRM sync' } });
    expect(response.status).toBe(201);
    expect(data).toMatchObject({ name: 'CRM sync', scopes: [], revokedAt: null, lastUsedAt: null });
    expect(data!.key).toMatch(/^prly_[A-Za-z0-9_-]{43}$/);
    expect(data!.key.startsWith(data!.prefix)).toBe(true);

    const row = await ApiKey.query().forOrganization(owner.session.organization.id).findById(data!.id);
    expect(row!.keyHash).toBe(sha256(data!.key));
    expect(JSON.stringify(row)).not.toContain(data!.key);
    const detail = await owner.client.GET('/v1/api-keys/{id}', { params: { path: { id: data!.id } } });
    expect(detail.data).not.toHaveProperty('key');
  });

  it('authenticates as a bearer token, acting as admin, and records the last use', async () => {
    const owner = await signUp(api());
    const { data: created } = await owner.client.POST('/v1/api-keys', { body: { name: 'integration' } });
    const integrator = api().client(created!.key);
    const me = await integrator.GET('/v1/auth/me');
    expect(me.data).toMatchObject({ role: 'admin', user: null, apiKeyId: created!.id, scopes: ['*'] });
    const { data } = await owner.client.GET('/v1/api-keys/{id}', { params: { path: { id: created!.id } } });
    expect(data!.lastUsedAt).toEqual(anyString());
  });

  it('limits a scoped key to its scopes and never lets it mint a wider key', async () => {
    const owner = await signUp(api());
    const { data: scoped } = await owner.client.POST('/v1/api-keys', {
      body: { name: 'reader', scopes: ['api_keys:read', 'api_keys:write'] },
    });
    const reader = api().client(scoped!.key);
    expect((await reader.GET('/v1/api-keys')).response.status).toBe(200);
    const settings = await reader.GET('/v1/organization/settings');
    expect(settings.response.status).toBe(403);
    expect(settings.error?.detail).toMatch(/organization:read/);
    // Routes that name no scope admit only members and unrestricted keys.
    expect((await reader.GET('/v1/auth/me')).response.status).toBe(403);

    const wider = await reader.POST('/v1/api-keys', { body: { name: 'escalate' } });
    expect(wider.response.status).toBe(403);
    const widerScoped = await reader.POST('/v1/api-keys', { body: { name: 'x', scopes: ['members:write'] } });
    expect(widerScoped.response.status).toBe(403);
    const same = await reader.POST('/v1/api-keys', { body: { name: 'narrower', scopes: ['api_keys:read'] } });
    expect(same.response.status).toBe(201);
  });

  it('rejects unknown scopes with 422', async () => {
    const owner = await signUp(api());
    const res = await fetch(`${api().baseUrl}/v1/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.session.accessToken}` },
      body: JSON.stringify({ name: 'x', scopes: ['everything'] }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      errors: [expect.objectContaining({ field: matching(/scopes/) })],
    });
  });

  it('revokes a key: it answers 401 at once on every API process, and revoking again changes nothing', async () => {
    const owner = await signUp(api());
    const { data: created } = await owner.client.POST('/v1/api-keys', { body: { name: 'temporary' } });
    const path = { params: { path: { id: created!.id } } };
    // Both processes have just authenticated the key, so both hold it in their cache.
    expect((await api().client(created!.key).GET('/v1/auth/me')).response.status).toBe(200);
    expect((await otherApi().client(created!.key).GET('/v1/auth/me')).response.status).toBe(200);
    expect((await owner.client.DELETE('/v1/api-keys/{id}', path)).response.status).toBe(204);
    expect((await api().client(created!.key).GET('/v1/auth/me')).response.status).toBe(401);
    // The other process hears of it on the events channel (NOTIFY is delivered on commit).
    const deadline = Date.now() + 2000;
    let status = 200;
    while (status !== 401 && Date.now() < deadline) {
      status = (await otherApi().client(created!.key).GET('/v1/auth/me')).response.status;
      if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(401);
    expect((await owner.client.DELETE('/v1/api-keys/{id}', path)).response.status).toBe(204);
    const { data } = await owner.client.GET('/v1/api-keys/{id}', path);
    expect(data!.revokedAt).toEqual(anyString());

    const audit = await owner.client.GET('/v1/audit-log', { params: { query: { targetType: 'api_key' } } });
    expect(audit.data!.items.map((e) => e.action)).toEqual(['api_key.revoked', 'api_key.created']);
  });

  it('trusts a cached key only while the events channel has listened since it was cached', async () => {
    const owner = await signUp(api());
    const { data: created } = await owner.client.POST('/v1/api-keys', { body: { name: 'cached' } });
    // The events channel, as far as the authenticator sees it: up or down, and reconnections.
    const reconnected: (() => void)[] = [];
    const bus = {
      listening: true,
      onType: () => () => undefined,
      onReconnect: (listener: () => void) => {
        reconnected.push(listener);
        return () => undefined;
      },
    };
    const keys = new ApiKeyAuthenticator(db(), bus);
    expect(await keys.authenticate(created!.key)).toMatchObject({ apiKeyId: created!.id });
    // A revocation whose announcement this process missed (written here without one)…
    await ApiKey.query()
      .forOrganization(owner.session.organization.id)
      .findById(created!.id)
      .patch({ revokedAt: new Date() });
    expect(await keys.authenticate(created!.key)).toMatchObject({ apiKeyId: created!.id }); // still cached
    // …can only have been missed across a reconnection, which drops what was cached before it.
    for (const listener of reconnected) listener();
    expect(await keys.authenticate(created!.key)).toBeUndefined();

    // While the channel is down nothing is cached at all.
    const { data: second } = await owner.client.POST('/v1/api-keys', { body: { name: 'uncached' } });
    bus.listening = false;
    expect(await keys.authenticate(second!.key)).toMatchObject({ apiKeyId: second!.id });
    await ApiKey.query()
      .forOrganization(owner.session.organization.id)
      .findById(second!.id)
      .patch({ revokedAt: new Date() });
    expect(await keys.authenticate(second!.key)).toBeUndefined();
  });

  it('lists keys page by page with a cursor, sorted and filtered', async () => {
    const owner = await signUp(api());
    for (const name of ['alpha', 'bravo', 'charlie', 'delta', 'echo']) {
      await owner.client.POST('/v1/api-keys', { body: { name } });
    }
    const first = await owner.client.GET('/v1/api-keys', { params: { query: { limit: 2, sort: 'name' } } });
    expect(first.data!.items.map((k) => k.name)).toEqual(['alpha', 'bravo']);
    const second = await owner.client.GET('/v1/api-keys', {
      params: { query: { limit: 2, sort: 'name', cursor: first.data!.nextCursor! } },
    });
    expect(second.data!.items.map((k) => k.name)).toEqual(['charlie', 'delta']);
    const third = await owner.client.GET('/v1/api-keys', {
      params: { query: { limit: 2, sort: 'name', cursor: second.data!.nextCursor! } },
    });
    expect(third.data).toMatchObject({ items: [{ name: 'echo' }], nextCursor: null });

    await owner.client.DELETE('/v1/api-keys/{id}', { params: { path: { id: third.data!.items[0]!.id } } });
    const revoked = await owner.client.GET('/v1/api-keys', { params: { query: { active: false } } });
    expect(revoked.data!.items.map((k) => k.name)).toEqual(['echo']);

    const bad = await owner.client.GET('/v1/api-keys', { params: { query: { limit: 0 } } });
    expect(bad.response.status).toBe(422);
    const badCursor = await owner.client.GET('/v1/api-keys', { params: { query: { cursor: 'nope' } } });
    expect(badCursor.error).toMatchObject({ errors: [{ field: 'query.cursor' }] });
  });

  it('is for admins: an agent gets 403', async () => {
    const owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const agent = await addMember(api(), owner, 'agent');
    expect((await agent.client.GET('/v1/api-keys')).response.status).toBe(403);
    expect((await agent.client.POST('/v1/api-keys', { body: { name: 'mine' } })).response.status).toBe(403);
  });

  it('answers 429 with Retry-After once a key exceeds its rate limit', async () => {
    const owner = await signUp(strictApi());
    const { data: created } = await strictApi()
      .client(owner.session.accessToken)
      .POST('/v1/api-keys', {
        body: { name: 'busy' },
      });
    const integrator = strictApi().client(created!.key);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await integrator.GET('/v1/organization')).response);
    expect(statuses.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(Number(statuses[2]!.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('answers 429 once an organization exceeds its limit, whoever calls', async () => {
    const owner = await signUp(strictApi());
    const member = strictApi().client(owner.session.accessToken);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await member.GET('/v1/organization')).response.status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const other = await signUp(strictApi());
    expect(
      (await strictApi().client(other.session.accessToken).GET('/v1/organization')).response.status,
    ).toBe(200);
  });
});
