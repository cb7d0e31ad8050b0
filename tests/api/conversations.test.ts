import { Conversation } from '../../src/db/models';
import { replies } from '../../src/domain/replies';
import { useTestApi } from '../helpers/api';
import { signUp, upgrade, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });

describe('conversations API', () => {
  let owner: Account;
  beforeAll(async () => {
    owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const { data } = await owner.client.POST('/v1/documents', {
      body: { url: 'https://help.example.com/never-fetched', type: 'url' },
    });
    expect(data).toBeDefined();
    const article =
      '# Shipping\n\nOrders ship within two working days. Delivery in the EU takes 3 to 5 days.\n';
    const form = new FormData();
    form.append('file', new Blob([article]), 'shipping.md');
    const uploaded = await owner.client.POST('/v1/documents/upload', {
      body: { file: '' },
      bodySerializer: () => form,
    });
    for (let i = 0; i < 300; i++) {
      const { data: doc } = await owner.client.GET('/v1/documents/{id}', {
        params: { path: { id: uploaded.data!.id } },
      });
      if (doc?.status === 'ready') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  const start = async () =>
    (
      await owner.client.POST('/v1/conversations', {
        body: { visitorName: 'Vic', visitorEmail: 'vic@example.com' },
      })
    ).data!;

  it('answers a visitor message with a cited reply when asked to wait', async () => {
    const conversation = await start();
    const posted = await owner.client.POST('/v1/conversations/{id}/messages', {
      params: { path: { id: conversation.id }, query: { wait: true } },
      body: { content: 'How long does delivery take in the EU?' },
    });
    expect(posted.response.status).toBe(201);
    expect(posted.data!.turn).toMatchObject({
      status: 'completed',
      outcome: 'answer',
      workflowId: expect.stringMatching(/^turn-/) as string,
    });
    expect(posted.data!.turn.reply!.content).toContain('3 to 5 days');
    expect(posted.data!.turn.reply!.citations[0]).toMatchObject({ title: 'Shipping' });

    const detail = await owner.client.GET('/v1/conversations/{id}', {
      params: { path: { id: conversation.id } },
    });
    expect(detail.data!.messages.map((m) => m.role)).toEqual(['visitor', 'assistant']);
    expect(detail.data!.messages[1]!.retrievalTrace!.hits.length).toBeGreaterThan(0);
    expect(detail.data!.messages[0]!.sentiment).not.toBeNull();
  });

  it('accepts a message without waiting and answers it in the background', async () => {
    const conversation = await start();
    const posted = await owner.client.POST('/v1/conversations/{id}/messages', {
      params: { path: { id: conversation.id } },
      body: { content: 'What is the meaning of life?' },
    });
    expect(posted.response.status).toBe(202);
    expect(posted.data!.turn.status).toBe('pending');
    await worker().client.workflow.getHandle(posted.data!.turn.workflowId).result();
    const detail = await owner.client.GET('/v1/conversations/{id}', {
      params: { path: { id: conversation.id } },
    });
    expect(detail.data!.messages[1]).toMatchObject({
      role: 'assistant',
      outcome: 'abstain',
      content: replies.abstain,
    });
  });

  it('treats a repeated client message id as the same message', async () => {
    const conversation = await start();
    const send = () =>
      owner.client.POST('/v1/conversations/{id}/messages', {
        params: { path: { id: conversation.id }, query: { wait: true } },
        body: { content: 'When do orders ship?', clientMessageId: 'retry-1' },
      });
    const first = await send();
    const again = await send();
    expect(again.data!.message.id).toBe(first.data!.message.id);
    expect(again.data!.turn.reply!.id).toBe(first.data!.turn.reply!.id);
  });

  it('rejects empty and over-long messages with field errors', async () => {
    const conversation = await start();
    const empty = await owner.client.POST('/v1/conversations/{id}/messages', {
      params: { path: { id: conversation.id } },
      body: { content: '   ' },
    });
    expect(empty.response.status).toBe(422);
    expect(empty.error).toMatchObject({ errors: [{ field: 'body.content', message: 'must not be empty' }] });
    const long = await owner.client.POST('/v1/conversations/{id}/messages', {
      params: { path: { id: conversation.id } },
      body: { content: 'x'.repeat(api().config.chat.maxQuestionChars + 1) },
    });
    expect(long.response.status).toBe(422);
  });

  it('lists conversations with filters', async () => {
    const listed = await owner.client.GET('/v1/conversations', {
      params: { query: { status: 'open', limit: 100 } },
    });
    expect(listed.data!.items.length).toBeGreaterThanOrEqual(3);
    expect(listed.data!.items.every((c) => c.status === 'open')).toBe(true);
    const bad = await owner.client.GET('/v1/conversations', { params: { query: { sort: 'size' as never } } });
    expect(bad.response.status).toBe(422);
  });

  it('pages by last message through conversations nobody wrote in, which sort by when they began', async () => {
    const other = await signUp(api());
    const organizationId = other.session.organization.id;
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 12, minute));
    const rows = [
      { visitorId: 'wrote-early', createdAt: at(0), lastMessageAt: at(10) },
      { visitorId: 'empty-1', createdAt: at(1), lastMessageAt: null },
      { visitorId: 'wrote-late', createdAt: at(2), lastMessageAt: at(30) },
      { visitorId: 'empty-2', createdAt: at(20), lastMessageAt: null },
      { visitorId: 'empty-3', createdAt: at(40), lastMessageAt: null },
    ];
    for (const row of rows) await Conversation.query().forOrganization(organizationId).insert(row);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const { data } = await other.client.GET('/v1/conversations', {
        params: { query: { sort: '-lastMessageAt', limit: 2, ...(cursor ? { cursor } : {}) } },
      });
      seen.push(...data!.items.map((c) => c.visitorId));
      cursor = data!.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['empty-3', 'wrote-late', 'empty-2', 'wrote-early', 'empty-1']);
  });
});
