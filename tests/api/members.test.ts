import { useTestApi } from '../helpers/api';
import { addMember, anyString, PASSWORD, signUp, uniqueEmail, upgrade } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { linkToken } from '../helpers/mailbox';

const db = useTestDatabase();
const api = useTestApi(db);

describe('invitations', () => {
  it('emails an invitation whose link creates the account, joins with the role, and works once', async () => {
    const owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const email = uniqueEmail('Invitee');
    const invited = await owner.client.POST('/v1/invitations', { body: { email, role: 'admin' } });
    expect(invited.response.status).toBe(201);
    expect(invited.data).toMatchObject({ email: email.toLowerCase(), role: 'admin', status: 'pending' });

    const mail = await api().mailbox.waitFor(email, /You are invited to/);
    expect(mail.text).toContain(owner.session.organization.name);
    const token = linkToken(mail);
    const missingName = await api()
      .client()
      .POST('/v1/auth/accept-invitation', { body: { token, password: PASSWORD } });
    expect(missingName.error).toMatchObject({ status: 422, errors: [{ field: 'body.name' }] });

    const accepted = await api()
      .client()
      .POST('/v1/auth/accept-invitation', { body: { token, name: 'Ivy Invitee', password: PASSWORD } });
    expect(accepted.data).toMatchObject({
      role: 'admin',
      organization: { id: owner.session.organization.id },
      user: { email: email.toLowerCase(), emailVerifiedAt: anyString() },
    });
    const again = await api()
      .client()
      .POST('/v1/auth/accept-invitation', { body: { token, name: 'Ivy', password: PASSWORD } });
    expect(again.response.status).toBe(401);

    const { data } = await owner.client.GET('/v1/invitations/{id}', {
      params: { path: { id: invited.data!.id } },
    });
    expect(data).toMatchObject({ status: 'accepted', acceptedAt: anyString() });
  });

  it('lets a person with an account join a second organization with their password', async () => {
    const first = await signUp(api());
    const second = await signUp(api());
    await upgrade(second.session.organization.id);
    await second.client.POST('/v1/invitations', { body: { email: first.email, role: 'agent' } });
    const token = linkToken(await api().mailbox.waitFor(first.email, /invited/));
    const wrong = await api()
      .client()
      .POST('/v1/auth/accept-invitation', { body: { token, password: 'not my password' } });
    expect(wrong.response.status).toBe(401);
    const joined = await api()
      .client()
      .POST('/v1/auth/accept-invitation', { body: { token, password: PASSWORD } });
    expect(joined.data).toMatchObject({
      role: 'agent',
      organization: { id: second.session.organization.id },
    });

    const login = await api()
      .client()
      .POST('/v1/auth/login', {
        body: { email: first.email, password: PASSWORD, organizationId: second.session.organization.id },
      });
    expect(login.data?.role).toBe('agent');
  });

  it('answers 402 when the plan has no free seat, and 409 for someone already a member', async () => {
    const owner = await signUp(api());
    const full = await owner.client.POST('/v1/invitations', {
      body: { email: uniqueEmail(), role: 'agent' },
    });
    expect(full.response.status).toBe(402);
    expect(full.error).toMatchObject({
      type: `${api().baseUrl}/problems/payment-required`,
      limit: { metric: 'seats', limit: 1 },
    });
    await upgrade(owner.session.organization.id);
    const self = await owner.client.POST('/v1/invitations', { body: { email: owner.email, role: 'agent' } });
    expect(self.response.status).toBe(409);
  });

  it('lists, filters and revokes invitations; a revoked link stops working', async () => {
    const owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const email = uniqueEmail('revoked');
    const { data: invitation } = await owner.client.POST('/v1/invitations', {
      body: { email, role: 'agent' },
    });
    const token = linkToken(await api().mailbox.waitFor(email, /invited/));
    const pending = await owner.client.GET('/v1/invitations', { params: { query: { status: 'pending' } } });
    expect(pending.data!.items.map((i) => i.id)).toEqual([invitation!.id]);

    const path = { params: { path: { id: invitation!.id } } };
    expect((await owner.client.DELETE('/v1/invitations/{id}', path)).response.status).toBe(204);
    expect((await owner.client.GET('/v1/invitations/{id}', path)).response.status).toBe(404);
    const accept = await api()
      .client()
      .POST('/v1/auth/accept-invitation', { body: { token, name: 'Late', password: PASSWORD } });
    expect(accept.response.status).toBe(401);
  });

  it('lets only an owner invite an owner', async () => {
    const owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const admin = await addMember(api(), owner, 'admin');
    const byAdmin = await admin.client.POST('/v1/invitations', {
      body: { email: uniqueEmail(), role: 'owner' },
    });
    expect(byAdmin.response.status).toBe(403);
    const byOwner = await owner.client.POST('/v1/invitations', {
      body: { email: uniqueEmail(), role: 'owner' },
    });
    expect(byOwner.response.status).toBe(201);
  });
});

