import { Conversation, Document, Message } from '../../src/db/models';
import { consoleAgent } from '../helpers/console';
import { MAX_QUESTIONS_PER_SET } from '../../src/services/test-sets';
import { useTestApi } from '../helpers/api';
import { addMember, PASSWORD, signUp, upgrade, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';

const db = useTestDatabase();
const api = useTestApi(db);

describe('test sets API', () => {
  let owner: Account;
  let refunds: Document;
  let privacy: Document;

  beforeAll(async () => {
    owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    // Documents as rows only: the questions name them, nothing here asks them.
    const scope = owner.session.organization.id;
    refunds = await Document.query()
      .forOrganization(scope)
      .insert({ title: 'Billing, plans and refunds', sourceType: 'upload' });
    privacy = await Document.query()
      .forOrganization(scope)
      .insert({ title: 'Data export and privacy', sourceType: 'upload' });
  });

  async function newSet(name = `Set ${Math.random().toString(36).slice(2, 8)}`) {
    const { data, response } = await owner.client.POST('/v1/test-sets', { body: { name } });
    expect(response.status).toBe(201);
    return data!;
  }

  it('creates, lists, renames and deletes a set; a duplicate name is a 409 problem', async () => {
    const set = await newSet('Refund questions');
    expect(set).toMatchObject({ name: 'Refund questions', description: '' });

    const duplicate = await owner.client.POST('/v1/test-sets', { body: { name: 'Refund questions' } });
    expect(duplicate.response.status).toBe(409);
    expect(duplicate.response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(duplicate.error).toMatchObject({ type: `${api().baseUrl}/problems/conflict` });

    const listed = await owner.client.GET('/v1/test-sets', {
      params: { query: { sort: 'name', limit: 100 } },
    });
    expect(listed.data!.items.map((s) => s.id)).toContain(set.id);

    const renamed = await owner.client.PATCH('/v1/test-sets/{id}', {
      params: { path: { id: set.id } },
      body: { name: 'Refunds', description: 'What customers ask' },
    });
    expect(renamed.data).toMatchObject({ name: 'Refunds', description: 'What customers ask' });

    const detail = await owner.client.GET('/v1/test-sets/{id}', { params: { path: { id: set.id } } });
    expect(detail.data).toMatchObject({ name: 'Refunds', lastRun: null, passRateHistory: [] });

    const deleted = await owner.client.DELETE('/v1/test-sets/{id}', { params: { path: { id: set.id } } });
    expect(deleted.response.status).toBe(204);
    const gone = await owner.client.GET('/v1/test-sets/{id}', { params: { path: { id: set.id } } });
    expect(gone.response.status).toBe(404);
    expect(gone.error).toMatchObject({ type: `${api().baseUrl}/problems/not-found` });
  });

  it('pages through sets with a cursor', async () => {
    for (let i = 0; i < 3; i++) await newSet();
    const first = await owner.client.GET('/v1/test-sets', { params: { query: { limit: 2 } } });
    expect(first.data!.items).toHaveLength(2);
    expect(first.data!.nextCursor).toEqual(expect.any(String));
    const second = await owner.client.GET('/v1/test-sets', {
      params: { query: { limit: 2, cursor: first.data!.nextCursor! } },
    });
    const ids = [...first.data!.items, ...second.data!.items].map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('adds questions naming sources by title or id, edits and deletes them', async () => {
    const set = await newSet();
    const path = { id: set.id };
    const added = await owner.client.POST('/v1/test-sets/{id}/questions', {
      params: { path },
      body: {
        question: 'Can I get my money back?',
        sources: ['billing, plans and refunds'],
        phrases: ['30 days'],
      },
    });
    expect(added.response.status).toBe(201);
    expect(added.data).toMatchObject({
      expectation: 'answer',
      expectedDocuments: [{ documentId: refunds.id, title: 'Billing, plans and refunds' }],
      requiredPhrases: ['30 days'],
    });
    const abstain = await owner.client.POST('/v1/test-sets/{id}/questions', {
      params: { path },
      body: { question: 'What is the capital of Peru?', expectation: 'abstain' },
    });
    expect(abstain.response.status).toBe(201);

    const edited = await owner.client.PATCH('/v1/test-sets/{id}/questions/{questionId}', {
      params: { path: { id: set.id, questionId: added.data!.id } },
      body: { sources: [privacy.id], phrases: [] },
    });
    expect(edited.data).toMatchObject({
      question: 'Can I get my money back?',
      expectedDocuments: [{ documentId: privacy.id }],
      requiredPhrases: [],
    });

    const listed = await owner.client.GET('/v1/test-sets/{id}/questions', { params: { path } });
    expect(listed.data!.items.map((q) => q.id)).toEqual([added.data!.id, abstain.data!.id]);

    const removed = await owner.client.DELETE('/v1/test-sets/{id}/questions/{questionId}', {
      params: { path: { id: set.id, questionId: abstain.data!.id } },
    });
    expect(removed.response.status).toBe(204);
    const again = await owner.client.DELETE('/v1/test-sets/{id}/questions/{questionId}', {
      params: { path: { id: set.id, questionId: abstain.data!.id } },
    });
    expect(again.response.status).toBe(404);
  });

  it('refuses a question with an unknown source or sources on an abstention, naming the field', async () => {
    const set = await newSet();
    const unknown = await owner.client.POST('/v1/test-sets/{id}/questions', {
      params: { path: { id: set.id } },
      body: { question: 'Where is my parcel?', sources: ['Shipping'] },
    });
    expect(unknown.response.status).toBe(422);
    expect(unknown.error).toMatchObject({
      type: `${api().baseUrl}/problems/validation`,
      errors: [{ field: 'body.sources', message: 'no document with the id or title "Shipping"' }],
    });
    const contradiction = await owner.client.POST('/v1/test-sets/{id}/questions', {
      params: { path: { id: set.id } },
      body: { question: 'Refunds?', expectation: 'escalate', phrases: ['30 days'] },
    });
    expect(contradiction.response.status).toBe(422);
    expect(contradiction.error!.errors).toEqual([
      { field: 'body.expectation', message: 'a question that must escalate names no sources or phrases' },
    ]);
    const extra = await owner.client.POST('/v1/test-sets/{id}/questions', {
      params: { path: { id: set.id } },
      // A field the schema does not know (throw-on-extras).
      body: { question: 'Refunds?', ...{ mustAbstain: true } },
    });
    expect(extra.response.status).toBe(422);
  });

  it('imports CSV with quoted fields, all rows or none, naming each bad row', async () => {
    const set = await newSet();
    const path = { id: set.id };
    const bad = await owner.client.POST('/v1/test-sets/{id}/questions/import', {
      params: { path },
      body: {
        format: 'csv',
        content:
          'question,expectation,sources,phrases\n' +
          '"How long do I have to ask for a refund, exactly?",answer,Billing plans and refunds,30 days\n' +
          ',answer,,\n' +
          'Tell me a joke,maybe,,\n',
      },
    });
    expect(bad.response.status).toBe(422);
    expect(bad.error!.errors).toEqual([
      {
        field: 'body.rows[1].sources',
        message: 'no document with the id or title "Billing plans and refunds"',
      },
      { field: 'body.rows[2].question', message: 'is required' },
      { field: 'body.rows[3].expectation', message: 'must be one of answer, abstain, escalate' },
    ]);
    const none = await owner.client.GET('/v1/test-sets/{id}/questions', { params: { path } });
    expect(none.data!.items).toEqual([]);

    const good = await owner.client.POST('/v1/test-sets/{id}/questions/import', {
      params: { path },
      body: {
        format: 'csv',
        content:
          '\uFEFFquestion,expectation,sources,phrases\r\n' +
          '"How long do I have to ask for a refund, exactly?",answer,"Billing, plans and refunds","30 days|refund"\r\n' +
          'I want to talk to a human,escalate,,\r\n',
      },
    });
    expect(good.response.status).toBe(201);
    expect(good.data!.imported).toBe(2);
    expect(good.data!.questions[0]).toMatchObject({
      question: 'How long do I have to ask for a refund, exactly?',
      expectedDocuments: [{ documentId: refunds.id }],
      requiredPhrases: ['30 days', 'refund'],
    });
    expect(good.data!.questions[1]).toMatchObject({ expectation: 'escalate' });
  });

  it('imports JSON and refuses what is not an array of questions', async () => {
    const set = await newSet();
    const path = { id: set.id };
    const notJson = await owner.client.POST('/v1/test-sets/{id}/questions/import', {
      params: { path },
      body: { format: 'json', content: '{"question":' },
    });
    expect(notJson.error).toMatchObject({
      errors: [{ field: 'body.content', message: 'is not valid JSON' }],
    });
    const rows = await owner.client.POST('/v1/test-sets/{id}/questions/import', {
      params: { path },
      body: {
        format: 'json',
        content: JSON.stringify([{ question: 'Export my data?', sources: [privacy.id] }, 'not a question']),
      },
    });
    expect(rows.error!.errors).toEqual([
      { field: 'body.rows[2]', message: 'must be an object with a question' },
    ]);
    const imported = await owner.client.POST('/v1/test-sets/{id}/questions/import', {
      params: { path },
      body: {
        format: 'json',
        content: JSON.stringify([{ question: 'Export my data?', sources: [privacy.id] }]),
      },
    });
    expect(imported.data!.imported).toBe(1);
  });

  it(`holds at most ${MAX_QUESTIONS_PER_SET} questions: a 10,000-row import is refused whole`, async () => {
    const set = await newSet();
    const content =
      'question\n' + Array.from({ length: 10_000 }, (_, i) => `Question number ${i}?`).join('\n');
    const refused = await owner.client.POST('/v1/test-sets/{id}/questions/import', {
      params: { path: { id: set.id } },
      body: { format: 'csv', content },
    });
    expect(refused.response.status).toBe(422);
    expect(refused.error!.detail).toBe(`A test set holds at most ${MAX_QUESTIONS_PER_SET} questions.`);
    const fits = await owner.client.POST('/v1/test-sets/{id}/questions/import', {
      params: { path: { id: set.id } },
      body: {
        format: 'csv',
        content: content
          .split('\n')
          .slice(0, MAX_QUESTIONS_PER_SET + 1)
          .join('\n'),
      },
    });
    expect(fits.data!.imported).toBe(MAX_QUESTIONS_PER_SET);
    const full = await owner.client.POST('/v1/test-sets/{id}/questions', {
      params: { path: { id: set.id } },
      body: { question: 'One more?' },
    });
    expect(full.response.status).toBe(422);
  });

  /** A visitor's question and the assistant's reply, as a chat turn records them. */
  async function turn(question: string, reply: Partial<Message>) {
    const scope = owner.session.organization.id;
    const conversation = await Conversation.query().forOrganization(scope).insert({ visitorId: 'v-promote' });
    const asked = await Message.query()
      .forOrganization(scope)
      .insert({ conversationId: conversation.id, role: 'visitor', content: question });
    return Message.query()
      .forOrganization(scope)
      .insert({ conversationId: conversation.id, role: 'assistant', replyToMessageId: asked.id, ...reply });
  }

  it('promotes a conversation turn: right keeps what it did, wrong names the right source', async () => {
    const set = await newSet();
    const path = { id: set.id };
    const answered = await turn('Can I have my money back?', {
      content: 'Within 30 days.',
      outcome: 'answer',
      citations: [{ documentId: refunds.id, title: refunds.title, url: null, chunkId: '1' }],
    });
    const right = await owner.client.POST('/v1/test-sets/{id}/questions/from-turn', {
      params: { path },
      body: { messageId: answered.id, verdict: 'right' },
    });
    expect(right.response.status).toBe(201);
    expect(right.data).toMatchObject({
      question: 'Can I have my money back?',
      expectation: 'answer',
      expectedDocuments: [{ documentId: refunds.id }],
    });

    const abstained = await turn('Do you sell gift cards?', {
      content: 'I do not know.',
      outcome: 'abstain',
    });
    const kept = await owner.client.POST('/v1/test-sets/{id}/questions/from-turn', {
      params: { path },
      body: { messageId: abstained.id, verdict: 'right' },
    });
    expect(kept.data).toMatchObject({ expectation: 'abstain', expectedDocuments: [] });
    const noSource = await owner.client.POST('/v1/test-sets/{id}/questions/from-turn', {
      params: { path },
      body: { messageId: abstained.id, verdict: 'wrong' },
    });
    expect(noSource.error!.errors).toEqual([
      { field: 'body.source', message: 'is required when the reply was wrong' },
    ]);
    const wrong = await owner.client.POST('/v1/test-sets/{id}/questions/from-turn', {
      params: { path },
      body: { messageId: abstained.id, verdict: 'wrong', source: 'Data export and privacy' },
    });
    expect(wrong.data).toMatchObject({
      expectation: 'answer',
      expectedDocuments: [{ documentId: privacy.id }],
    });

    const quota = await turn('Hello?', { content: 'Limit reached.', outcome: 'quota_exceeded' });
    const refused = await owner.client.POST('/v1/test-sets/{id}/questions/from-turn', {
      params: { path },
      body: { messageId: quota.id, verdict: 'right' },
    });
    expect(refused.response.status).toBe(409);
    // The visitor's own message is not a reply.
    const visitor = await owner.client.POST('/v1/test-sets/{id}/questions/from-turn', {
      params: { path },
      body: { messageId: answered.replyToMessageId!, verdict: 'right' },
    });
    expect(visitor.response.status).toBe(404);
  });

  it("offers the promotion under the assistant's replies in the console", async () => {
    const set = await newSet('Promoted in the console');
    const answered = await turn('Where are my invoices?', { content: 'In Settings.', outcome: 'answer' });
    const agent = consoleAgent(api());
    await agent.signIn(owner.email, PASSWORD);
    const page = await agent.page(`/console/conversations/${answered.conversationId}`);
    expect(page.body).toContain('Add to an answer test');
    expect(page.body).toContain(`value="${answered.id}"`);
    const added = await agent.post(
      '/console/test-sets/from-turn',
      { setId: set.id, messageId: answered.id, verdict: 'wrong', source: 'Billing, plans and refunds' },
      { htmx: true },
    );
    expect(added.status).toBe(200);
    expect(added.body).toContain('Added to');
    const unknown = await agent.post(
      '/console/test-sets/from-turn',
      { setId: set.id, messageId: answered.id, verdict: 'wrong', source: 'Shipping' },
      { htmx: true },
    );
    expect(unknown.status).toBe(422);
    expect(unknown.body).toContain('no document with the id or title &quot;Shipping&quot;');
    const questions = await owner.client.GET('/v1/test-sets/{id}/questions', {
      params: { path: { id: set.id } },
    });
    expect(questions.data!.items).toEqual([
      expect.objectContaining({
        question: 'Where are my invoices?',
        expectedDocuments: [{ documentId: refunds.id, title: refunds.title }],
      }),
    ]);
  });

  it('refuses to run a set without questions', async () => {
    const set = await newSet();
    const run = await owner.client.POST('/v1/test-sets/{id}/runs', { params: { path: { id: set.id } } });
    expect(run.response.status).toBe(409);
    expect(run.error).toMatchObject({ type: `${api().baseUrl}/problems/conflict` });
  });

  it('lets agents read sets but not change or run them', async () => {
    const set = await newSet();
    const agent = await addMember(api(), owner, 'agent');
    const read = await agent.client.GET('/v1/test-sets/{id}', { params: { path: { id: set.id } } });
    expect(read.response.status).toBe(200);
    const write = await agent.client.POST('/v1/test-sets/{id}/questions', {
      params: { path: { id: set.id } },
      body: { question: 'Refunds?' },
    });
    expect(write.response.status).toBe(403);
    const run = await agent.client.POST('/v1/test-sets/{id}/runs', { params: { path: { id: set.id } } });
    expect(run.response.status).toBe(403);
  });

  it('gives API keys access by scope', async () => {
    const set = await newSet();
    const { data: key } = await owner.client.POST('/v1/api-keys', {
      body: { name: 'reader', scopes: ['test_sets:read'] },
    });
    const reader = api().client(key!.key);
    expect(
      (await reader.GET('/v1/test-sets/{id}', { params: { path: { id: set.id } } })).response.status,
    ).toBe(200);
    const write = await reader.PATCH('/v1/test-sets/{id}', {
      params: { path: { id: set.id } },
      body: { name: 'x' },
    });
    expect(write.response.status).toBe(403);
  });
});
