import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { Organization, Subscription, WebhookEvent } from '../../src/db/models';
import { subscriptionWorkflowId } from '../../src/workflows/contracts';
import { signUp } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { useTestDatabase } from '../helpers/db';
import { eventsOf, postWebhook, sign, subscribe, testStripe } from '../helpers/stripe';
import { report, sleep, Workers } from './harness';

/**
 * The worker killed with SIGKILL while it handles Stripe webhooks: the API has acknowledged every
 * event and signalled the organizations' subscription workflows, whose activities (re-reading the
 * subscription from the Stripe emulator, writing the plan) are in flight. A new worker finishes them:
 * every organization ends on its paid plan, and every event reached its workflow exactly once.
 */

const db = useTestDatabase();
const taskQueue = `chaos-webhooks-${randomUUID()}`;
const api = useTestApi(db, { taskQueue: () => taskQueue });
const stripe = testStripe();
const ORGANIZATIONS = 6;

describe('chaos: worker killed while it handles Stripe webhooks', () => {
  const workers = new Workers(taskQueue);
  let connection: Connection;

  beforeAll(async () => {
    workers.start();
    connection = await Connection.connect({ address: loadConfig().temporal.address });
  });
  afterAll(async () => {
    await workers.stopAll();
    await connection?.close();
  });

  const billing = async (organizationId: string) => {
    const [row, organization] = await Promise.all([
      Subscription.query(db()).forOrganization(organizationId).first(),
      Organization.query(db()).findById(organizationId),
    ]);
    return { plan: organization!.plan, status: row?.status };
  };

  it('finishes every subscription after a restart, each event handled once', async () => {
    // Organizations that went through Checkout and paid on Stripe's side; their events not yet delivered.
    const customers = await Promise.all(
      Array.from({ length: ORGANIZATIONS }, async () => {
        const owner = await signUp(api());
        const organizationId = owner.session.organization.id;
        const checkout = await owner.client.POST('/v1/billing/checkout', { body: { plan: 'pro' } });
        expect(checkout.response.status).toBe(201);
        const row = await Subscription.query(db()).forOrganization(organizationId).first();
        await subscribe(stripe, row!.stripeCustomerId!, 'pro');
        return { organizationId, events: await eventsOf(stripe, row!.stripeCustomerId!) };
      }),
    );

    // Every event delivered twice, concurrently; the worker dies as soon as the first is acknowledged.
    const deliveries = customers.flatMap((c) => [...c.events, ...c.events]);
    const acknowledged = deliveries.map(async (event) => {
      const payload = JSON.stringify(event);
      return (await postWebhook(api().baseUrl, payload, sign(stripe, payload))).status;
    });
    await Promise.race(acknowledged);
    const killedAt = Date.now();
    await workers.kill(workers.alive[0]!);
    expect(await Promise.all(acknowledged)).toEqual(deliveries.map(() => 200));
    const paidAtKill = (await Promise.all(customers.map((c) => billing(c.organizationId)))).filter(
      (b) => b.plan === 'pro',
    ).length;
    expect(paidAtKill).toBeLessThan(ORGANIZATIONS);

    workers.start();
    const deadline = Date.now() + 180_000;
    for (;;) {
      const states = await Promise.all(customers.map((c) => billing(c.organizationId)));
      if (states.every((s) => s.plan === 'pro' && s.status === 'active')) break;
      if (Date.now() > deadline) throw new Error(`not all subscriptions active: ${JSON.stringify(states)}`);
      await sleep(200);
    }
    report('worker SIGKILL during webhook handling', { allPaidAfterKill: Date.now() - killedAt });

    for (const { organizationId, events } of customers) {
      const rows = await WebhookEvent.query(db()).whereIn(
        'id',
        events.map((e) => e.id),
      );
      expect(rows).toHaveLength(events.length);
      expect(rows.every((r) => r.processedAt)).toBe(true);
      // Subscription events go to the organization's workflow (others, e.g. customer.created, are ignored),
      // each signalled once however often Stripe sent it.
      const delivered = rows.filter((r) => r.organizationId === organizationId);
      expect(delivered.length).toBeGreaterThan(0);
      const handle = new Client({ connection }).workflow.getHandle(subscriptionWorkflowId(organizationId));
      const signalled = ((await handle.fetchHistory()).events ?? []).filter(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'stripeEvent',
      );
      expect(signalled).toHaveLength(delivered.length);
      expect(await handle.query('billingState')).toMatchObject({ plan: 'pro', status: 'active' });
    }
  }, 400_000);
});
