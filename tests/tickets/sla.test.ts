import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../../src/activities';
import { loadConfig } from '../../src/config';
import { EmailDelivery, Notification, Ticket, type Organization, type User } from '../../src/db/models';
import { createLogger } from '../../src/lib/logger';
import { loadTicketSnapshot } from '../../src/services/ticket-store';
import { createActivityDependencies } from '../../src/worker/dependencies';
import { workflowSinks } from '../../src/worker/observability';
import { setTicketStatusUpdate, ticketStartOptions, ticketStateQuery } from '../../src/workflows/contracts';
import type { ticketLifecycle } from '../../src/workflows/tickets';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { Mailbox } from '../helpers/mailbox';
import { createTimeSkippingEnvironment } from '../helpers/temporal';
import { buildMember, buildTicket, eventsOf, eventually } from '../helpers/tickets';

const db = useTestDatabase();

/**
 * SLA timers of hours and days on Temporal's time-skipping test server: the workflow's timers fire as
 * soon as the test lets time run, while the activities write to the real database and send real email.
 */
describe('ticket SLA timers (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let dependencies: ActivityDependencies;
  const mailbox = new Mailbox();
  const taskQueue = `sla-${randomUUID()}`;

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const smtpPort = await mailbox.start();
    env = await createTimeSkippingEnvironment();
    const config = loadConfig();
    dependencies = await createActivityDependencies(
      { ...config, smtp: { ...config.smtp, host: '127.0.0.1', port: smtpPort } },
      db(),
      createLogger({ level: 'silent', name: 'sla-worker' }),
    );
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: config.temporal.workflowBundlePath },
      activities: createActivities(dependencies),
      sinks: workflowSinks(),
    });
    running = worker.run();
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    dependencies?.mailer.close();
    await env?.teardown();
    await mailbox.stop();
  });

  let organization: Organization;
  let agent: User;
  beforeAll(async () => {
    organization = await buildOrganization({ plan: 'pro' });
    agent = await buildMember(organization.id);
  });

  async function start(ticket: Ticket) {
    const snapshot = (await loadTicketSnapshot(db(), organization.id, ticket.id))!;
    const options = ticketStartOptions(snapshot, taskQueue);
    // The test server keeps no visibility store: search attributes are checked against the dev server.
    return env.client.workflow.start<typeof ticketLifecycle>('ticketLifecycle', {
      workflowId: options.workflowId,
      taskQueue,
      args: options.args,
    });
  }

  const reload = async (ticket: Ticket) =>
    (await Ticket.query().forOrganization(organization.id).findById(ticket.id))!;

  it('raises the priority, notifies and emails the assignee and records the breach when the first response is late', async () => {
    const now = await env.currentTimeMs();
    const ticket = await buildTicket(organization.id, {
      priority: 'normal',
      assigneeUserId: agent.id,
      firstResponseDueAt: new Date(now + 4 * 3_600_000),
      resolutionDueAt: new Date(now + 24 * 3_600_000),
    });
    const handle = await start(ticket);

    await env.sleep('3 hours');
    expect(await reload(ticket)).toMatchObject({ priority: 'normal', firstResponseBreachedAt: null });

    await env.sleep('70 minutes');
    const breached = await eventually(
      () => reload(ticket),
      (t) => t.firstResponseBreachedAt !== null,
      'the breach',
    );
    expect(breached.priority).toBe('high');
    const mail = await mailbox.waitFor(agent.email, /Ticket #\d+ missed its first-response target/);
    expect(mail.text).toContain('priority is now high');
    expect(mail.text).toContain(`/console/tickets/${ticket.id}`);
    // Through the assignee's notification and its durable delivery, like every other email.
    const [notice] = await Notification.query()
      .forOrganization(organization.id)
      .where({ ticketId: ticket.id, userId: agent.id });
    expect(notice).toMatchObject({ kind: 'sla_breach', readAt: null });
    const delivery = await eventually(
      async () =>
        await EmailDelivery.query().forOrganization(organization.id).findOne({ notificationId: notice!.id }),
      (row) => row?.status === 'sent',
      'the delivery sent',
    );
    expect(delivery).toMatchObject({ kind: 'notification', recipient: agent.email });
    const event = (await eventsOf(organization.id, ticket.id)).find((e) => e.type === 'sla_breached')!;
    expect(event.data).toMatchObject({ kind: 'first_response', from: 'normal', to: 'high' });
    expect(await handle.query(ticketStateQuery)).toMatchObject({ priority: 'high' });

    // A day in: the resolution target is missed too; the ticket is urgent now.
    await env.sleep('21 hours');
    const late = await eventually(
      () => reload(ticket),
      (t) => t.resolutionBreachedAt !== null,
      'the second breach',
    );
    expect(late.priority).toBe('urgent');
    await mailbox.waitFor(agent.email, /missed its resolution target/);
    const breaches = (await eventsOf(organization.id, ticket.id)).filter((e) => e.type === 'sla_breached');
    expect(breaches).toHaveLength(2);
    const notices = await Notification.query()
      .forOrganization(organization.id)
      .where({ ticketId: ticket.id, userId: agent.id });
    expect(notices.map((n) => n.eventKey).sort()).toEqual([
      `sla_breach:${ticket.id}:first_response`,
      `sla_breach:${ticket.id}:resolution`,
    ]);
  });

  it('does not breach a target that was met, and closes a resolved ticket after the quiet period', async () => {
    const now = await env.currentTimeMs();
    const ticket = await buildTicket(organization.id, {
      priority: 'high',
      assigneeUserId: agent.id,
      firstResponseDueAt: new Date(now + 3_600_000),
      resolutionDueAt: new Date(now + 8 * 3_600_000),
    });
    const handle = await start(ticket);
    await handle.executeUpdate(setTicketStatusUpdate, {
      args: [{ status: 'resolved', actorUserId: agent.id }],
    });
    expect(await reload(ticket)).toMatchObject({ status: 'resolved' });

    await env.sleep('71 hours');
    expect(await reload(ticket)).toMatchObject({
      status: 'resolved',
      firstResponseBreachedAt: null,
      resolutionBreachedAt: null,
    });

    await env.sleep('2 hours');
    await handle.result();
    const closed = await reload(ticket);
    expect(closed).toMatchObject({
      status: 'closed',
      firstResponseBreachedAt: null,
      resolutionBreachedAt: null,
    });
    const last = (await eventsOf(organization.id, ticket.id)).at(-1)!;
    expect(last).toMatchObject({ type: 'status_changed', actorUserId: null });
    expect(last.data).toMatchObject({ from: 'resolved', to: 'closed', cause: 'quiet_period' });
    expect(mailbox.messages.filter((m) => m.to.includes(agent.email.toLowerCase()))).toHaveLength(0);
  });
});
