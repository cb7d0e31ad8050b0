import { priceLookupKey } from '../../src/billing/stripe';
import { Subscription } from '../../src/db/models';
import { useTestApi } from '../helpers/api';
import { addMember, signUp, upgrade } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { eventually, eventsOf, postWebhook, sign, subscribe, testStripe } from '../helpers/stripe';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const stripe = testStripe();

async function customerOf(organizationId: string): Promise<string> {
  const row = await Subscription.query(db()).forOrganization(organizationId).first();
  return row!.stripeCustomerId!;
}

describe('billing API', () => {
  it('creates a subscription-mode Checkout session with the plan price, the customer and the return URLs', async () => {
    const owner = await signUp(api());
    const organizationId = owner.session.organization.id;
    const first = await owner.client.POST('/v1/billing/checkout', { body: { plan: 'pro' } });
    expect(first.response.status).toBe(201);
    expect(first.data!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/checkout\/cs_test_/);

    const customerId = await customerOf(organizationId);
    expect(customerId).toMatch(/^cus_/);
    const customer = (await stripe.customers.retrieve(customerId)) as { metadata: Record<string, string> };
    expect(customer.metadata.organization_id).toBe(organizationId);

    const session = await stripe.checkout.sessions.retrieve(first.data!.sessionId, {
      expand: ['line_items'],
    });
    const [price] = (await stripe.prices.list({ lookup_keys: [priceLookupKey('pro')] })).data;
    const returnUrl = api().config.billing.returnUrl;
    expect(session).toMatchObject({
      mode: 'subscription',
      customer: customerId,
      client_reference_id: organizationId,
      success_url: `${returnUrl}?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${returnUrl}?checkout=canceled`,
    });
    expect(session.line_items!.data).toEqual([
      expect.objectContaining({
        object: 'item',
        price: expect.objectContaining({ object: 'price', id: price!.id, unit_amount: 4900 }) as unknown,
        quantity: 1,
        amount_total: 4900,
      }),
    ]);
    expect(session.amount_total).toBe(4900);

    // The customer is created once: a second checkout (Enterprise this time) reuses it.
    const second = await owner.client.POST('/v1/billing/checkout', { body: { plan: 'enterprise' } });
    const again = await stripe.checkout.sessions.retrieve(second.data!.sessionId);
    expect(again.customer).toBe(customerId);
    const [enterprise] = (await stripe.prices.list({ lookup_keys: [priceLookupKey('enterprise')] })).data;
    const { data: items } = await stripe.checkout.sessions.listLineItems(again.id);
    expect(items[0]!.price).toEqual(enterprise);
  });

  it('opens the billing portal for the organization customer', async () => {
    const owner = await signUp(api());
    const { data, response } = await owner.client.POST('/v1/billing/portal');
    expect(response.status).toBe(201);
    expect(data!.url).toMatch(/\/portal\/bps_/);
  });

  it('lets only owners and admins manage billing', async () => {
    const owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const agent = await addMember(api(), owner, 'agent');
    expect((await agent.client.GET('/v1/billing')).response.status).toBe(403);
    const checkout = await agent.client.POST('/v1/billing/checkout', { body: { plan: 'pro' } });
    expect(checkout.response.status).toBe(403);
  });

  it('rejects a plan that is not sold', async () => {
    const owner = await signUp(api());
    const { response, error } = await owner.client.POST('/v1/billing/checkout', {
      body: { plan: 'free' as never },
    });
    expect(response.status).toBe(422);
    expect(JSON.stringify(error)).toContain('body.plan');
  });

  it('follows a paid subscription through webhooks, and cancels at the period end on request', async () => {
    const owner = await signUp(api());
    const organizationId = owner.session.organization.id;
    await owner.client.POST('/v1/billing/checkout', { body: { plan: 'pro' } });
    const customerId = await customerOf(organizationId);
    const subscription = await subscribe(stripe, customerId, 'pro');
    for (const event of await eventsOf(stripe, customerId)) {
      const payload = JSON.stringify(event);
      expect((await postWebhook(api().baseUrl, payload, sign(stripe, payload))).status).toBe(200);
    }
    const billing = await eventually(async () => {
      const { data } = await owner.client.GET('/v1/billing');
      expect(data).toMatchObject({ plan: 'pro', status: 'active', cancelAtPeriodEnd: false });
      return data!;
    });
    expect(new Date(billing.currentPeriodEnd!).getTime()).toBe(subscription.current_period_end * 1000);

    const again = await owner.client.POST('/v1/billing/checkout', { body: { plan: 'enterprise' } });
    expect(again.response.status).toBe(409);

    const canceled = await owner.client.POST('/v1/billing/cancel');
    expect(canceled.data).toMatchObject({ plan: 'pro', status: 'active', cancelAtPeriodEnd: true });
    expect((await stripe.subscriptions.retrieve(subscription.id)).cancel_at_period_end).toBe(true);
    const resumed = await owner.client.POST('/v1/billing/resume');
    expect(resumed.data).toMatchObject({ cancelAtPeriodEnd: false });
    const handle = worker().client.workflow.getHandle(`subscription-${organizationId}`);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });
});
