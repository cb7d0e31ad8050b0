import { randomUUID } from 'node:crypto';
import { Conversation, Message, type Organization } from '../../src/db/models';
import { publish } from '../../src/lib/events';
import { createLogger } from '../../src/lib/logger';
import { EventBus } from '../../src/live/event-bus';
import type { ServerFrame } from '../../src/live/protocol';
import { VisitorConnection, VisitorLimits } from '../../src/live/visitor-connection';
import { useTestApi } from '../helpers/api';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { eventually } from '../helpers/tickets';

const db = useTestDatabase();
const api = useTestApi(db);

/**
 * The API's LISTEN connection drops (PostgreSQL restarted, a proxy timed out): a reply stored before
 * it is back announces itself to nobody. An open visitor connection catches up once it is.
 */
describe('live events across a lost LISTEN connection', () => {
  let organization: Organization;
  let bus: EventBus;
  // Named, so the test can end this bus's connection and no other.
  const applicationName = `parley-test-bus-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    organization = await buildOrganization({ plan: 'pro' });
    bus = new EventBus(
      `${api().config.database.url}?application_name=${applicationName}`,
      createLogger({ level: 'silent', name: 'bus-test' }),
    );
    await bus.start();
  });
  afterAll(async () => {
    await bus.stop();
  });

  it('sends the visitor the messages stored while the bus was reconnecting', async () => {
    const conversation = await Conversation.query()
      .forOrganization(organization.id)
      .insert({ visitorId: `visitor-${randomUUID()}` });
    const identity = {
      organizationId: organization.id,
      visitorId: conversation.visitorId,
      conversationId: conversation.id,
    };
    const frames: ServerFrame[] = [];
    const deps = {
      visitors: api().services.live.visitors,
      bus,
      logger: createLogger({ level: 'silent', name: 'bus-test' }),
      limits: new VisitorLimits({
        messagesPerMinute: 20,
        sessionsPerIpPerMinute: 10,
        sessionsPerKeyPerMinute: 120,
      }),
    };
    const connection = new VisitorConnection(deps, identity, (frame) => frames.push(frame));
    await connection.open();
    expect(frames.map((f) => f.type)).toEqual(['welcome']);

    await db().raw('select pg_terminate_backend(pid) from pg_stat_activity where application_name = ?', [
      applicationName,
    ]);
    await eventually(
      () => Promise.resolve(bus.listening),
      (listening) => !listening,
      'the bus to notice',
    );
    // Stored and announced while no LISTEN connection is there to hear it.
    const reply = await Message.query()
      .forOrganization(organization.id)
      .insert({ conversationId: conversation.id, role: 'agent', content: 'We are on it.' })
      .returning('*');
    await publish(db(), {
      type: 'message',
      organizationId: organization.id,
      conversationId: conversation.id,
      messageId: reply.id,
    });

    const delivered = await eventually(
      () => Promise.resolve(frames.flatMap((f) => (f.type === 'message' ? [f.message.id] : []))),
      (messages) => messages.length > 0,
      'the missed message',
      10_000,
    );
    expect(delivered).toEqual([reply.id]);
    // The unread count follows the message once it is counted (a query of its own).
    const last = await eventually(
      () => Promise.resolve(frames.at(-1)),
      (frame) => frame?.type === 'unread',
      'the unread count',
      10_000,
    );
    expect(last).toEqual({ type: 'unread', count: 1 });
    connection.close();
  });
});
