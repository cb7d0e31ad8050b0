import { useTestApi } from '../helpers/api';
import { addMember, anyString, signUp, upgrade } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';

const db = useTestDatabase();
const api = useTestApi(db);

describe('organization', () => {
  it('shows the organization to its members and lets admins rename it', async () => {
    const owner = await signUp(api(), { organizationName: 'Before' });
    const { data } = await owner.client.GET('/v1/organization');
    expect(data).toMatchObject({ id: owner.session.organization.id, name: 'Before', plan: 'free' });
    const renamed = await owner.client.PATCH('/v1/organization', { body: { name: 'After' } });
    expect(renamed.data).toMatchObject({ name: 'After', slug: data!.slug });
    const empty = await owner.client.PATCH('/v1/organization', { body: { name: '' } });
    expect(empty.error).toMatchObject({ status: 422, errors: [{ field: 'body.name' }] });
  });

  it('lets agents read but not change the organization or its settings', async () => {
    const owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const agent = await addMember(api(), owner, 'agent');
    expect((await agent.client.GET('/v1/organization/settings')).response.status).toBe(200);
    expect((await agent.client.PATCH('/v1/organization', { body: { name: 'x' } })).response.status).toBe(403);
    const patch = await agent.client.PATCH('/v1/organization/settings', { body: { aiPersona: 'x' } });
    expect(patch.response.status).toBe(403);
  });
});

describe('settings', () => {
  it('has defaults and takes a valid update, field by field', async () => {
    const owner = await signUp(api());
    const before = await owner.client.GET('/v1/organization/settings');
    expect(before.data).toMatchObject({ confidenceThreshold: 0.35, allowedOrigins: [], widget: {} });
    const update = {
      widget: { color: '#4f46e5', position: 'left' as const, greeting: 'Hi there!' },
      aiPersona: 'You are Lumi.',
      confidenceThreshold: 0.5,
      escalationRules: { sentimentThreshold: -0.4, keywords: ['refund', 'lawyer'], maxAbstentions: 2 },
      allowedOrigins: ['https://www.example.com', 'http://localhost:8080'],
    };
    const { data } = await owner.client.PATCH('/v1/organization/settings', { body: update });
    expect(data).toMatchObject(update);
    const partial = await owner.client.PATCH('/v1/organization/settings', {
      body: { aiInstructions: 'Be brief.' },
    });
    expect(partial.data).toMatchObject({ ...update, aiInstructions: 'Be brief.' });
    const audit = await owner.client.GET('/v1/audit-log', {
      params: { query: { action: 'settings.updated' } },
    });
    expect(audit.data!.items.map((e) => e.data.fields)).toEqual([['aiInstructions'], Object.keys(update)]);
  });

  it.each([
    [{ confidenceThreshold: 1.5 }, 'body.confidenceThreshold'],
    [{ widget: { color: 'red' } }, 'body.widget.color'],
    [{ allowedOrigins: ['https://example.com/path'] }, 'allowedOrigins'],
    [{ allowedOrigins: ['https://exa mple.com'] }, 'allowedOrigins'],
    [{ allowedOrigins: ['https://example.com:99999'] }, 'body.allowedOrigins.0'],
    [{ allowedOrigins: ['ftp://example.com'] }, 'allowedOrigins'],
    [{ escalationRules: { maxAbstentions: 0 } }, 'body.escalationRules.maxAbstentions'],
    [{ theme: 'dark' }, 'body'],
  ])('rejects %j with 422 naming the field', async (body, field) => {
    const owner = await signUp(api());
    const res = await fetch(`${api().baseUrl}/v1/organization/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.session.accessToken}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field).join(' ')).toContain(field);
  });
});

describe('audit log', () => {
  it('records sign-up and sign-in and lists them for admins only, newest first', async () => {
    const owner = await signUp(api());
    await api()
      .client()
      .POST('/v1/auth/login', { body: { email: owner.email, password: 'correct horse battery staple' } });
    const { data } = await owner.client.GET('/v1/audit-log');
    expect(data!.items.map((e) => e.action)).toEqual(['auth.login', 'organization.created']);
    expect(data!.items[0]).toMatchObject({ actorUserId: owner.session.user.id, ip: anyString() });
    const page = await owner.client.GET('/v1/audit-log', { params: { query: { limit: 1 } } });
    const next = await owner.client.GET('/v1/audit-log', {
      params: { query: { limit: 1, cursor: page.data!.nextCursor! } },
    });
    expect(next.data!.items.map((e) => e.action)).toEqual(['organization.created']);

    await upgrade(owner.session.organization.id);
    const agent = await addMember(api(), owner, 'agent');
    expect((await agent.client.GET('/v1/audit-log')).response.status).toBe(403);
  });
});
