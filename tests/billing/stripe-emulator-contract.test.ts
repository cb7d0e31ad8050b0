import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { startStripeFront, type StripeFront } from '../../scripts/stripe-emulator-front';
import { priceForPlan, priceLookupKey, productId, STRIPE_API_VERSION } from '../../src/billing/stripe';
import { eventually } from '../helpers/stripe';

/**
 * The Stripe emulator's front answers what Parley uses as Stripe does, so tests against it cannot pass
 * on behaviour production will not have. Each shape below lists every field of the `stripe` package's
 * type, `true` where Stripe always sends it (null when it does not apply), `false` where it is optional
 * (expandable-only or sent in some cases): when the package's type changes, typecheck fails here, and
 * the emulator's answers are checked against the list. The calls go through the `stripe` package.
 */

type Shape<T> = { [K in keyof T]-?: undefined extends T[K] ? false : true };

const PRICE: Shape<Stripe.Price> = {
  id: true,
  object: true,
  active: true,
  billing_scheme: true,
  created: true,
  currency: true,
  currency_options: false,
  custom_unit_amount: true,
  deleted: false,
  livemode: true,
  lookup_key: true,
  metadata: true,
  nickname: true,
  product: true,
  recurring: true,
  tax_behavior: true,
  tiers: false,
  tiers_mode: true,
  transform_quantity: true,
  type: true,
  unit_amount: true,
  unit_amount_decimal: true,
};

const LINE_ITEM: Shape<Stripe.LineItem> = {
  id: true,
  object: true,
  amount_discount: true,
  amount_subtotal: true,
  amount_tax: true,
  amount_total: true,
  currency: true,
  description: true,
  discounts: false,
  price: true,
  quantity: true,
  taxes: false,
};

const CHECKOUT_SESSION: Shape<Stripe.Checkout.Session> = {
  id: true,
  object: true,
  adaptive_pricing: true,
  after_expiration: true,
  allow_promotion_codes: true,
  amount_subtotal: true,
  amount_total: true,
  automatic_tax: true,
  billing_address_collection: true,
  cancel_url: true,
  client_reference_id: true,
  client_secret: true,
  collected_information: false,
  consent: true,
  consent_collection: true,
  created: true,
  currency: true,
  currency_conversion: true,
  custom_fields: true,
  custom_text: true,
  customer: true,
  customer_creation: true,
  customer_details: true,
  customer_email: true,
  discounts: true,
  expires_at: true,
  invoice: true,
  invoice_creation: true,
  line_items: false,
  livemode: true,
  locale: true,
  metadata: true,
  mode: true,
  payment_intent: true,
  payment_link: true,
  payment_method_collection: true,
  payment_method_configuration_details: true,
  payment_method_options: true,
  payment_method_types: true,
  payment_status: true,
  phone_number_collection: false,
  recovered_from: true,
  redirect_on_completion: false,
  return_url: false,
  saved_payment_method_options: true,
  setup_intent: true,
  shipping_address_collection: true,
  shipping_cost: true,
  shipping_details: true,
  shipping_options: true,
  status: true,
  submit_type: true,
  subscription: true,
  success_url: true,
  tax_id_collection: false,
  total_details: true,
  ui_mode: true,
  url: true,
};

const PORTAL_SESSION: Shape<Stripe.BillingPortal.Session> = {
  id: true,
  object: true,
  configuration: true,
  created: true,
  customer: true,
  flow: true,
  livemode: true,
  locale: true,
  on_behalf_of: true,
  return_url: true,
  url: true,
};

const EVENT: Shape<Stripe.EventBase> = {
  id: true,
  object: true,
  account: false,
  api_version: true,
  created: true,
  data: true,
  livemode: true,
  pending_webhooks: true,
  request: true,
  type: true,
};

/** The fields the type always has but the object lacks, and the fields the type does not know. */
function against<T>(shape: Shape<T>, value: unknown): { missing: string[]; unknown: string[] } {
  const object = value as Record<string, unknown>;
  const fields = shape as Record<string, boolean>;
  return {
    missing: Object.keys(fields).filter((key) => fields[key] && !(key in object)),
    unknown: Object.keys(object).filter((key) => !(key in fields)),
  };
}
const conforms = { missing: [], unknown: [] };

const SECRET = 'whsec_contract';
let front: StripeFront;
let stripe: Stripe;
let receiver: Server;
const received: { event: Stripe.Event; verified: boolean }[] = [];

