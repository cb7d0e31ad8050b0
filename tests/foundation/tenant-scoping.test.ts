import { UnscopedQueryError } from '../../src/db/base-model';
import { Conversation, Message, type Organization } from '../../src/db/models';
import { buildOrganization } from '../helpers/factories';
import { useTestDatabase } from '../helpers/db';

useTestDatabase();

async function conversationWithMessage(organization: Organization): Promise<Conversation> {
  const conversation = await Conversation.query()
    .forOrganization(organization.id)
    .insert({ visitorId: 'v-1' });
  await Message.query()
    .forOrganization(organization.id)
    .insert({ conversationId: conversation.id, role: 'visitor', content: `hello from ${organization.name}` });
  return conversation;
}

describe('tenant scoping', () => {
  let acme: Organization;
  let globex: Organization;
  let acmeConversation: Conversation;
  let globexConversation: Conversation;

  beforeAll(async () => {
    acme = await buildOrganization({ name: 'Acme' });
    globex = await buildOrganization({ name: 'Globex' });
    acmeConversation = await conversationWithMessage(acme);
    globexConversation = await conversationWithMessage(globex);
  });

  it('refuses a query on tenant-owned data without an organization', async () => {
    await expect(Conversation.query()).rejects.toBeInstanceOf(UnscopedQueryError);
    await expect(Conversation.query().findById(acmeConversation.id)).rejects.toBeInstanceOf(
      UnscopedQueryError,
    );
    await expect(Message.query().patch({ content: 'x' })).rejects.toBeInstanceOf(UnscopedQueryError);
    await expect(Message.query().delete()).rejects.toBeInstanceOf(UnscopedQueryError);
    await expect(Conversation.query().insert({ visitorId: 'nobody' })).rejects.toBeInstanceOf(
      UnscopedQueryError,
    );
  });

  it("does not find another organization's row by id", async () => {
    const found = await Conversation.query().forOrganization(acme.id).findById(globexConversation.id);
    expect(found).toBeUndefined();
    const own = await Conversation.query().forOrganization(acme.id).findById(acmeConversation.id);
    expect(own?.id).toBe(acmeConversation.id);
  });

  it("cannot update or delete another organization's rows", async () => {
    const patched = await Message.query()
      .forOrganization(acme.id)
      .patch({ content: 'hijacked' })
      .where('conversation_id', globexConversation.id);
    const deleted = await Conversation.query().forOrganization(acme.id).deleteById(globexConversation.id);
    expect(patched).toBe(0);
    expect(deleted).toBe(0);
    const untouched = await Message.query()
      .forOrganization(globex.id)
      .where('conversation_id', globexConversation.id);
    expect(untouched.map((m) => m.content)).toEqual(['hello from Globex']);
  });

  it('stamps inserts with the scope and refuses rows for another organization', async () => {
    const inserted = await Conversation.query().forOrganization(acme.id).insert({ visitorId: 'v-2' });
    expect(inserted.organizationId).toBe(acme.id);
    await expect(
      Conversation.query().forOrganization(acme.id).insert({ visitorId: 'v-3', organizationId: globex.id }),
    ).rejects.toThrow(/another organization/);
  });

  it('scopes eager-loaded relations with the parent query', async () => {
    const [loaded] = await Conversation.query()
      .forOrganization(globex.id)
      .where('conversations.id', globexConversation.id)
      .withGraphFetched('messages');
    expect(loaded?.messages?.map((m) => m.content)).toEqual(['hello from Globex']);
  });

  it('allows a cross-tenant query only with a stated reason', async () => {
    const all = await Conversation.query()
      .unscoped('test: count across tenants')
      .whereIn('organization_id', [acme.id, globex.id]);
    expect(all.length).toBeGreaterThanOrEqual(2);
  });
});

describe('tenant scoping of grouped conditions', () => {
  it('scopes a query whose conditions are grouped in a callback', async () => {
    const acme = await buildOrganization();
    const globex = await buildOrganization();
    await Conversation.query().forOrganization(acme.id).insert({ visitorId: 'shared' });
    await Conversation.query().forOrganization(globex.id).insert({ visitorId: 'shared' });
    const found = await Conversation.query()
      .forOrganization(acme.id)
      .where((q) => {
        q.where('visitorId', 'shared').orWhere('visitorId', 'other');
      });
    expect(found.map((c) => c.organizationId)).toEqual([acme.id]);
  });
});
