import { Organization, Subscription, WebhookEvent } from '../../src/db/models';
import { subscriptionWorkflowId } from '../../src/workflows/contracts';
import { useTestApi } from '../helpers/api';
import { signUp, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import {
  eventually,
  eventsOf,
  failRenewal,
  postWebhook,
  sign,
  subscribe,
  testStripe,
} from '../helpers/stripe';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const stripe = testStripe();

/** A signed-up organization with a Stripe customer (created through a Checkout request). */
async function customerAccount(): Promise<{ owner: Account; organizationId: string; customerId: string }> {
  const owner = await signUp(api());
  const organizationId = owner.session.organization.id;
  await owner.client.POST('/v1/billing/checkout', { body: { plan: 'pro' } });
  const row = await Subscription.query(db()).forOrganization(organizationId).first();
  return { owner, organizationId, customerId: row!.stripeCustomerId! };
}

function fakeEvent(overrides: { type?: string; object?: Record<string, unknown> } = {}): string {
  const { object, ...rest } = overrides;
  return JSON.stringify({
    id: `evt_test_${Math.random().toString(36).slice(2)}`,
    object: 'event',
    type: 'customer.subscription.updated',
    created: Math.floor(Date.now() / 1000),
    data: { object: object ?? { object: 'subscription', id: 'sub_unknown', customer: 'cus_unknown' } },
    ...rest,
  });
}

async function subscriptionState(organizationId: string) {
  const row = await Subscription.query(db()).forOrganization(organizationId).first();
  const organization = await Organization.query(db()).findById(organizationId);
  return {
    plan: organization!.plan,
    status: row!.status,
    stripeSubscriptionId: row!.stripeSubscriptionId,
    currentPeriodEnd: row!.currentPeriodEnd?.getTime() ?? null,
    graceUntil: row!.graceUntil?.getTime() ?? null,
  };
}

describe('Stripe webhook signatures', () => {
  it('refuses an unsigned event with 400 problem+json', async () => {
    const answer = await postWebhook(api().baseUrl, fakeEvent());
    expect(answer.status).toBe(400);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ type: `${api().baseUrl}/problems/bad-request`, status: 400 });
  });

  it('refuses an event signed with another secret', async () => {
    const payload = fakeEvent();
    const answer = await postWebhook(
      api().baseUrl,
      payload,
      sign(stripe, payload, { secret: 'whsec_forged' }),
    );
    expect(answer.status).toBe(400);
  });

  it('refuses an event whose body was changed after signing', async () => {
    const payload = fakeEvent();
    const signature = sign(stripe, payload);
    const answer = await postWebhook(api().baseUrl, payload.replace('sub_unknown', 'sub_other'), signature);
    expect(answer.status).toBe(400);
  });

  it('refuses a replayed event older than the tolerance', async () => {
    const payload = fakeEvent();
    const old = Math.floor(Date.now() / 1000) - api().config.billing.webhookToleranceSeconds - 60;
    const answer = await postWebhook(api().baseUrl, payload, sign(stripe, payload, { timestamp: old }));
    expect(answer.status).toBe(400);
  });

  it('acknowledges unknown event types and unknown customers with 200, recording them once', async () => {
    const unknownType = fakeEvent({ type: 'charge.dispute.created' });
    const typeAnswer = await postWebhook(api().baseUrl, unknownType, sign(stripe, unknownType));
    expect(typeAnswer).toMatchObject({ status: 200, body: { received: true, outcome: 'ignored' } });

    const unknownCustomer = fakeEvent();
    const first = await postWebhook(api().baseUrl, unknownCustomer, sign(stripe, unknownCustomer));
    expect(first).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
    const again = await postWebhook(api().baseUrl, unknownCustomer, sign(stripe, unknownCustomer));
    expect(again).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
    const id = (JSON.parse(unknownCustomer) as { id: string }).id;
    const row = await WebhookEvent.query(db()).findById(id);
    expect(row).toMatchObject({
      provider: 'stripe',
      type: 'customer.subscription.updated',
      organizationId: null,
    });
    expect(row!.processedAt).not.toBeNull();
  });
});

describe('Stripe events for an organization', () => {
  it('ends in the same state when each event arrives five times in shuffled order', async () => {
    const { organizationId, customerId } = await customerAccount();
    const subscription = await subscribe(stripe, customerId, 'pro');
    const events = await eventsOf(stripe, customerId);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['customer.subscription.created', 'invoice.payment_succeeded']),
    );

    // Every event five times, shuffled (seeded, so a failure can be replayed), some concurrently.
    const deliveries = events.flatMap((event) => Array.from({ length: 5 }, () => event));
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }
    const outcomes: string[] = [];
    for (let i = 0; i < deliveries.length; i += 3) {
      const batch = deliveries.slice(i, i + 3).map(async (event) => {
        const payload = JSON.stringify(event);
        const answer = await postWebhook(api().baseUrl, payload, sign(stripe, payload));
        expect(answer.status).toBe(200);
        outcomes.push(answer.body.outcome as string);
      });
      await Promise.all(batch);
    }
    // Each event reached the workflow once; the other four deliveries were duplicates.
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(events.length * 4);

    const expected = {
      plan: 'pro',
      status: 'active',
      stripeSubscriptionId: subscription.id,
      currentPeriodEnd: subscription.current_period_end * 1000,
      graceUntil: null,
    };
    await eventually(async () => expect(await subscriptionState(organizationId)).toEqual(expected));
    const handle = worker().client.workflow.getHandle(subscriptionWorkflowId(organizationId));
    expect(await handle.query('billingState')).toMatchObject({ plan: 'pro', status: 'active' });
    const description = await handle.describe();
    expect(description.searchAttributes.OrganizationId).toEqual([organizationId]);
  });

  it('opens a grace period when a renewal fails, and closes it when Stripe says the subscription ended', async () => {
    const { organizationId, customerId } = await customerAccount();
    const subscription = await subscribe(stripe, customerId, 'pro');
    await failRenewal(stripe, customerId, subscription.id);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('past_due');
    // Only the failure is delivered (the earlier events are late): the state still comes out right.
    const failed = (await eventsOf(stripe, customerId)).filter((e) => e.type === 'invoice.payment_failed');
    expect(failed).toHaveLength(1);
    const payload = JSON.stringify(failed[0]);
    expect((await postWebhook(api().baseUrl, payload, sign(stripe, payload))).status).toBe(200);
    const state = await eventually(async () => {
      const current = await subscriptionState(organizationId);
      expect(current).toMatchObject({ plan: 'pro', status: 'past_due' });
      return current;
    });
    const graceMs = api().config.billing.graceDays * 24 * 3600 * 1000;
    expect(state.graceUntil! - Date.now()).toBeGreaterThan(graceMs - 60_000);

    await stripe.subscriptions.cancel(subscription.id);
    const deleted = (await eventsOf(stripe, customerId)).find(
      (e) => e.type === 'customer.subscription.deleted',
    );
    const body = JSON.stringify(deleted);
    expect((await postWebhook(api().baseUrl, body, sign(stripe, body))).status).toBe(200);
    await eventually(async () =>
      expect(await subscriptionState(organizationId)).toMatchObject({
        plan: 'free',
        status: 'canceled',
        graceUntil: null,
      }),
    );
  });
});
