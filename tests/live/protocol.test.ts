import { randomUUID } from 'node:crypto';
import { Message, OrganizationSettings, type Organization } from '../../src/db/models';
import { CLOSE } from '../../src/live/protocol';
import { useTestApi } from '../helpers/api';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { uploaded, waitForDocument } from '../helpers/knowledge';
import { useTestWorker } from '../helpers/temporal';
import { VisitorSocket, widgetSession } from '../helpers/widget';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, {
  taskQueue: () => worker().taskQueue,
  configure: (config) => ({ ...config, widget: { ...config.widget, messagesPerMinute: 6 } }),
});

const SITE = 'https://www.shop.example';
const ARTICLE = '# Delivery\n\nOrders ship within two working days. Delivery in the EU takes 3 to 5 days.\n';

describe('widget protocol', () => {
  let organization: Organization;

  beforeAll(async () => {
    organization = await buildOrganization({ plan: 'pro' });
    await OrganizationSettings.query()
      .forOrganization(organization.id)
      .patch({ allowedOrigins: [SITE] });
    const document = await api().services.documents.upload(
      organization.id,
      uploaded('delivery.md', Buffer.from(ARTICLE)),
    );
    await waitForDocument(organization.id, document.id);
  });

  async function visitor(origin = SITE) {
    const session = await widgetSession(api().baseUrl, organization.widgetKey, origin);
    expect(session.status).toBe(200);
    const socket = await VisitorSocket.connect(api().baseUrl, organization.widgetKey, origin);
    socket.send({ type: 'hello', token: session.data.token });
    const welcome = await socket.next('welcome');
    return { socket, session: session.data, welcome };
  }

  it('answers a message: ack, assistant typing, streamed tokens, then the final message with citations', async () => {
    const { socket, welcome } = await visitor();
    expect(welcome).toMatchObject({ protocol: 1, messages: [], unread: 0, handledBy: 'assistant' });

    socket.send({ type: 'message', clientMessageId: 'c-1', content: 'How long does EU delivery take?' });
    const ack = await socket.next('ack');
    expect(ack.clientMessageId).toBe('c-1');
    await socket.next('typing', (f) => f.who === 'assistant' && f.active);
    const reply = await socket.next('message', (f) => f.message.role === 'assistant');
    const tokens = socket.frames.filter((f) => f.type === 'token' && f.replyTo === ack.messageId);
    expect(tokens.length).toBeGreaterThan(2);
    expect(tokens.map((t) => (t.type === 'token' ? t.delta : '')).join('')).toBe(reply.message.content);
    expect(reply.message.content).toContain('3 to 5 days');
    expect(reply.message.citations[0]).toMatchObject({ title: 'Delivery' });
    expect(await socket.next('unread', (f) => f.count === 1)).toBeDefined();

    socket.send({ type: 'read', messageId: reply.message.id });
    await socket.next('unread', (f) => f.count === 0);
    socket.close();
  });

  it('resumes after a reconnect in the middle of a stream without losing or repeating a message', async () => {
    const first = await visitor();
    first.socket.send({ type: 'message', clientMessageId: 'r-1', content: 'When do orders ship?' });
    const ack = await first.socket.next('ack');
    await first.socket.next('token');
    first.socket.ws.terminate(); // the connection drops mid-stream

    const again = await VisitorSocket.connect(api().baseUrl, organization.widgetKey, SITE);
    again.send({ type: 'hello', token: first.session.token, lastMessageId: ack.messageId });
    const welcome = await again.next('welcome');
    const assistant =
      welcome.messages.find((m) => m.role === 'assistant') ?? (await again.next('message')).message;
    expect(assistant.replyToMessageId).toBe(ack.messageId);
    // The visitor's own message is not sent again; the reply arrives exactly once.
    expect(welcome.messages.map((m) => m.id)).not.toContain(ack.messageId);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const replies = [
      ...welcome.messages,
      ...again.frames.flatMap((f) => (f.type === 'message' ? [f.message] : [])),
    ].filter((m) => m.role === 'assistant');
    expect(replies.map((m) => m.id)).toEqual([assistant.id]);

    // A returning visitor gets the whole history back.
    const returning = await VisitorSocket.connect(api().baseUrl, organization.widgetKey, SITE);
    returning.send({ type: 'hello', token: first.session.token });
    const history = await returning.next('welcome');
    expect(history.messages.map((m) => m.role)).toEqual(['visitor', 'assistant']);
    again.close();
    returning.close();
  });

  it('treats a repeated client message id as the same message, answered once', async () => {
    const { socket, welcome } = await visitor();
    socket.send({ type: 'message', clientMessageId: 'dup', content: 'Do you deliver in the EU?' });
    socket.send({ type: 'message', clientMessageId: 'dup', content: 'Do you deliver in the EU?' });
    await socket.next('message', (f) => f.message.role === 'assistant');
    const acks = socket.frames.filter((f) => f.type === 'ack');
    expect(acks).toHaveLength(2);
    expect(new Set(acks.map((a) => (a.type === 'ack' ? a.messageId : ''))).size).toBe(1);
    const stored = await Message.query()
      .forOrganization(organization.id)
      .where('conversationId', welcome.conversationId);
    expect(stored.map((m) => m.role).sort()).toEqual(['assistant', 'visitor']);
    socket.close();
  });

  it('refuses a disallowed origin and a wrong widget key with a clear reason', async () => {
    await expect(
      VisitorSocket.connect(api().baseUrl, organization.widgetKey, 'https://evil.example'),
    ).rejects.toMatchObject({
      status: 403,
      body: expect.stringContaining('origin_not_allowed') as string,
    });
    await expect(VisitorSocket.connect(api().baseUrl, 'pk_nope', SITE)).rejects.toMatchObject({
      status: 403,
      body: expect.stringContaining('unknown_widget') as string,
    });
    const session = await widgetSession(api().baseUrl, organization.widgetKey, 'https://evil.example');
    expect(session.status).toBe(403);
    expect(session.data).toMatchObject({
      type: `${api().baseUrl}/problems/forbidden`,
      detail: expect.stringContaining('evil.example') as string,
    });
  });

  it('closes on a malformed frame (4400), an oversized frame (1009) and a forged token (4401)', async () => {
    const malformed = await VisitorSocket.connect(api().baseUrl, organization.widgetKey, SITE);
    malformed.ws.send('{not json');
    expect((await malformed.waitForClose()).code).toBe(CLOSE.badFrame);

    const unknown = await VisitorSocket.connect(api().baseUrl, organization.widgetKey, SITE);
    unknown.send({ type: 'hello', token: 'x', extra: true });
    expect((await unknown.waitForClose()).code).toBe(CLOSE.badFrame);

    const oversized = await VisitorSocket.connect(api().baseUrl, organization.widgetKey, SITE);
    oversized.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(100_000) }));
    expect((await oversized.waitForClose()).code).toBe(CLOSE.tooLarge);

    const forged = await VisitorSocket.connect(api().baseUrl, organization.widgetKey, SITE);
    forged.send({ type: 'hello', token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
    expect((await forged.waitForClose()).code).toBe(CLOSE.unauthorized);
  });

  it('rate-limits a flood of messages per visitor', async () => {
    const { socket } = await visitor();
    for (let i = 0; i < 8; i++)
      socket.send({ type: 'message', clientMessageId: `flood-${i}`, content: `hello ${i}` });
    const limited = await socket.next('error', (f) => f.code === 'rate_limited');
    expect(limited.message).toMatch(/Too many messages/);
    expect(socket.frames.filter((f) => f.type === 'ack')).toHaveLength(6);
    socket.close();
  });

  it('stores HTML as plain text', async () => {
    const { socket } = await visitor();
    const payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    socket.send({ type: 'message', clientMessageId: 'xss', content: payload });
    const ack = await socket.next('ack');
    const stored = await Message.query().forOrganization(organization.id).findById(ack.messageId);
    expect(stored!.content).toBe(payload);
    socket.close();
  });

  it('works over the HTTP fallback: frames POSTed, events streamed', async () => {
    const { data: session } = await widgetSession(api().baseUrl, organization.widgetKey, SITE);
    const controller = new AbortController();
    const events = await fetch(
      `${api().baseUrl}/widget/v1/events?key=${organization.widgetKey}&token=${encodeURIComponent(session.token)}`,
      { headers: { origin: SITE }, signal: controller.signal },
    );
    expect(events.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = events.body!.getReader();
    let received = '';
    const until = async (text: string) => {
      while (!received.includes(text)) received += new TextDecoder().decode((await reader.read()).value);
    };
    await until('"welcome"');

    const posted = await fetch(`${api().baseUrl}/widget/v1/frames`, {
      method: 'POST',
      headers: {
        origin: SITE,
        'content-type': 'application/json',
        authorization: `Bearer ${session.token}`,
        'x-widget-key': organization.widgetKey,
      },
      body: JSON.stringify({
        type: 'message',
        clientMessageId: randomUUID(),
        content: 'When do orders ship?',
      }),
    });
    expect(posted.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(await posted.json()).toMatchObject({ frames: [{ type: 'ack' }] });
    await until('"role":"assistant"');
    expect(received).toContain('"type":"token"');
    controller.abort();
  });

  it('accepts images and PDFs checked by content, and serves them inert', async () => {
    const { data: session } = await widgetSession(api().baseUrl, organization.widgetKey, SITE);
    const headers = {
      origin: SITE,
      authorization: `Bearer ${session.token}`,
      'x-widget-key': organization.widgetKey,
    };
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    );
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)]), '<b>screen</b>.png');
    const uploadedFile = await fetch(`${api().baseUrl}/widget/v1/attachments`, {
      method: 'POST',
      headers,
      body: form,
    });
    expect(uploadedFile.status).toBe(201);
    const attachment = (await uploadedFile.json()) as { id: string; contentType: string; filename: string };
    expect(attachment.contentType).toBe('image/png');
    expect(attachment.filename).toMatch(/^[\w. -]+\.png$/); // markup stripped from the stored name

    const served = await fetch(`${api().baseUrl}/widget/v1/attachments/${attachment.id}`, { headers });
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('content-security-policy')).toContain('sandbox');

    const fake = new FormData();
    fake.append('file', new Blob(['<html><script>alert(1)</script></html>']), 'photo.png');
    const refused = await fetch(`${api().baseUrl}/widget/v1/attachments`, {
      method: 'POST',
      headers,
      body: fake,
    });
    expect(refused.status).toBe(422);
  });
});
