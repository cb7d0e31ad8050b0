import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type Stripe from 'stripe';
import { createBillingActivities } from '../../src/activities/billing';
import { loadConfig } from '../../src/config';
import { Organization, Subscription } from '../../src/db/models';
import type { BillingState } from '../../src/domain/billing';
import { createLogger } from '../../src/lib/logger';
import { workflowSinks } from '../../src/worker/observability';
import {
  billingStateQuery,
  stripeEventSignal,
  subscriptionWorkflowId,
  type SubscriptionInput,
} from '../../src/workflows/contracts';
import type { subscriptionLifecycle } from '../../src/workflows/subscription';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { eventually, failRenewal, subscribe, testStripe } from '../helpers/stripe';
import { createTimeSkippingEnvironment } from '../helpers/temporal';

/**
 * The grace period on Temporal's time-skipping test server: days of durable timer pass in
 * milliseconds, with the real billing activities against PostgreSQL and the Stripe emulator.
 */

const db = useTestDatabase();
const stripe = testStripe();
const GRACE_DAYS = 7;
const DAY_MS = 24 * 3600 * 1000;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = 'billing-grace-test';

beforeAll(async () => {
  env = await createTimeSkippingEnvironment();
  const config = loadConfig();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: config.temporal.workflowBundlePath },
    // The bundle's workflow interceptors export spans through this sink; the test drops them.
    sinks: workflowSinks(),
    activities: createBillingActivities({
      knex: db(),
      stripe,
      billing: config.billing,
      logger: createLogger({ level: 'silent', name: 'grace-test' }),
    }),
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

/** A Pro organization whose renewal just failed in Stripe, and its running subscription workflow. */
async function organizationWithFailedRenewal(historyLimit?: number): Promise<{
  organizationId: string;
  customerId: string;
  subscription: Stripe.Subscription;
}> {
  const organization = await buildOrganization();
  const customer = await stripe.customers.create({ metadata: { organization_id: organization.id } });
  await Subscription.query(db())
    .forOrganization(organization.id)
    .patch({ stripeCustomerId: customer.id })
    .where('organizationId', organization.id);
  const subscription = await subscribe(stripe, customer.id, 'pro');
  await failRenewal(stripe, customer.id, subscription.id);

  const handle = await env.client.workflow.start<typeof subscriptionLifecycle>('subscriptionLifecycle', {
    workflowId: subscriptionWorkflowId(organization.id),
    taskQueue,
    args: [
      {
        organizationId: organization.id,
        graceMs: GRACE_DAYS * DAY_MS,
        historyLimit,
      } satisfies SubscriptionInput,
    ],
  });
  await handle.signal(stripeEventSignal, {
    eventId: 'evt_payment_failed',
    type: 'invoice.payment_failed',
    created: Math.floor(Date.now() / 1000),
  });
  const state = await eventually(async () => {
    const current = await handle.query(billingStateQuery);
    expect(current).toMatchObject({ plan: 'pro', status: 'past_due' });
    return current;
  });
  expect(state.graceUntil).not.toBeNull();
  return { organizationId: organization.id, customerId: customer.id, subscription };
}

async function stored(organizationId: string) {
  const row = await Subscription.query(db()).forOrganization(organizationId).first();
  const organization = await Organization.query(db()).findById(organizationId);
  return { plan: organization!.plan, status: row!.status, graceUntil: row!.graceUntil };
}

describe('a failed payment', () => {
  it('keeps the plan through the grace period, then drops an unpaid organization to Free', async () => {
    const { organizationId, subscription } = await organizationWithFailedRenewal();
    const handle = env.client.workflow.getHandle(subscriptionWorkflowId(organizationId));
    // The query shows the new state as soon as the workflow has it; the database a moment later.
    await eventually(async () =>
      expect(await stored(organizationId)).toMatchObject({ plan: 'pro', status: 'past_due' }),
    );

    await env.sleep(`${GRACE_DAYS - 1} days`);
    expect(await handle.query(billingStateQuery)).toMatchObject({ plan: 'pro', status: 'past_due' });
    expect(await stored(organizationId)).toMatchObject({ plan: 'pro' });

    await env.sleep('2 days');
    await eventually(async () =>
      expect(await handle.query<BillingState>('billingState')).toMatchObject({
        plan: 'free',
        status: 'canceled',
        graceUntil: null,
      }),
    );
    await eventually(async () =>
      expect(await stored(organizationId)).toEqual({ plan: 'free', status: 'canceled', graceUntil: null }),
    );
    // The unpaid subscription is ended in Stripe too, so it bills no more.
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('canceled');
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });

  it('keeps the plan when the invoice is paid before the grace period ends', async () => {
    const { organizationId, customerId, subscription } = await organizationWithFailedRenewal();
    const handle = env.client.workflow.getHandle(subscriptionWorkflowId(organizationId));

    // The customer fixes their card; Stripe retries the open invoice and it is paid.
    const token = await stripe.tokens.create({
      card: { number: '4242424242424242', exp_month: '12', exp_year: '2030', cvc: '123' },
    } as Stripe.TokenCreateParams);
    const source = await stripe.customers.createSource(customerId, { source: token.id });
    await stripe.customers.update(customerId, { default_source: source.id });
    const open = (await stripe.invoices.list({ customer: customerId, limit: 100 })).data.find(
      (invoice) => invoice.status === 'open',
    );
    await stripe.invoices.pay(open!.id);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');

    await env.sleep('1 day');
    await handle.signal(stripeEventSignal, {
      eventId: 'evt_invoice_paid',
      type: 'invoice.paid',
      created: Math.floor(Date.now() / 1000),
    });
    await eventually(async () =>
      expect(await handle.query(billingStateQuery)).toMatchObject({
        plan: 'pro',
        status: 'active',
        graceUntil: null,
      }),
    );
    await env.sleep(`${GRACE_DAYS + 1} days`);
    expect(await handle.query(billingStateQuery)).toMatchObject({ plan: 'pro', status: 'active' });
    await eventually(async () =>
      expect(await stored(organizationId)).toEqual({ plan: 'pro', status: 'active', graceUntil: null }),
    );
  });

  it('continues as new when the history grows, keeping its state and the running grace period', async () => {
    const { organizationId } = await organizationWithFailedRenewal(40);
    const handle = env.client.workflow.getHandle(subscriptionWorkflowId(organizationId));
    const firstRun = (await handle.describe()).runId;
    const before = await handle.query(billingStateQuery);
    for (let i = 0; i < 6; i++) {
      await handle.signal(stripeEventSignal, { eventId: `evt_${i}`, type: 'invoice.updated', created: 0 });
    }
    await eventually(async () => expect((await handle.describe()).runId).not.toBe(firstRun));
    const after = await handle.query(billingStateQuery);
    expect(after).toEqual(before);

    // The grace period opened in the first run still ends on time in the new one.
    await env.sleep(`${GRACE_DAYS + 1} days`);
    await eventually(async () =>
      expect(await stored(organizationId)).toMatchObject({ plan: 'free', status: 'canceled' }),
    );
  });
});
