import { Document } from '../../src/db/models';
import { signUp, type Account } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { useTestDatabase } from '../helpers/db';
import { buildTicket } from '../helpers/tickets';

const db = useTestDatabase();
const api = useTestApi(db);

const HOUR = 60 * 60 * 1000;
const hoursAgo = (hours: number) => new Date(Date.now() - hours * HOUR);

describe('incremental sync: updatedSince / updatedBefore', () => {
  let owner: Account;
  let org: string;
  beforeAll(async () => {
    owner = await signUp(api());
    org = owner.session.organization.id;
  });

  it('filters conversations, tickets and documents by when they last changed', async () => {
    const conversations = await Promise.all(
      [1, 2].map(async () => (await owner.client.POST('/v1/conversations', { body: {} })).data!.id),
    );
    const tickets = [await buildTicket(org), await buildTicket(org)];
    const documents = await Promise.all(
      ['Old page', 'New page'].map((title) =>
        Document.query()
          .forOrganization(org)
          .insert({ title, sourceType: 'url', sourceUrl: 'https://example.com/' }),
      ),
    );
    // The first of each changed three hours ago (raw SQL: a patch through the model would stamp now).
    for (const [table, id] of [
      ['conversations', conversations[0]!],
      ['tickets', tickets[0]!.id],
      ['documents', documents[0]!.id],
    ] as const) {
      await db().raw('update ?? set updated_at = ? where id = ?', [table, hoursAgo(3), id]);
    }
    const cutoff = hoursAgo(1).toISOString();

    const recent = {
      conversations: await owner.client.GET('/v1/conversations', {
        params: { query: { updatedSince: cutoff } },
      }),
      tickets: await owner.client.GET('/v1/tickets', { params: { query: { updatedSince: cutoff } } }),
      documents: await owner.client.GET('/v1/documents', { params: { query: { updatedSince: cutoff } } }),
    };
    // buildTicket opens conversations of its own: only the two created here are looked at.
    const mine = (items: { id: string }[]) =>
      items.map((c) => c.id).filter((id) => conversations.includes(id));
    expect(mine(recent.conversations.data!.items)).toEqual([conversations[1]]);
    expect(recent.tickets.data!.items.map((t) => t.id)).toEqual([tickets[1]!.id]);
    expect(recent.documents.data!.items.map((d) => d.id)).toEqual([documents[1]!.id]);

    const older = {
      conversations: await owner.client.GET('/v1/conversations', {
        params: { query: { updatedBefore: cutoff } },
      }),
      tickets: await owner.client.GET('/v1/tickets', { params: { query: { updatedBefore: cutoff } } }),
      documents: await owner.client.GET('/v1/documents', { params: { query: { updatedBefore: cutoff } } }),
    };
    expect(older.conversations.data!.items.map((c) => c.id)).toEqual([conversations[0]]);
    expect(older.tickets.data!.items.map((t) => t.id)).toEqual([tickets[0]!.id]);
    expect(older.documents.data!.items.map((d) => d.id)).toEqual([documents[0]!.id]);

    // Oldest change first, with the time to resume from on each.
    const sorted = await owner.client.GET('/v1/conversations', {
      params: { query: { sort: 'updatedAt', limit: 100 } },
    });
    expect(sorted.data!.items[0]!.id).toBe(conversations[0]);
    expect(new Date(sorted.data!.items[0]!.updatedAt).getTime()).toBeLessThan(Date.parse(cutoff));
  });

  it('refuses a date that is not one', async () => {
    const res = await fetch(`${api().baseUrl}/v1/tickets?updatedSince=yesterday`, {
      headers: { authorization: `Bearer ${owner.session.accessToken}` },
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ errors: [{ field: 'query.updatedSince' }] });
  });
});

describe("a conversation's messages", () => {
  let owner: Account;
  let conversationId: string;
  let ids: string[];
  beforeAll(async () => {
    owner = await signUp(api());
    conversationId = (await owner.client.POST('/v1/conversations', { body: {} })).data!.id;
    ids = [];
    for (const content of ['First question', 'Second question', 'Third question']) {
      const { data } = await owner.client.POST('/v1/conversations/{id}/messages', {
        params: { path: { id: conversationId } },
        body: { content },
      });
      ids.push(data!.message.id);
    }
  });

  const list = (
    query: { after?: string; limit?: number; cursor?: string },
    account = owner,
    id = conversationId,
  ) => account.client.GET('/v1/conversations/{id}/messages', { params: { path: { id }, query } });

  it('lists them oldest first, page by page', async () => {
    const first = await list({ limit: 2 });
    expect(first.data!.items.map((m) => m.content)).toEqual(['First question', 'Second question']);
    const second = await list({ limit: 2, cursor: first.data!.nextCursor! });
    expect(second.data).toMatchObject({ items: [{ id: ids[2] }], nextCursor: null });
  });

  it('gives only the messages after a given one', async () => {
    expect((await list({ after: ids[0] })).data!.items.map((m) => m.id)).toEqual([ids[1], ids[2]]);
    expect((await list({ after: ids[2] })).data!.items).toEqual([]);
  });

  it('refuses `after` naming a message of another conversation', async () => {
    const other = (await owner.client.POST('/v1/conversations', { body: {} })).data!.id;
    const res = await list({ after: ids[0] }, owner, other);
    expect(res.response.status).toBe(422);
    expect(res.error).toMatchObject({ errors: [{ field: 'query.after' }] });
  });

  it('reads one message', async () => {
    const { data, response } = await owner.client.GET('/v1/conversations/{id}/messages/{messageId}', {
      params: { path: { id: conversationId, messageId: ids[1]! } },
    });
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ id: ids[1], conversationId, role: 'visitor', content: 'Second question' });
  });

  it('shows another organization neither the messages nor one of them', async () => {
    const neighbour = await signUp(api());
    expect((await list({}, neighbour)).response.status).toBe(404);
    const one = await neighbour.client.GET('/v1/conversations/{id}/messages/{messageId}', {
      params: { path: { id: conversationId, messageId: ids[0]! } },
    });
    expect(one.response.status).toBe(404);
  });
});
