import type Stripe from 'stripe';
import { createStripe, priceForPlan } from '../../src/billing/stripe';
import { loadConfig } from '../../src/config';
import type { PaidPlan } from '../../src/domain/plans';

/**
 * The Stripe emulator (localstripe behind scripts/stripe-emulator-front.ts, started by
 * scripts/services.sh) as tests drive it: what a customer does on Stripe's side — paying through
 * Checkout, a card that starts failing — done directly against the emulator.
 */

export function testStripe(): Stripe {
  const stripe = createStripe(loadConfig().billing);
  if (!stripe) throw new Error('STRIPE_SECRET_KEY is not set for the tests (see tests/setup/env.ts)');
  return stripe;
}

/** A card token; 4242… pays, 4000002760003184 asks for authentication (which tests then fail). */
async function cardToken(stripe: Stripe, number: string): Promise<string> {
  const token = await stripe.tokens.create({
    card: { number, exp_month: '12', exp_year: '2030', cvc: '123' },
  } as Stripe.TokenCreateParams);
  return token.id;
}

/** What completing Checkout does: a card on the customer and a paid subscription to the plan's price. */
export async function subscribe(
  stripe: Stripe,
  customerId: string,
  plan: PaidPlan,
): Promise<Stripe.Subscription> {
  const source = await stripe.customers.createSource(customerId, {
    source: await cardToken(stripe, '4242424242424242'),
  });
  await stripe.customers.update(customerId, { default_source: source.id });
  const price = await priceForPlan(stripe, plan);
  return stripe.subscriptions.create({ customer: customerId, items: [{ price: price.id }] });
}

/**
 * A renewal whose payment fails: the customer's card now needs authentication, an invoice for the
 * subscription is paid with it, and the authentication fails. Stripe marks the subscription past_due.
 */
export async function failRenewal(stripe: Stripe, customerId: string, subscriptionId: string): Promise<void> {
  const source = await stripe.customers.createSource(customerId, {
    source: await cardToken(stripe, '4000002760003184'),
  });
  await stripe.customers.update(customerId, { default_source: source.id });
  const invoice = await stripe.invoices.create({ customer: customerId, subscription: subscriptionId });
  const paid = await stripe.invoices.pay(invoice.id);
  const intentId = typeof paid.payment_intent === 'string' ? paid.payment_intent : paid.payment_intent!.id;
  const intent = await stripe.paymentIntents.retrieve(intentId);
  await stripe.rawRequest('POST', `/v1/payment_intents/${intentId}/_authenticate`, {
    client_secret: intent.client_secret,
    success: 'false',
  });
}

/** Every event the emulator recorded about a customer, oldest first (real payloads, to re-deliver). */
export async function eventsOf(stripe: Stripe, customerId: string): Promise<Stripe.Event[]> {
  const events: Stripe.Event[] = [];
  for await (const event of stripe.events.list({ limit: 100 })) {
    const object = event.data.object as { id?: string; customer?: unknown; object?: string };
    if (object.customer === customerId || (object.object === 'customer' && object.id === customerId)) {
      events.push(event);
    }
  }
  return events.reverse();
}

/** Signs `payload` as Stripe does (t=…,v1=…) with the configured webhook secret, or another. */
export function sign(
  stripe: Stripe,
  payload: string,
  options: { secret?: string; timestamp?: number } = {},
): string {
  return stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? loadConfig().billing.webhookSecret!,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  });
}

export async function postWebhook(
  baseUrl: string,
  payload: string,
  signature?: string,
): Promise<{ status: number; body: Record<string, unknown>; contentType: string | null }> {
  const response = await fetch(`${baseUrl}/webhooks/stripe`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(signature ? { 'stripe-signature': signature } : {}),
    },
    body: payload,
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    contentType: response.headers.get('content-type'),
  };
}

/** Waits until `check` passes (polling), for state that workflows write in the background. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
