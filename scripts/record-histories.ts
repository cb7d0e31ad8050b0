import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { createActivities } from '../src/activities';
import { loadConfigOrExit } from '../src/config';
import { bindModels } from '../src/db/bind';
import { createKnex } from '../src/db/knex';
import { createStripe, priceForPlan, syncCatalog } from '../src/billing/stripe';
import { Conversation, Document, Message, Organization, Subscription, Ticket } from '../src/db/models';
import { createLogger } from '../src/lib/logger';
import { projectRoot } from '../src/lib/paths';
import { startCheckout } from '../src/services/billing';
import { ConversationService } from '../src/services/conversations';
import { DocumentService } from '../src/services/documents';
import { createOrganizationWithOwner } from '../src/services/organizations';
import { loadTicketSnapshot, openTicket } from '../src/services/ticket-store';
import { TemporalGateway } from '../src/temporal/client';
import { bundleWorkflows } from '../src/worker/bundle';
import { createWorker } from '../src/worker/create-worker';
import { createActivityDependencies } from '../src/worker/dependencies';
import { workflowSinks } from '../src/worker/observability';
import type { healthCheck, sweepOrphanedTurns, ticketLifecycle } from '../src/workflows';
import {
  billingStateQuery,
  ingestWorkflowId,
  setTicketStatusUpdate,
  stripeEventSignal,
  subscriptionWorkflowId,
  ticketStartOptions,
  ticketStateQuery,
  visitorActivitySignal,
  type TicketSnapshot,
} from '../src/workflows/contracts';

/**
 * `npm run histories:record`: runs each workflow once through a real worker (current code, a task
 * queue of its own) and saves its event history into tests/fixtures/histories/. The replay test
 * (tests/workflows/replay.test.ts) replays them against the workflow bundle, so a change that would
 * break workflows already running in production fails there. Record again only for a deliberate,
 * patched() change, and keep the old files: running workflows still have the old histories.
 * Needs PostgreSQL (DATABASE_URL, migrated), Temporal and the local models (and the Stripe emulator,
 * STRIPE_*, for the subscription). The ticket lifecycle, whose timers run for hours and days, runs on
 * Temporal's time-skipping test server (.tools/bin/temporal-test-server, as in tests/tickets/sla.test.ts).
 * Names as arguments record only those, e.g.
 * `npm run histories:record -- subscription-lifecycle`.
 */
const OUT = path.join(projectRoot, 'tests', 'fixtures', 'histories');
const ARTICLE = `# Returns and refunds

Items can be returned within 30 days of delivery for a full refund. Refunds reach the original
payment method within 5 working days after the parcel arrives at our warehouse.
`;

/**
 * protobufjs's own object form (what `History.fromObject` reads back). Not the protojson of
 * `historyToJSON`: two copies of protobufjs under @temporalio make that helper fail in this install.
 */
function historyToObject(history: proto.api.history.v1.IHistory): unknown {
  return proto.api.history.v1.History.toObject(proto.api.history.v1.History.fromObject(history), {
    longs: String,
    enums: String,
    bytes: String,
  });
}