describe('members', () => {
  it('lists members with their email and role, filtered by role, for any member', async () => {
    const owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const agent = await addMember(api(), owner, 'agent');
    const all = await agent.client.GET('/v1/members');
    expect(all.data!.items.map((m) => [m.email, m.role])).toEqual([
      [owner.email.toLowerCase(), 'owner'],
      [agent.email.toLowerCase(), 'agent'],
    ]);
    const agents = await owner.client.GET('/v1/members', { params: { query: { role: 'agent' } } });
    expect(agents.data!.items).toHaveLength(1);
    const one = await agent.client.GET('/v1/members/{id}', {
      params: { path: { id: agents.data!.items[0]!.id } },
    });
    expect(one.data).toMatchObject({ email: agent.email.toLowerCase(), available: true });
  });

  it('changes roles within the rules and records each change', async () => {
    const owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const admin = await addMember(api(), owner, 'admin');
    const agent = await addMember(api(), owner, 'agent');
    const members = (await owner.client.GET('/v1/members')).data!.items;
    const id = (email: string) => ({
      params: { path: { id: members.find((m) => m.email === email.toLowerCase())!.id } },
    });

    // An admin manages agents and admins, but not owners.
    const promote = await admin.client.PATCH('/v1/members/{id}', {
      ...id(agent.email),
      body: { role: 'admin' },
    });
    expect(promote.data).toMatchObject({ role: 'admin' });
    const toOwner = await admin.client.PATCH('/v1/members/{id}', {
      ...id(agent.email),
      body: { role: 'owner' },
    });
    expect(toOwner.response.status).toBe(403);
    const demoteOwner = await admin.client.PATCH('/v1/members/{id}', {
      ...id(owner.email),
      body: { role: 'agent' },
    });
    expect(demoteOwner.response.status).toBe(403);
    // An agent manages nobody.
    const byAgent = await api()
      .client(agent.session.accessToken)
      .PATCH('/v1/members/{id}', { ...id(admin.email), body: { available: false } });
    expect(byAgent.response.status).toBe(200); // the agent is an admin now: roles are read per request

    // The last owner cannot step down; once there is a second owner they can.
    const lastOwner = await owner.client.PATCH('/v1/members/{id}', {
      ...id(owner.email),
      body: { role: 'admin' },
    });
    expect(lastOwner.response.status).toBe(409);
    await owner.client.PATCH('/v1/members/{id}', { ...id(admin.email), body: { role: 'owner' } });
    const stepDown = await owner.client.PATCH('/v1/members/{id}', {
      ...id(owner.email),
      body: { role: 'admin' },
    });
    expect(stepDown.data).toMatchObject({ role: 'admin' });

    const audit = await admin.client.GET('/v1/audit-log', {
      params: { query: { action: 'member.role_changed' } },
    });
    expect(audit.data!.items.map((e) => [e.data.from, e.data.to])).toEqual([
      ['owner', 'admin'],
      ['admin', 'owner'],
      ['agent', 'admin'],
    ]);
  });

  it('forbids agents from changing members', async () => {
    const owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const agent = await addMember(api(), owner, 'agent');
    const members = (await owner.client.GET('/v1/members')).data!.items;
    const { response } = await agent.client.PATCH('/v1/members/{id}', {
      params: { path: { id: members[0]!.id } },
      body: { available: false },
    });
    expect(response.status).toBe(403);
  });

  it('removes a member, whose sessions here end at once; the last owner cannot be removed', async () => {
    const owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const agent = await addMember(api(), owner, 'agent');
    const members = (await owner.client.GET('/v1/members')).data!.items;
    const agentId = members.find((m) => m.role === 'agent')!.id;
    const ownerId = members.find((m) => m.role === 'owner')!.id;

    expect(
      (await owner.client.DELETE('/v1/members/{id}', { params: { path: { id: ownerId } } })).response.status,
    ).toBe(409);
    expect(
      (await owner.client.DELETE('/v1/members/{id}', { params: { path: { id: agentId } } })).response.status,
    ).toBe(204);
    expect((await agent.client.GET('/v1/members')).response.status).toBe(401);
    const refreshed = await api()
      .client()
      .POST('/v1/auth/refresh', { body: { refreshToken: agent.session.refreshToken } });
    expect(refreshed.response.status).toBe(401);
    const audit = await owner.client.GET('/v1/audit-log', {
      params: { query: { action: 'member.removed' } },
    });
    expect(audit.data!.items[0]).toMatchObject({ targetId: agentId, data: { role: 'agent' } });
  });

  it('answers 422 for an id that is not a UUID and 404 for an unknown one', async () => {
    const owner = await signUp(api());
    const bad = await owner.client.GET('/v1/members/{id}', { params: { path: { id: 'nope' } } });
    expect(bad.response.status).toBe(422);
    const unknown = await owner.client.GET('/v1/members/{id}', {
      params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
    });
    expect(unknown.response.status).toBe(404);
  });
});
