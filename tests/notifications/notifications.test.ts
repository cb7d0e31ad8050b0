import { visitorActivitySignal, ticketWorkflowId } from '../../src/workflows/contracts';
import { EmailDelivery, Membership, Notification, Ticket } from '../../src/db/models';
import { useTestApi } from '../helpers/api';
import { PASSWORD, addMember, signUp, upgrade, type Account } from '../helpers/accounts';
import { consoleAgent } from '../helpers/console';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';
import { eventually, HUMAN_PLEASE, ticketsOf, visitorSays } from '../helpers/tickets';

/**
 * Members are told when a visitor needs them, end to end: a real chat turn escalates, the ticket's
 * workflow notifies, the notification's email goes through its delivery workflow to a real SMTP peer,
 * and the console lists, counts and marks the notifications of the signed-in member only.
 */

const db = useTestDatabase();
// The worker's emails (the notifications') go to its own SMTP peer, worker().mailbox.
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });

const notificationsOf = async (organizationId: string, userId: string): Promise<Notification[]> =>
  await Notification.query().forOrganization(organizationId).where('userId', userId).orderBy('createdAt');

const deliveriesOf = async (organizationId: string, notificationIds: string[]): Promise<EmailDelivery[]> =>
  await EmailDelivery.query().forOrganization(organizationId).whereIn('notificationId', notificationIds);

async function escalate(account: Account) {
  const conversation = (await account.client.POST('/v1/conversations', { body: {} })).data!;
  const said = await visitorSays(account.client, conversation.id, HUMAN_PLEASE);
  expect(said.turn.outcome).toBe('escalate');
  const organizationId = account.session.organization.id;
  const [ticket] = await eventually(
    () => ticketsOf(organizationId, conversation.id),
    (found) => found.length === 1,
    'the ticket',
  );
  return { conversation, ticket: ticket!, organizationId, messageId: said.message.id };
}

