import { randomUUID } from 'node:crypto';
import type { ParleyClient } from '../../src/client';
import { recordUsage } from '../../src/services/usage';
import { useTestApi } from '../helpers/api';
import { addMember, signUp, uniqueEmail, upgrade, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { buildTicket } from '../helpers/tickets';
import {
  Conversation,
  Message,
  TestQuestion,
  TestRun,
  TestSet,
  Ticket,
  TicketEvent,
} from '../../src/db/models';

/**
 * The cross-tenant matrix: organization B's credentials (a member's token and an API key) against
 * organization A's objects, for every tenant-owned resource and verb. Addressing A's object by id
 * answers 404; lists and singletons show B only its own. Add a row for each new resource (and the
 * ids it needs to `Victim`).
 */

const db = useTestDatabase();
const api = useTestApi(db);

/** Organization A's objects that B tries to reach. */
interface Victim {
  organizationId: string;
  organizationName: string;
  apiKeyId: string;
  apiKey: string;
  memberId: string;
  invitationId: string;
  documentId: string;
  conversationId: string;
  /** A visitor message of that conversation. */
  messageId: string;
  ticketId: string;
  /** A member of A, as an assignee B might name. */
  agentUserId: string;
  /** The message id behind A's one usage event. */
  usageSubjectId: string;
  testSetId: string;
  testQuestionId: string;
  testRunId: string;
  /** An assistant's reply in A's conversation, which B might promote into a test set. */
  assistantMessageId: string;
}

/** A test set of organization B's own, through which B names A's question. */
let bTestSetId: string;

type Call = (client: ParleyClient, a: Victim) => Promise<{ response: Response }>;

const ID_ROWS: [string, Call][] = [
  ['GET /v1/api-keys/{id}', (c, a) => c.GET('/v1/api-keys/{id}', { params: { path: { id: a.apiKeyId } } })],
  [
    'DELETE /v1/api-keys/{id}',
    (c, a) => c.DELETE('/v1/api-keys/{id}', { params: { path: { id: a.apiKeyId } } }),
  ],
  ['GET /v1/members/{id}', (c, a) => c.GET('/v1/members/{id}', { params: { path: { id: a.memberId } } })],
  [
    'PATCH /v1/members/{id}',
    (c, a) => c.PATCH('/v1/members/{id}', { params: { path: { id: a.memberId } }, body: { role: 'admin' } }),
  ],
  [
    'DELETE /v1/members/{id}',
    (c, a) => c.DELETE('/v1/members/{id}', { params: { path: { id: a.memberId } } }),
  ],
  [
    'GET /v1/invitations/{id}',
    (c, a) => c.GET('/v1/invitations/{id}', { params: { path: { id: a.invitationId } } }),
  ],
  [
    'DELETE /v1/invitations/{id}',
    (c, a) => c.DELETE('/v1/invitations/{id}', { params: { path: { id: a.invitationId } } }),
  ],
  [
    'GET /v1/documents/{id}',
    (c, a) => c.GET('/v1/documents/{id}', { params: { path: { id: a.documentId } } }),
  ],
  [
    'PATCH /v1/documents/{id}',
    (c, a) =>
      c.PATCH('/v1/documents/{id}', {
        params: { path: { id: a.documentId } },
        body: { visibility: 'internal' },
      }),
  ],
  [
    'POST /v1/documents/{id}/resync',
    (c, a) => c.POST('/v1/documents/{id}/resync', { params: { path: { id: a.documentId } } }),
  ],
  [
    'DELETE /v1/documents/{id}',
    (c, a) => c.DELETE('/v1/documents/{id}', { params: { path: { id: a.documentId } } }),
  ],
  [
    'GET /v1/conversations/{id}',
    (c, a) => c.GET('/v1/conversations/{id}', { params: { path: { id: a.conversationId } } }),
  ],
  [
    'GET /v1/conversations/{id}/messages',
    (c, a) => c.GET('/v1/conversations/{id}/messages', { params: { path: { id: a.conversationId } } }),
  ],
  [
    'GET /v1/conversations/{id}/messages/{messageId}',
    (c, a) =>
      c.GET('/v1/conversations/{id}/messages/{messageId}', {
        params: { path: { id: a.conversationId, messageId: a.messageId } },
      }),
  ],
  [
    'POST /v1/conversations/{id}/messages',
    (c, a) =>
      c.POST('/v1/conversations/{id}/messages', {
        params: { path: { id: a.conversationId } },
        body: { content: 'Hello from B' },
      }),
  ],
  ['GET /v1/tickets/{id}', (c, a) => c.GET('/v1/tickets/{id}', { params: { path: { id: a.ticketId } } })],
  [
    'POST /v1/tickets/{id}/assign',
    (c, a) =>
      c.POST('/v1/tickets/{id}/assign', {
        params: { path: { id: a.ticketId } },
        body: { userId: a.agentUserId },
      }),
  ],
  [
    'POST /v1/tickets/{id}/assign (round-robin)',
    (c, a) => c.POST('/v1/tickets/{id}/assign', { params: { path: { id: a.ticketId } }, body: {} }),
  ],
  [
    'POST /v1/tickets/{id}/status',
    (c, a) =>
      c.POST('/v1/tickets/{id}/status', { params: { path: { id: a.ticketId } }, body: { status: 'closed' } }),
  ],
  [
    'POST /v1/tickets/{id}/replies',
    (c, a) =>
      c.POST('/v1/tickets/{id}/replies', {
        params: { path: { id: a.ticketId } },
        body: { content: 'Reply from B' },
      }),
  ],
  [
    'POST /v1/tickets/{id}/notes',
    (c, a) =>
      c.POST('/v1/tickets/{id}/notes', {
        params: { path: { id: a.ticketId } },
        body: { content: 'Note from B' },
      }),
  ],
  [
    'POST /v1/conversations/{id}/take-over',
    (c, a) => c.POST('/v1/conversations/{id}/take-over', { params: { path: { id: a.conversationId } } }),
  ],
  [
    'POST /v1/tickets/{id}/hand-back',
    (c, a) => c.POST('/v1/tickets/{id}/hand-back', { params: { path: { id: a.ticketId } } }),
  ],
  [
    'GET /v1/test-sets/{id}',
    (c, a) => c.GET('/v1/test-sets/{id}', { params: { path: { id: a.testSetId } } }),
  ],
  [
    'PATCH /v1/test-sets/{id}',
    (c, a) =>
      c.PATCH('/v1/test-sets/{id}', {
        params: { path: { id: a.testSetId } },
        body: { name: 'Renamed by B' },
      }),
  ],
  [
    'DELETE /v1/test-sets/{id}',
    (c, a) => c.DELETE('/v1/test-sets/{id}', { params: { path: { id: a.testSetId } } }),
  ],
  [
    'GET /v1/test-sets/{id}/questions',
    (c, a) => c.GET('/v1/test-sets/{id}/questions', { params: { path: { id: a.testSetId } } }),
  ],
  [
    'POST /v1/test-sets/{id}/questions',
    (c, a) =>
      c.POST('/v1/test-sets/{id}/questions', {
        params: { path: { id: a.testSetId } },
        body: { question: 'Added by B' },
      }),
  ],
  [
    'POST /v1/test-sets/{id}/questions/import',
    (c, a) =>
      c.POST('/v1/test-sets/{id}/questions/import', {
        params: { path: { id: a.testSetId } },
        body: { format: 'csv', content: 'question\nImported by B\n' },
      }),
  ],
  [
    'PATCH /v1/test-sets/{id}/questions/{questionId}',
    (c, a) =>
      c.PATCH('/v1/test-sets/{id}/questions/{questionId}', {
        params: { path: { id: a.testSetId, questionId: a.testQuestionId } },
        body: { question: 'Changed by B' },
      }),
  ],
  [
    "PATCH /v1/test-sets/{id}/questions/{questionId} (B's set, A's question)",
    (c, a) =>
      c.PATCH('/v1/test-sets/{id}/questions/{questionId}', {
        params: { path: { id: bTestSetId, questionId: a.testQuestionId } },
        body: { question: 'Changed by B' },
      }),
  ],
  [
    'DELETE /v1/test-sets/{id}/questions/{questionId}',
    (c, a) =>
      c.DELETE('/v1/test-sets/{id}/questions/{questionId}', {
        params: { path: { id: a.testSetId, questionId: a.testQuestionId } },
      }),
  ],
  [
    "DELETE /v1/test-sets/{id}/questions/{questionId} (B's set, A's question)",
    (c, a) =>
      c.DELETE('/v1/test-sets/{id}/questions/{questionId}', {
        params: { path: { id: bTestSetId, questionId: a.testQuestionId } },
      }),
  ],
  [
    'POST /v1/test-sets/{id}/questions/from-turn',
    (c, a) =>
      c.POST('/v1/test-sets/{id}/questions/from-turn', {
        params: { path: { id: a.testSetId } },
        body: { messageId: a.assistantMessageId, verdict: 'right' },
      }),
  ],
  [
    "POST /v1/test-sets/{id}/questions/from-turn (B's set, A's reply)",
    (c, a) =>
      c.POST('/v1/test-sets/{id}/questions/from-turn', {
        params: { path: { id: bTestSetId } },
        body: { messageId: a.assistantMessageId, verdict: 'right' },
      }),
  ],
  [
    'POST /v1/test-sets/{id}/runs',
    (c, a) => c.POST('/v1/test-sets/{id}/runs', { params: { path: { id: a.testSetId } } }),
  ],
  [
    'GET /v1/test-sets/{id}/runs',
    (c, a) => c.GET('/v1/test-sets/{id}/runs', { params: { path: { id: a.testSetId } } }),
  ],
  [
    'GET /v1/test-sets/{id}/runs/{runId}',
    (c, a) =>
      c.GET('/v1/test-sets/{id}/runs/{runId}', { params: { path: { id: a.testSetId, runId: a.testRunId } } }),
  ],
  [
    "GET /v1/test-sets/{id}/runs/{runId} (B's set, A's run)",
    (c, a) =>
      c.GET('/v1/test-sets/{id}/runs/{runId}', { params: { path: { id: bTestSetId, runId: a.testRunId } } }),
  ],
  [
    'GET /v1/test-sets/{id}/runs/{runId}/changes',
    (c, a) =>
      c.GET('/v1/test-sets/{id}/runs/{runId}/changes', {
        params: { path: { id: a.testSetId, runId: a.testRunId } },
      }),
  ],
];

/** The body of a successful answer; a failed call must not pass a row by seeing nothing. */
function ok<T>(result: { data?: T; response: Response }): T {
  if (!result.response.ok || result.data === undefined) throw new Error(`answered ${result.response.status}`);
  return result.data;
}

/** Calls that name no id: each must answer with B's own data only. `leaks` returns what of A it saw. */
const SCOPE_ROWS: [string, (client: ParleyClient, a: Victim) => Promise<string[]>][] = [
  [
    'GET /v1/api-keys',
    async (c, a) =>
      ok(await c.GET('/v1/api-keys'))
        .items.filter((k) => k.id === a.apiKeyId)
        .map((k) => k.id),
  ],
  [
    'GET /v1/members',
    async (c, a) =>
      ok(await c.GET('/v1/members'))
        .items.filter((m) => m.id === a.memberId)
        .map((m) => m.id),
  ],
  [
    'GET /v1/invitations',
    async (c, a) =>
      ok(await c.GET('/v1/invitations'))
        .items.filter((i) => i.id === a.invitationId)
        .map((i) => i.id),
  ],
  [
    'GET /v1/audit-log',
    async (c, a) =>
      ok(await c.GET('/v1/audit-log', { params: { query: { limit: 100 } } }))
        .items.filter((e) =>
          [a.apiKeyId, a.memberId, a.invitationId, a.organizationId].includes(e.targetId ?? ''),
        )
        .map((e) => e.id),
  ],
  [
    'GET /v1/documents',
    async (c, a) =>
      ok(await c.GET('/v1/documents', { params: { query: { limit: 100 } } }))
        .items.filter((d) => d.id === a.documentId)
        .map((d) => d.id),
  ],
  [
    'GET /v1/test-sets',
    async (c, a) =>
      ok(await c.GET('/v1/test-sets', { params: { query: { limit: 100 } } }))
        .items.filter((t) => t.id === a.testSetId)
        .map((t) => t.id),
  ],
  [
    'GET /v1/conversations',
    async (c, a) =>
      ok(await c.GET('/v1/conversations', { params: { query: { limit: 100 } } }))
        .items.filter((d) => d.id === a.conversationId)
        .map((d) => d.id),
  ],
  [
    'GET /v1/billing',
    async (c) =>
      ok(await c.GET('/v1/billing'))
        .usage.filter((m) => m.metric === 'messages' && m.used > 0)
        .map((m) => `${m.used} messages`),
  ],
  [
    'GET /v1/usage',
    async (c) =>
      ok(await c.GET('/v1/usage'))
        .metrics.filter((m) => m.metric === 'messages' && m.used > 0)
        .map((m) => `${m.used} messages`),
  ],
  [
    'GET /v1/usage/events',
    async (c, a) =>
      ok(await c.GET('/v1/usage/events', { params: { query: { limit: 1000 } } }))
        .items.filter((e) => e.subjectId === a.usageSubjectId)
        .map((e) => e.id),
  ],
  [
    'GET /v1/usage/events/export',
    async (c, a) => {
      // CSV: never an empty body (the header row), so a failed call cannot pass by showing nothing.
      const { data, response } = await c.GET('/v1/usage/events/export', {
        params: { query: { format: 'csv' } },
        parseAs: 'text',
      });
      if (!response.ok || data === undefined) throw new Error(`answered ${response.status}`);
      return data.includes(a.usageSubjectId) ? [a.usageSubjectId] : [];
    },
  ],
  [
    'GET /v1/tickets',
    async (c, a) =>
      ok(await c.GET('/v1/tickets', { params: { query: { limit: 100 } } }))
        .items.filter((t) => t.id === a.ticketId)
        .map((t) => t.id),
  ],
  [
    'GET /v1/tickets?assignee=',
    async (c, a) =>
      ok(await c.GET('/v1/tickets', { params: { query: { assignee: a.agentUserId } } })).items.map(
        (t) => t.id,
      ),
  ],
  [
    'GET /v1/analytics',
    async (c) => {
      const report = ok(await c.GET('/v1/analytics'));
      return report.conversations + report.escalations > 0 ? ['analytics'] : [];
    },
  ],
  [
    'GET /v1/organization',
    async (c, a) => [ok(await c.GET('/v1/organization')).id].filter((id) => id === a.organizationId),
  ],
  [
    'PATCH /v1/organization',
    async (c, a) => {
      const { id } = ok(await c.PATCH('/v1/organization', { body: { name: 'Renamed by B' } }));
      return id === a.organizationId ? [id] : [];
    },
  ],
  [
    'GET /v1/organization/settings',
    async (c) => {
      const { aiPersona } = ok(await c.GET('/v1/organization/settings'));
      return aiPersona === 'A persona' ? ['settings'] : [];
    },
  ],
  [
    'PATCH /v1/organization/settings',
    async (c) => {
      const { aiPersona } = ok(
        await c.PATCH('/v1/organization/settings', { body: { aiInstructions: 'B was here' } }),
      );
      return aiPersona === 'A persona' ? ['settings'] : [];
    },
  ],
];

let a: Victim;
let aOwner: Account;
const credentials: Record<'member token' | 'API key', () => ParleyClient> = {
  'member token': () => {
    throw new Error('not set up');
  },
  'API key': () => {
    throw new Error('not set up');
  },
};

beforeAll(async () => {
  aOwner = await signUp(api());
  await upgrade(aOwner.session.organization.id);
  const agent = await addMember(api(), aOwner, 'agent');
  const { data: key } = await aOwner.client.POST('/v1/api-keys', { body: { name: 'A key' } });
  const { data: invitation } = await aOwner.client.POST('/v1/invitations', {
    body: { email: uniqueEmail('pending'), role: 'agent' },
  });
  await aOwner.client.PATCH('/v1/organization/settings', { body: { aiPersona: 'A persona' } });
  const { data: document } = await aOwner.client.POST('/v1/documents', {
    body: { url: 'https://help.example.com/a', type: 'url' },
  });
  const { data: conversation } = await aOwner.client.POST('/v1/conversations', {
    body: { visitorName: 'A visitor' },
  });
  const { data: posted } = await aOwner.client.POST('/v1/conversations/{id}/messages', {
    params: { path: { id: conversation!.id } },
    body: { content: 'A question from A' },
  });
  const ticket = await buildTicket(aOwner.session.organization.id, {
    assigneeUserId: agent.session.user.id,
  });
  const usageSubjectId = `message-${randomUUID()}`;
  await db().transaction((trx) =>
    recordUsage(trx, aOwner.session.organization.id, 'messages', usageSubjectId),
  );
  const { data: testSet } = await aOwner.client.POST('/v1/test-sets', { body: { name: 'A set' } });
  const { data: testQuestion } = await aOwner.client.POST('/v1/test-sets/{id}/questions', {
    params: { path: { id: testSet!.id } },
    body: { question: 'How long do refunds take?' },
  });
  // A run as its workflow records it (this file runs no worker).
  const testRun = await TestRun.query().forOrganization(aOwner.session.organization.id).insert({
    id: randomUUID(),
    testSetId: testSet!.id,
    workflowId: 'test-run-a',
    trigger: 'manual',
    questionCount: 1,
  });
  // A conversation of its own, so the one above stays empty for the check after the matrix.
  const answered = await Conversation.query()
    .forOrganization(aOwner.session.organization.id)
    .insert({ visitorId: 'a-visitor' });
  const asked = await Message.query()
    .forOrganization(aOwner.session.organization.id)
    .insert({ conversationId: answered.id, role: 'visitor', content: 'A question of A' });
  const reply = await Message.query().forOrganization(aOwner.session.organization.id).insert({
    conversationId: answered.id,
    role: 'assistant',
    content: 'An answer to A',
    replyToMessageId: asked.id,
    outcome: 'answer',
  });
  a = {
    assistantMessageId: reply.id,
    testSetId: testSet!.id,
    testQuestionId: testQuestion!.id,
    testRunId: testRun.id,
    ticketId: ticket.id,
    agentUserId: agent.session.user.id,
    usageSubjectId,
    organizationId: aOwner.session.organization.id,
    organizationName: aOwner.session.organization.name,
    apiKeyId: key!.id,
    apiKey: key!.key,
    memberId: await memberIdOf(aOwner, agent.email),
    invitationId: invitation!.id,
    documentId: document!.id,
    conversationId: conversation!.id,
    messageId: posted!.message.id,
  };

  const b = await signUp(api());
  await upgrade(b.session.organization.id);
  const { data: bKey } = await b.client.POST('/v1/api-keys', { body: { name: 'B key' } });
  bTestSetId = (await b.client.POST('/v1/test-sets', { body: { name: 'B set' } })).data!.id;
  credentials['member token'] = () => b.client;
  credentials['API key'] = () => api().client(bKey!.key);
});

async function memberIdOf(owner: Account, email: string): Promise<string> {
  const { data } = await owner.client.GET('/v1/members');
  return data!.items.find((m) => m.email === email.toLowerCase())!.id;
}

describe.each(Object.keys(credentials) as (keyof typeof credentials)[])(
  "organization B's %s",
  (credential) => {
    it.each(ID_ROWS)("gets 404 for %s on organization A's object", async (_name, call) => {
      const { response } = await call(credentials[credential](), a);
      expect(response.status).toBe(404);
    });

    it.each(SCOPE_ROWS)("sees none of organization A's data through %s", async (_name, leaks) => {
      expect(await leaks(credentials[credential](), a)).toEqual([]);
    });
  },
);

describe("organization A's objects after the matrix", () => {
  it('are untouched', async () => {
    expect((await api().client(a.apiKey).GET('/v1/auth/me')).response.status).toBe(200);
    const member = await aOwner.client.GET('/v1/members/{id}', { params: { path: { id: a.memberId } } });
    expect(member.data).toMatchObject({ role: 'agent' });
    const invitation = await aOwner.client.GET('/v1/invitations/{id}', {
      params: { path: { id: a.invitationId } },
    });
    expect(invitation.data).toMatchObject({ status: 'pending' });
    const organization = await aOwner.client.GET('/v1/organization');
    expect(organization.data!.name).toBe(a.organizationName);
    const document = await aOwner.client.GET('/v1/documents/{id}', {
      params: { path: { id: a.documentId } },
    });
    expect(document.response.status).toBe(200);
    const conversation = await aOwner.client.GET('/v1/conversations/{id}', {
      params: { path: { id: a.conversationId } },
    });
    // Only A's own message: B's "Hello from B" never landed.
    expect(conversation.data!.messages.map((m) => m.id)).toEqual([a.messageId]);
    const ticket = await aOwner.client.GET('/v1/tickets/{id}', { params: { path: { id: a.ticketId } } });
    expect(ticket.data).toMatchObject({ status: 'assigned', assigneeUserId: a.agentUserId });
    expect(ticket.data!.events.map((e) => e.type)).toEqual(['created']);
    expect(ticket.data!.conversation.messages).toEqual([]);
    const stored = await Ticket.query().forOrganization(a.organizationId).findById(a.ticketId);
    expect(
      await Message.query().forOrganization(a.organizationId).where('conversationId', stored!.conversationId),
    ).toEqual([]);
    expect(
      await TicketEvent.query().forOrganization(a.organizationId).where('ticketId', a.ticketId),
    ).toHaveLength(1);
    const testSet = await TestSet.query().forOrganization(a.organizationId).findById(a.testSetId);
    expect(testSet).toMatchObject({ name: 'A set' });
    const questions = await TestQuestion.query()
      .forOrganization(a.organizationId)
      .where('testSetId', a.testSetId);
    expect(questions.map((q) => q.question)).toEqual(['How long do refunds take?']);
    expect(
      await TestRun.query().forOrganization(a.organizationId).where('testSetId', a.testSetId),
    ).toHaveLength(1);
    const settings = await aOwner.client.GET('/v1/organization/settings');
    expect(settings.data).toMatchObject({ aiPersona: 'A persona', aiInstructions: '' });
  });
});
