import { replies } from '../../src/domain/replies';
import { useTestApi } from '../helpers/api';
import { signUp, upgrade, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });

interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

/**
 * Posts a message with `Accept: text/event-stream` and reads the server-sent events as they come,
 * with a real HTTP client; `stopAfter` disconnects after the first event of that name.
 */
async function stream(
  key: string,
  conversationId: string,
  content: string,
  stopAfter?: string,
): Promise<{ status: number; contentType: string | null; events: StreamEvent[]; body?: unknown }> {
  const abort = new AbortController();
  const response = await fetch(`${api().baseUrl}/v1/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${key}`,
      Accept: 'text/event-stream',
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ content }),
    signal: abort.signal,
  });
  const contentType = response.headers.get('content-type');
  if (!contentType?.startsWith('text/event-stream')) {
    return { status: response.status, contentType, events: [], body: await response.json() };
  }
  const events: StreamEvent[] = [];
  const decoder = new TextDecoder();
  let text = '';
  const reader = response.body!.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!event || data === undefined) continue; // keepalive comments
      events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
      if (event === stopAfter) {
        abort.abort();
        await reader.cancel().catch(() => undefined);
        return { status: response.status, contentType, events };
      }
    }
  }
  return { status: response.status, contentType, events };
}

const names = (events: StreamEvent[]) => [...new Set(events.map((e) => e.event))];

describe('streamed answers over REST', () => {
  let owner: Account;
  let key: string;
  beforeAll(async () => {
    owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    key = (await owner.client.POST('/v1/api-keys', { body: { name: 'streaming' } })).data!.key;
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

  /** A conversation created over REST, with the API key. */
  const start = async () =>
    (
      await api()
        .client(key)
        .POST('/v1/conversations', { body: { visitorName: 'Vic' } })
    ).data!;

  it('streams the tokens of the reply, then the stored message whose content they make up', async () => {
    const conversation = await start();
    const { status, contentType, events } = await stream(
      key,
      conversation.id,
      'How long does delivery take in the EU?',
    );
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/event-stream/);
    expect(events[0]).toMatchObject({
      event: 'accepted',
      data: { message: { role: 'visitor', conversationId: conversation.id } },
    });
    expect(names(events)).toEqual(['accepted', 'token', 'message']);
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.map((t) => t.data.seq)).toEqual(tokens.map((_, i) => i));
    const final = events.at(-1)!.data as {
      turn: { outcome: string; reply: { content: string; citations: { title: string }[] } };
    };
    expect(final.turn.outcome).toBe('answer');
    expect(final.turn.reply.content).toContain('3 to 5 days');
    expect(tokens.map((t) => t.data.delta).join('')).toBe(final.turn.reply.content);
    expect(final.turn.reply.citations[0]).toMatchObject({ title: 'Shipping' });
  });

  it('ends the stream with the abstention when the documents do not answer', async () => {
    const conversation = await start();
    const { events } = await stream(key, conversation.id, 'What is the meaning of life?');
    expect(names(events)).toEqual(['accepted', 'message']);
    expect(events[1]!.data).toMatchObject({
      turn: { status: 'completed', outcome: 'abstain', reply: { content: replies.abstain } },
    });
  });

  it('ends the stream with the escalation when the visitor asks for a person', async () => {
    const conversation = await start();
    const { events } = await stream(key, conversation.id, 'I want to talk to a human please');
    expect(names(events)).toEqual(['accepted', 'message']);
    expect(events[1]!.data).toMatchObject({
      turn: {
        outcome: 'escalate',
        reasons: ['visitor asked for a human'],
        reply: { role: 'assistant', outcome: 'escalate' },
      },
    });
  });

  it("answers 404 for another organization's conversation, before any stream", async () => {
    const other = await signUp(api());
    const theirs = (await other.client.POST('/v1/conversations', { body: {} })).data!;
    const { status, contentType, body } = await stream(key, theirs.id, 'When do orders ship?');
    expect(status).toBe(404);
    expect(contentType).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({ type: `${api().baseUrl}/problems/not-found` });
    const detail = await other.client.GET('/v1/conversations/{id}', { params: { path: { id: theirs.id } } });
    expect(detail.data!.messages).toEqual([]);
  });

  it('refuses an invalid message with its problem, not a stream', async () => {
    const conversation = await start();
    const { status, body } = await stream(key, conversation.id, '   ');
    expect(status).toBe(422);
    expect(body).toMatchObject({ errors: [{ field: 'body.content', message: 'must not be empty' }] });
  });

  it('stores the reply of a turn whose client disconnected mid-stream', async () => {
    const conversation = await start();
    const { events } = await stream(key, conversation.id, 'When do orders ship?', 'token');
    expect(names(events)).toEqual(['accepted', 'token']);
    const workflowId = (events[0]!.data as { workflowId: string }).workflowId;
    await worker().client.workflow.getHandle(workflowId).result();
    const detail = await owner.client.GET('/v1/conversations/{id}', {
      params: { path: { id: conversation.id } },
    });
    expect(detail.data!.messages.map((m) => m.role)).toEqual(['visitor', 'assistant']);
    expect(detail.data!.messages[1]!.content).toContain('two working days');
  });

  it('still answers JSON to clients that do not ask for a stream', async () => {
    const conversation = await start();
    const posted = await api()
      .client(key)
      .POST('/v1/conversations/{id}/messages', {
        params: { path: { id: conversation.id }, query: { wait: true } },
        body: { content: 'When do orders ship?' },
      });
    expect(posted.response.status).toBe(201);
    expect(posted.data!.turn.outcome).toBe('answer');
  });
});