const only = process.argv.slice(2);
const wanted = (...names: string[]) => only.length === 0 || names.some((name) => only.includes(name));

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const taskQueue = `histories-${randomUUID()}`;
  const logger = createLogger({ level: 'warn', name: 'record-histories' });
  const knex = createKnex({ url: config.database.url, poolMax: 5 });
  bindModels(knex);
  const workflowBundlePath = path.join(projectRoot, '.data', 'record-histories-bundle.js');
  fs.mkdirSync(path.dirname(workflowBundlePath), { recursive: true });
  fs.writeFileSync(workflowBundlePath, await bundleWorkflows());

  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createWorker({
    connection: nativeConnection,
    temporal: { ...config.temporal, taskQueue },
    dependencies: await createActivityDependencies(config, knex, logger),
    workflowBundlePath,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const temporal = new TemporalGateway({ ...config.temporal, taskQueue }, logger);
  const deps = { knex, temporal, config };
  const recorded: Record<string, string> = {};
  /** Histories fetched where they ran (the ticket lifecycle's, from the time-skipping server). */
  const histories: Record<string, unknown> = {};

  try {
    const suffix = randomUUID().slice(0, 8);
    const { organization } = await createOrganizationWithOwner(knex, {
      organizationName: `History recorder ${suffix}`,
      ownerEmail: `histories-${suffix}@example.com`,
      ownerName: 'History Recorder',
      password: 'history-recorder-password',
      emailVerified: true,
    });
    await Organization.query(knex).findById(organization.id).patch({ plan: 'pro' });

    if (wanted('health-check')) {
      const health = `health-${suffix}`;
      await client.workflow.execute<typeof healthCheck>('healthCheck', { taskQueue, workflowId: health });
      recorded['health-check'] = health;
    }

    if (wanted('subscription-lifecycle')) {
      recorded['subscription-lifecycle'] = await recordSubscription(organization.id);
    }

    const questions: [string, string][] = [
      ['chat-turn-answer', 'How many days do I have to return an item?'],
      ['chat-turn-follow-up', 'And how long does the refund take?'],
      ['chat-turn-abstain', 'Can I pay with a cheque from a foreign bank?'],
      ['chat-turn-escalate', 'This is useless, let me talk to a human'],
    ];
    if (wanted('ingest-upload', ...questions.map(([name]) => name))) await recordKnowledge();

    async function recordKnowledge(): Promise<void> {
      const document = await new DocumentService(deps).upload(organization.id, {
        originalname: 'returns.md',
        mimetype: 'text/markdown',
        buffer: Buffer.from(ARTICLE),
        size: ARTICLE.length,
      });
      await client.workflow.getHandle(ingestWorkflowId(document.id)).result();
      const ready = await Document.query(knex).forOrganization(organization.id).findById(document.id);
      if (ready?.status !== 'ready') throw new Error(`ingestion ended ${ready?.status}`);
      recorded['ingest-upload'] = ingestWorkflowId(document.id);

      const conversations = new ConversationService(deps);
      const conversation = await conversations.create(organization.id, { visitorId: `visitor-${suffix}` });
      for (const [name, content] of questions) {
        const { workflowId } = await conversations.postVisitorMessage(organization.id, conversation.id, {
          content,
        });
        const { result } = await conversations.awaitReply(organization.id, workflowId, 60_000);
        if (!result) throw new Error(`${name}: no reply`);
        console.log(`${name}: ${result.outcome}`);
        recorded[name] = workflowId;
      }
    }

    if (wanted('sweep-orphaned-turns')) recorded['sweep-orphaned-turns'] = await recordSweep();

    /** One sweep that finds a visitor message left without a turn, then the sweeper's timer. */
    async function recordSweep(): Promise<string> {
      const conversation = await new ConversationService(deps).create(organization.id, {
        visitorId: `orphan-${suffix}`,
      });
      await Message.query(knex)
        .forOrganization(organization.id)
        .insert({
          conversationId: conversation.id,
          role: 'visitor',
          content: 'Is anyone there?',
          createdAt: new Date(Date.now() - 60_000),
        });
      const workflowId = `sweep-${suffix}`;
      const handle = await client.workflow.start<typeof sweepOrphanedTurns>('sweepOrphanedTurns', {
        taskQueue,
        workflowId,
        args: [{ organizationId: organization.id }],
      });
      for (let i = 0; ; i++) {
        const { events } = await handle.fetchHistory();
        if (events?.some((e) => e.timerStartedEventAttributes)) break;
        if (i > 100) throw new Error('the sweeper did not finish its first sweep');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await handle.terminate('recorded');
      console.log('sweep-orphaned-turns: one sweep');
      return workflowId;
    }

    /** Checkout (an update that creates the customer), a paid subscription, its event: active. */
    async function recordSubscription(organizationId: string): Promise<string> {
      const stripe = createStripe(config.billing);
      if (!stripe) throw new Error('Set STRIPE_SECRET_KEY and STRIPE_API_BASE (the emulator) first');
      await syncCatalog(stripe);
      await startCheckout({ ...deps, logger }, organizationId, 'pro');
      const row = await Subscription.query(knex).forOrganization(organizationId).first();
      const customer = row!.stripeCustomerId!;
      const token = await stripe.tokens.create({
        card: { number: '4242424242424242', exp_month: '12', exp_year: '2030', cvc: '123' },
      } as never);
      const source = await stripe.customers.createSource(customer, { source: token.id });
      await stripe.customers.update(customer, { default_source: source.id });
      const price = await priceForPlan(stripe, 'pro');
      // What completing Checkout does; the emulator knows prices as plans (same id).
      await stripe.subscriptions.create({ customer, items: [{ plan: price.id }] });
      const workflowId = subscriptionWorkflowId(organizationId);
      const handle = client.workflow.getHandle(workflowId);
      await handle.signal(stripeEventSignal, {
        eventId: `evt_record_${suffix}`,
        type: 'customer.subscription.created',
        created: Math.floor(Date.now() / 1000),
      });
      // Recorded once the state is written (the query answers before the write's activity ends).
      const written = async () =>
        (await Subscription.query(knex).forOrganization(organizationId).first())?.status === 'active' &&
        (await handle.query(billingStateQuery)).status === 'active';
      for (let i = 0; !(await written()); i++) {
        if (i > 100) throw new Error('the subscription workflow did not reach active');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      console.log('subscription-lifecycle: active');
      return workflowId;
    }

    if (wanted('ticket-sla-breach', 'ticket-reopen-auto-close')) {
      Object.assign(histories, await recordTickets(organization.id));
    }

    /**
     * Two tickets on the time-skipping server, with their activities writing to the real database
     * and their email to a local SMTP sink: one opened, assigned round-robin and left until its
     * first-response target is missed; one set pending, reopened by the visitor, resolved and closed
     * by the quiet period. (The test server's clock has run ahead by then, so the second ticket's
     * first-response target, set from the real clock, is missed as soon as it is assigned.)
     */
    async function recordTickets(organizationId: string): Promise<Record<string, unknown>> {
      const sink = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        onData: (stream, _session, callback) => {
          stream.resume();
          stream.on('end', () => callback());
        },
      });
      await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
      const smtpPort = (sink.server.address() as AddressInfo).port;
      const env = await TestWorkflowEnvironment.createTimeSkipping({
        server: {
          executable: {
            type: 'existing-path',
            path: path.join(projectRoot, '.tools', 'bin', 'temporal-test-server'),
          },
        },
      });
      const ticketQueue = `${taskQueue}-tickets`;
      const dependencies = await createActivityDependencies(
        { ...config, smtp: { ...config.smtp, host: '127.0.0.1', port: smtpPort } },
        knex,
        logger,
      );
      const ticketWorker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: ticketQueue,
        workflowBundle: { codePath: workflowBundlePath },
        activities: createActivities(dependencies),
        sinks: workflowSinks(),
      });
      const out: Record<string, unknown> = {};
      try {
        await ticketWorker.runUntil(async () => {
          const start = async (name: string) => {
            const conversation = await Conversation.query(knex)
              .forOrganization(organizationId)
              .insert({ visitorId: `${name}-${suffix}`, status: 'open', handledBy: 'assistant' });
            const { ticketId } = await openTicket(knex, {
              organizationId,
              conversationId: conversation.id,
              reasons: ['The visitor asked for a person'],
              sentiment: -0.2,
              messageId: null,
              turnWorkflowId: null,
              assigneeUserId: null,
              actorUserId: null,
            });
            const snapshot = (await loadTicketSnapshot(knex, organizationId, ticketId))!;
            const options = ticketStartOptions(snapshot, ticketQueue);
            // The test server keeps no visibility store: no search attributes.
            const handle = await env.client.workflow.start<typeof ticketLifecycle>('ticketLifecycle', {
              workflowId: options.workflowId,
              taskQueue: ticketQueue,
              args: options.args,
            });
            return { handle, ticketId, conversationId: conversation.id };
          };
          const until = async (
            handle: { query: (q: typeof ticketStateQuery) => Promise<TicketSnapshot> },
            done: (t: TicketSnapshot) => boolean,
            what: string,
          ) => {
            for (let i = 0; !done(await handle.query(ticketStateQuery)); i++) {
              if (i > 200) throw new Error(`the ticket never became ${what}`);
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          };

          const breach = await start('ticket-sla-breach');
          await until(breach.handle, (t) => t.status === 'assigned', 'assigned');
          const due = Date.parse((await breach.handle.query(ticketStateQuery)).firstResponseDueAt!);
          await env.sleep(due - Date.now() + 60_000);
          for (let i = 0; ; i++) {
            const row = await Ticket.query(knex).forOrganization(organizationId).findById(breach.ticketId);
            if (row?.firstResponseBreachedAt) break;
            if (i > 200) throw new Error('the first-response target was never recorded as missed');
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          out['ticket-sla-breach'] = historyToObject(await breach.handle.fetchHistory());
          await breach.handle.terminate('recorded');
          console.log('ticket-sla-breach: assigned, first response missed');

          const closing = await start('ticket-reopen-auto-close');
          await until(closing.handle, (t) => t.status === 'assigned', 'assigned');
          const assignee = (await closing.handle.query(ticketStateQuery)).assigneeUserId;
          await closing.handle.executeUpdate(setTicketStatusUpdate, {
            args: [{ status: 'pending', actorUserId: assignee }],
          });
          const message = await Message.query(knex)
            .forOrganization(organizationId)
            .insert({ conversationId: closing.conversationId, role: 'visitor', content: 'Still there?' });
          await closing.handle.signal(visitorActivitySignal, {
            kind: 'visitor_message',
            messageId: message.id,
          });
          await until(closing.handle, (t) => t.status === 'assigned', 'reopened');
          await closing.handle.executeUpdate(setTicketStatusUpdate, {
            args: [{ status: 'resolved', actorUserId: assignee }],
          });
          const closed = await closing.handle.result(); // time skips through the quiet period
          if (closed.status !== 'closed') throw new Error(`the resolved ticket ended ${closed.status}`);
          out['ticket-reopen-auto-close'] = historyToObject(await closing.handle.fetchHistory());
          console.log('ticket-reopen-auto-close: pending, reopened, resolved, closed');
        });
      } finally {
        dependencies.mailer.close();
        await env.teardown();
        await new Promise<void>((resolve) => sink.close(() => resolve()));
      }
      return out;
    }

    fs.mkdirSync(OUT, { recursive: true });
    for (const [name, history] of Object.entries(histories)) {
      const file = path.join(OUT, `${name}.json`);
      fs.writeFileSync(file, `${JSON.stringify(history, null, 1)}\n`);
      console.log(`recorded ${path.relative(projectRoot, file)}`);
    }
    for (const [name, workflowId] of Object.entries(recorded)) {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const file = path.join(OUT, `${name}.json`);
      fs.writeFileSync(file, `${JSON.stringify(historyToObject(history), null, 1)}\n`);
      console.log(`recorded ${path.relative(projectRoot, file)} (${history.events?.length} events)`);
    }
  } finally {
    worker.shutdown();
    await running;
    await Promise.allSettled([
      temporal.close(),
      connection.close(),
      nativeConnection.close(),
      knex.destroy(),
    ]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