beforeAll(async () => {
  // A front of its own: its webhook endpoint reaches this file's receiver only while it runs.
  front = await startStripeFront({ port: 0, upstream: process.env.LOCALSTRIPE_URL! });
  const url = new URL(front.url);
  stripe = new Stripe(process.env.STRIPE_SECRET_KEY!, {
    apiVersion: STRIPE_API_VERSION,
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
  });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const payload = Buffer.concat(chunks).toString('utf8');
      let verified = true;
      try {
        stripe.webhooks.constructEvent(payload, String(req.headers['stripe-signature']), SECRET);
      } catch {
        verified = false;
      }
      received.push({ event: JSON.parse(payload) as Stripe.Event, verified });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  const registered = await fetch(`${front.url}/_config/webhooks/contract-${randomUUID()}`, {
    method: 'POST',
    body: new URLSearchParams({ url: endpoint, secret: SECRET }),
  });
  expect(registered.status).toBe(200);
});

afterAll(async () => {
  await front?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function openCheckout(customer: string): Promise<Stripe.Checkout.Session> {
  const price = await priceForPlan(stripe, 'pro');
  return stripe.checkout.sessions.create({
    mode: 'subscription',
    customer,
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: 'http://127.0.0.1:9/console?checkout=success&session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'http://127.0.0.1:9/console?checkout=canceled',
    subscription_data: { metadata: { organization_id: 'org_contract' } },
  });
}

async function pay(session: Stripe.Checkout.Session, number: string): Promise<Response> {
  return fetch(session.url!, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({
      email: 'ada@example.com',
      name: 'Ada',
      number,
      expiry: '12 / 34',
      cvc: '123',
    }),
  });
}

const eventsFor = (customer: string, type: string) =>
  received.filter(({ event }) => {
    const object = event.data.object as { customer?: unknown; id?: string };
    return event.type === type && object.customer === customer;
  });

describe('the Stripe emulator front, held to the stripe package', () => {
  it('answers prices as Price objects, found by lookup key', async () => {
    const { data } = await stripe.prices.list({ lookup_keys: [priceLookupKey('pro')], active: true });
    expect(data).toHaveLength(1);
    expect(against(PRICE, data[0])).toEqual(conforms);
    expect(data[0]).toMatchObject({
      object: 'price',
      product: productId('pro'),
      type: 'recurring',
      recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
    });
    expect(await stripe.prices.retrieve(data[0]!.id)).toEqual(data[0]);
  });

  it('leaves line items out of a Checkout session unless they are expanded, and expands them to price objects', async () => {
    const customer = await stripe.customers.create({ name: 'Contract' });
    const created = await openCheckout(customer.id);
    expect(against(CHECKOUT_SESSION, created)).toEqual(conforms);
    expect(created).not.toHaveProperty('line_items');
    expect(created).toMatchObject({
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 4900,
      currency: 'usd',
    });

    const plain = await stripe.checkout.sessions.retrieve(created.id);
    expect(plain).not.toHaveProperty('line_items');
    const expanded = await stripe.checkout.sessions.retrieve(created.id, { expand: ['line_items'] });
    const items = expanded.line_items!;
    expect(items).toMatchObject({ object: 'list', has_more: false });
    expect(items.data).toHaveLength(1);
    expect(against(LINE_ITEM, items.data[0])).toEqual(conforms);
    expect(against(PRICE, items.data[0]!.price)).toEqual(conforms);
    expect(items.data[0]).toMatchObject({ description: 'Parley Pro', quantity: 1, amount_total: 4900 });
    expect(items.data[0]!.price).toEqual(await priceForPlan(stripe, 'pro'));
    // The line items' own endpoint gives the same list.
    expect((await stripe.checkout.sessions.listLineItems(created.id)).data).toEqual(items.data);
    // Expanding at creation works as well.
    const expandedAtCreation = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: items.data[0]!.price!.id, quantity: 2 }],
      success_url: 'http://127.0.0.1:9/ok',
      expand: ['line_items'],
    });
    expect(expandedAtCreation.line_items!.data[0]).toMatchObject({ quantity: 2, amount_total: 9800 });
  });

  it('refuses what Stripe refuses: an unknown expansion, an unknown price, no line items', async () => {
    const customer = await stripe.customers.create({ name: 'Contract' });
    const session = await openCheckout(customer.id);
    await expect(
      stripe.checkout.sessions.retrieve(session.id, { expand: ['nonsense'] }),
    ).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
    });
    await expect(
      stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: customer.id,
        line_items: [{ price: 'price_missing', quantity: 1 }],
        success_url: 'http://127.0.0.1:9/ok',
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'line_items' });
    await expect(
      stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: customer.id,
        success_url: 'http://x/',
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'line_items' });
    await expect(stripe.checkout.sessions.retrieve('cs_test_missing')).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('completes a session on its hosted page as Stripe does: subscription, signed events, success URL', async () => {
    const customer = await stripe.customers.create({ name: 'Contract' });
    const session = await openCheckout(customer.id);
    const page = await fetch(session.url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Parley Pro');

    const declined = await pay(session, '4000000000000002');
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Your card was declined.');
    expect((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toHaveLength(0);

    const paid = await pay(session, '4242 4242 4242 4242');
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(
      `http://127.0.0.1:9/console?checkout=success&session_id=${session.id}`,
    );
    const complete = await stripe.checkout.sessions.retrieve(session.id);
    expect(against(CHECKOUT_SESSION, complete)).toEqual(conforms);
    expect(complete).toMatchObject({
      status: 'complete',
      payment_status: 'paid',
      url: null,
      customer: customer.id,
    });
    const subscription = await stripe.subscriptions.retrieve(complete.subscription as string);
    expect(subscription).toMatchObject({ status: 'active', metadata: { organization_id: 'org_contract' } });
    // Subscription items carry their price, as Stripe's do.
    expect(against(PRICE, subscription.items.data[0]!.price)).toEqual(conforms);
    expect(subscription.items.data[0]!.price.lookup_key).toBe(priceLookupKey('pro'));
    // A completed session's page is closed.
    expect((await fetch(session.url!)).status).toBe(410);

    await eventually(() => {
      expect(eventsFor(customer.id, 'checkout.session.completed')).toHaveLength(1);
      expect(eventsFor(customer.id, 'invoice.paid')).toHaveLength(1);
      expect(eventsFor(customer.id, 'customer.subscription.created')).toHaveLength(1);
    });
    const [completed] = eventsFor(customer.id, 'checkout.session.completed');
    expect(completed!.verified).toBe(true);
    expect(against(EVENT, completed!.event)).toEqual(conforms);
    expect(completed!.event.api_version).toBe(STRIPE_API_VERSION);
    const object = completed!.event.data.object as Stripe.Checkout.Session;
    expect(against(CHECKOUT_SESSION, object)).toEqual(conforms);
    expect(object).not.toHaveProperty('line_items');
    expect(object).toMatchObject({ id: session.id, status: 'complete', subscription: subscription.id });
    const [invoicePaid] = eventsFor(customer.id, 'invoice.paid');
    expect(invoicePaid!.verified).toBe(true);
    expect(invoicePaid!.event.data.object).toMatchObject({
      object: 'invoice',
      status: 'paid',
      subscription: subscription.id,
    });
  });

  it('opens a portal session whose page cancels, renews and changes the plan, announcing each change', async () => {
    const customer = await stripe.customers.create({ name: 'Contract' });
    const checkout = await openCheckout(customer.id);
    expect((await pay(checkout, '4242424242424242')).status).toBe(303);
    const portal = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      return_url: 'http://127.0.0.1:9/console/billing',
    });
    expect(against(PORTAL_SESSION, portal)).toEqual(conforms);
    const page = await (await fetch(portal.url)).text();
    expect(page).toContain('Parley Pro');
    expect(page).toContain('Parley Enterprise');

    expect((await fetch(`${portal.url}/cancel`, { method: 'POST', redirect: 'manual' })).status).toBe(303);
    const [subscription] = (await stripe.subscriptions.list({ customer: customer.id })).data;
    expect(subscription!.cancel_at_period_end).toBe(true);
    await eventually(() => {
      const updates = eventsFor(customer.id, 'customer.subscription.updated');
      expect(updates).toHaveLength(1);
      expect(updates[0]!.verified).toBe(true);
      const data = updates[0]!.event.data as { previous_attributes?: Record<string, unknown> };
      expect(data.previous_attributes).toMatchObject({ cancel_at_period_end: false });
    });
    expect((await fetch(`${portal.url}/renew`, { method: 'POST', redirect: 'manual' })).status).toBe(303);

    const enterprise = await priceForPlan(stripe, 'enterprise');
    const change = await fetch(`${portal.url}/update`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ price: enterprise.id }),
    });
    expect(change.status).toBe(303);
    const [changed] = (await stripe.subscriptions.list({ customer: customer.id })).data;
    expect(changed!.items.data[0]!.price).toEqual(enterprise);
    expect(changed!.cancel_at_period_end).toBe(false);
    await eventually(() => expect(eventsFor(customer.id, 'customer.subscription.updated')).toHaveLength(3));
  });
});