describe('notifications', () => {
  it('tells the assignee of an escalated ticket once, by email with a link to it, and again when the visitor writes', async () => {
    const owner = await signUp(api());
    const ownerId = owner.session.user.id;
    const { conversation, ticket, organizationId, messageId } = await escalate(owner);

    const [notification] = await eventually(
      () => notificationsOf(organizationId, ownerId),
      (rows) => rows.length === 1,
      'the escalation notification',
    );
    expect(notification).toMatchObject({ kind: 'escalation', ticketId: ticket.id, readAt: null });
    expect(notification!.title).toMatch(/^Ticket #\d+: a visitor asks for a person$/);
    expect(notification!.body).toContain(HUMAN_PLEASE);
    const mail = await worker().mailbox.waitFor(owner.email, /a visitor asks for a person/, 20_000);
    // The worker's PUBLIC_URL: where members reach the console.
    const publicUrl = worker().dependencies.emailLinks.publicUrl.replace(/\/+$/, '');
    expect(mail.text).toContain(`${publicUrl}/console/tickets/${ticket.id}`);
    expect((await Ticket.query().forOrganization(organizationId).findById(ticket.id))!.assigneeUserId).toBe(
      ownerId,
    );

    // The workflow hears the same escalation again (a retried signal): nobody is told twice.
    await worker()
      .client.workflow.getHandle(ticketWorkflowId(ticket.id))
      .signal(visitorActivitySignal, { kind: 'escalated', messageId });
    const delivered = await eventually(
      () => deliveriesOf(organizationId, [notification!.id]),
      (rows) => rows.length === 1 && rows[0]!.status === 'sent',
      'the email sent',
    );
    expect(delivered[0]).toMatchObject({ kind: 'notification', recipient: owner.email, attempts: 1 });

    // The visitor writes on the ticket assigned to the owner.
    const again = await visitorSays(owner.client, conversation.id, 'Hello? Is anyone there?');
    expect(again.turn.outcome).toBe('handed_off');
    const rows = await eventually(
      () => notificationsOf(organizationId, ownerId),
      (found) => found.length === 2,
      'the visitor-message notification',
    );
    expect(rows[1]).toMatchObject({ kind: 'visitor_message', ticketId: ticket.id });
    expect(rows[1]!.body).toContain('Is anyone there?');
    await worker().mailbox.waitFor(owner.email, /the visitor wrote again/, 20_000);
    expect(worker().mailbox.messages.filter((m) => m.to.includes(owner.email.toLowerCase()))).toHaveLength(0);
    expect(await notificationsOf(organizationId, ownerId)).toHaveLength(2);
  });

  it('tells every member when nobody is available, and emails only those who want it', async () => {
    const owner = await signUp(api());
    const organizationId = owner.session.organization.id;
    await upgrade(organizationId);
    const agent = await addMember(api(), owner, 'agent');
    await Membership.query().forOrganization(organizationId).patch({ available: false });
    await Membership.query()
      .forOrganization(organizationId)
      .where('userId', agent.session.user.id)
      .patch({ emailOnEscalation: false });

    const { ticket } = await escalate(owner);
    const both = await eventually(
      async () => await Notification.query().forOrganization(organizationId).where('ticketId', ticket.id),
      (rows) => rows.length === 2,
      'a notification for each member',
    );
    expect(new Set(both.map((n) => n.userId))).toEqual(
      new Set([owner.session.user.id, agent.session.user.id]),
    );
    expect(
      (await Ticket.query().forOrganization(organizationId).findById(ticket.id))!.assigneeUserId,
    ).toBeNull();

    await worker().mailbox.waitFor(owner.email, /a visitor asks for a person/, 20_000);
    const deliveries = await deliveriesOf(
      organizationId,
      both.map((n) => n.id),
    );
    expect(deliveries.map((d) => d.recipient)).toEqual([owner.email]);
    expect(worker().mailbox.messages.filter((m) => m.to.includes(agent.email.toLowerCase()))).toHaveLength(0);
  });

  it('lists, counts and marks the signed-in member’s notifications, never another organization’s', async () => {
    const owner = await signUp(api());
    const { organizationId, ticket } = await escalate(owner);
    const [notification] = await eventually(
      () => notificationsOf(organizationId, owner.session.user.id),
      (rows) => rows.length === 1,
      'the notification',
    );
    const mine = consoleAgent(api());
    await mine.signIn(owner.email, PASSWORD);
    const badge = await mine.page('/console/notifications/badge', true);
    expect(badge.body).toContain('data-unread="1"');
    expect(badge.body).toContain('Notifications, 1 unread');
    const list = await mine.page('/console/notifications');
    expect(list.body).toContain(notification!.title);
    expect(list.body).toContain(`/console/tickets/${ticket.id}`);

    // Another organization's member cannot see it, mark it, or mark it through "mark all".
    const other = await signUp(api());
    const outsider = consoleAgent(api());
    await outsider.signIn(other.email, PASSWORD);
    expect((await outsider.page('/console/notifications')).body).not.toContain(notification!.title);
    expect((await outsider.post(`/console/notifications/${notification!.id}/read`, {})).status).toBe(404);
    expect((await outsider.post('/console/notifications/read-all', {})).status).toBe(303);
    expect((await outsider.page('/console/notifications/badge', true)).body).toContain('data-unread="0"');
    const untouched = await Notification.query().forOrganization(organizationId).findById(notification!.id);
    expect(untouched!.readAt).toBeNull();

    await mine.page('/console/notifications');
    expect((await mine.post(`/console/notifications/${notification!.id}/read`, {})).location).toBe(
      '/console/notifications',
    );
    expect((await mine.page('/console/notifications/badge', true)).body).toContain('data-unread="0"');
    expect(
      (await Notification.query().forOrganization(organizationId).findById(notification!.id))!.readAt,
    ).not.toBeNull();
  });

  it('marks all read, and keeps each member’s preferences', async () => {
    const owner = await signUp(api());
    const organizationId = owner.session.organization.id;
    await escalate(owner);
    await escalate(owner);
    await eventually(
      () => notificationsOf(organizationId, owner.session.user.id),
      (rows) => rows.length === 2,
      'two notifications',
    );
    const agent = consoleAgent(api());
    await agent.signIn(owner.email, PASSWORD);
    expect((await agent.page('/console/notifications/badge', true)).body).toContain('data-unread="2"');
    await agent.page('/console/notifications');
    expect((await agent.post('/console/notifications/read-all', {})).status).toBe(303);
    expect((await agent.page('/console/notifications/badge', true)).body).toContain('data-unread="0"');

    const page = await agent.page('/console/notifications');
    expect(page.body).toContain('Allow browser notifications');
    const saved = await agent.post('/console/notifications/preferences', {
      emailOnEscalation: 'on',
      browserNotifications: 'on',
      notificationSound: 'on',
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toContain('Preferences saved.');
    const membership = await Membership.query()
      .forOrganization(organizationId)
      .findOne({ userId: owner.session.user.id });
    expect(membership).toMatchObject({
      emailOnEscalation: true,
      emailOnVisitorMessage: false,
      emailOnSlaBreach: false,
      browserNotifications: true,
      notificationSound: true,
    });
    const badge = await agent.page('/console/notifications/badge', true);
    expect(badge.body).toContain('data-browser="true"');
    expect(badge.body).toContain('data-sound="true"');
  });
});
