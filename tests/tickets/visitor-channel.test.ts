import { Client as PgClient } from 'pg';
import { loadConfig } from '../../src/config';
import { Organization } from '../../src/db/models';
import { replies } from '../../src/domain/replies';
import { EVENTS_CHANNEL, type ParleyEvent } from '../../src/lib/events';
import { useTestApi } from '../helpers/api';
import { signUp, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';
import { eventOf, eventually, ticketsOf } from '../helpers/tickets';
import { VisitorSocket, widgetSession } from '../helpers/widget';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });

const SITE = 'https://www.shop.example';

describe("agents' replies and notes on the visitor's live channel", () => {
  let owner: Account;
  let widgetKey: string;
  let listener: PgClient;
  const events: ParleyEvent[] = [];

  beforeAll(async () => {
    owner = await signUp(api());
    widgetKey = (await Organization.query().findById(owner.session.organization.id))!.widgetKey;
    listener = new PgClient({ connectionString: loadConfig().database.url });
    await listener.connect();
    listener.on('notification', (n) => events.push(JSON.parse(n.payload!) as ParleyEvent));
    await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
  });
  afterAll(async () => {
    await listener.end();
  });

  it('delivers the reply live and never the internal note, over the socket, the history or the API', async () => {
    const session = await widgetSession(api().baseUrl, widgetKey, SITE);
    const socket = await VisitorSocket.connect(api().baseUrl, widgetKey, SITE);
    socket.send({ type: 'hello', token: session.data.token });
    await socket.next('welcome');
    socket.send({ type: 'escalate', clientMessageId: 'human-1' });
    await socket.next(
      'message',
      (f) => f.message.role === 'assistant' && f.message.content === replies.escalated,
    );
    const organizationId = owner.session.organization.id;
    const [ticket] = await eventually(
      () => ticketsOf(organizationId, session.data.conversationId),
      (found) => found.length === 1,
      'the ticket',
    );
    await eventOf(organizationId, ticket!.id, 'assigned');

    const NOTE = 'Internal: this customer was refunded twice already.';
    const note = await owner.client.POST('/v1/tickets/{id}/notes', {
      params: { path: { id: ticket!.id } },
      body: { content: NOTE },
    });
    expect(note.response.status).toBe(201);
    const reply = await owner.client.POST('/v1/tickets/{id}/replies', {
      params: { path: { id: ticket!.id } },
      body: { content: 'Hello, I am Dana. Let me look into your order.' },
    });
    const live = await socket.next('message', (f) => f.message.role === 'agent');
    expect(live.message).toMatchObject({
      id: reply.data!.message.id,
      content: 'Hello, I am Dana. Let me look into your order.',
    });

    // Frames arrive in order: the note, written before the reply, would have come first.
    expect(JSON.stringify(socket.frames)).not.toContain(NOTE);
    expect(events.some((e) => e.type === 'message' && e.messageId === note.data!.message.id)).toBe(false);
    expect(events.some((e) => e.type === 'message' && e.messageId === reply.data!.message.id)).toBe(true);
    socket.close();

    const again = await VisitorSocket.connect(api().baseUrl, widgetKey, SITE);
    again.send({ type: 'hello', token: session.data.token });
    const welcome = await again.next('welcome');
    expect(welcome.handledBy).toBe('agent');
    expect(welcome.messages.map((m) => m.content)).toContain(
      'Hello, I am Dana. Let me look into your order.',
    );
    expect(JSON.stringify(welcome.messages)).not.toContain(NOTE);
    again.close();

    const conversation = await owner.client.GET('/v1/conversations/{id}', {
      params: { path: { id: session.data.conversationId } },
    });
    expect(JSON.stringify(conversation.data)).not.toContain(NOTE);
    const detail = await owner.client.GET('/v1/tickets/{id}', { params: { path: { id: ticket!.id } } });
    expect(detail.data!.events.find((e) => e.type === 'note')).toMatchObject({
      actorUserId: owner.session.user.id,
      data: { content: NOTE, messageId: note.data!.message.id },
    });
    expect(JSON.stringify(detail.data!.conversation)).not.toContain(NOTE);
  });
});
