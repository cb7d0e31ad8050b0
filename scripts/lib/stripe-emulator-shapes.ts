import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../../src/billing/stripe';

/**
 * The objects the Stripe emulator's front answers with, in the shapes of the API version Parley speaks
 * (`stripe` package types): every field Stripe always sends is present (null when it does not apply),
 * and expandable fields hold ids unless expanded. tests/billing/stripe-emulator-contract.test.ts
 * checks them against the package's types.
 */

/** A localstripe Plan: every Price of the emulator is stored as one, with the same id. */
export interface PlanObject {
  id: string;
  product: string;
  amount: number;
  currency: string;
  interval: Stripe.Price.Recurring.Interval;
  interval_count: number;
  active: boolean;
  nickname: string | null;
  metadata: Record<string, string> | null;
  created: number;
}

/** Where a price's lookup key is kept in its plan's metadata (localstripe has no lookup keys). */
export const LOOKUP_KEY = 'lookup_key';

export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;
export const now = (): number => Math.floor(Date.now() / 1000);

export function toPrice(plan: PlanObject): Stripe.Price {
  const { [LOOKUP_KEY]: lookupKey, ...metadata } = plan.metadata ?? {};
  return {
    id: plan.id,
    object: 'price',
    active: plan.active,
    billing_scheme: 'per_unit',
    created: plan.created,
    currency: plan.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: lookupKey || null,
    metadata,
    nickname: plan.nickname,
    product: plan.product,
    recurring: {
      aggregate_usage: null,
      interval: plan.interval,
      interval_count: plan.interval_count,
      meter: null,
      trial_period_days: null,
      usage_type: 'licensed',
    },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: plan.amount,
    unit_amount_decimal: String(plan.amount),
  };
}

/** A Checkout line item: the price object itself, never `{ id }`. */
export function toLineItem(
  id: string,
  price: Stripe.Price,
  quantity: number,
  description: string,
): Stripe.LineItem {
  const amount = (price.unit_amount ?? 0) * quantity;
  return {
    id,
    object: 'item',
    amount_discount: 0,
    amount_subtotal: amount,
    amount_tax: 0,
    amount_total: amount,
    currency: price.currency,
    description,
    price,
    quantity,
  };
}

/** What the front keeps of a Checkout session; the API object is built from it on every answer. */
export interface CheckoutRecord {
  id: string;
  /** The secret key that created it: the hosted page acts for that account. */
  auth: string;
  mode: Stripe.Checkout.Session.Mode;
  status: Stripe.Checkout.Session.Status;
  paymentStatus: Stripe.Checkout.Session.PaymentStatus;
  customer: string | null;
  customerEmail: string | null;
  customerDetails: { email: string | null; name: string | null } | null;
  clientReferenceId: string | null;
  successUrl: string;
  cancelUrl: string | null;
  metadata: Record<string, string>;
  subscriptionMetadata: Record<string, string>;
  lineItems: Stripe.LineItem[];
  subscription: string | null;
  invoice: string | null;
  created: number;
  expiresAt: number;
  url: string;
}

export function toCheckoutSession(record: CheckoutRecord): Stripe.Checkout.Session {
  const total = record.lineItems.reduce((sum, item) => sum + item.amount_total, 0);
  const currency = record.lineItems[0]?.currency ?? null;
  return {
    id: record.id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: null,
    amount_subtotal: total,
    amount_total: total,
    automatic_tax: { enabled: false, liability: null, status: null },
    billing_address_collection: null,
    cancel_url: record.cancelUrl,
    client_reference_id: record.clientReferenceId,
    client_secret: null,
    consent: null,
    consent_collection: null,
    created: record.created,
    currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: {
      after_submit: null,
      shipping_address: null,
      submit: null,
      terms_of_service_acceptance: null,
    },
    customer: record.customer,
    customer_creation: record.customer ? null : 'always',
    customer_details: record.customerDetails
      ? {
          address: null,
          email: record.customerDetails.email,
          name: record.customerDetails.name,
          phone: null,
          tax_exempt: 'none',
          tax_ids: [],
        }
      : null,
    customer_email: record.customerEmail,
    discounts: [],
    expires_at: record.expiresAt,
    invoice: record.invoice,
    invoice_creation: null,
    livemode: false,
    locale: null,
    metadata: record.metadata,
    mode: record.mode,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: 'always',
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    payment_status: record.paymentStatus,
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_details: null,
    shipping_options: [],
    status: record.status,
    submit_type: null,
    subscription: record.subscription,
    success_url: record.successUrl,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: record.status === 'open' ? record.url : null,
  };
}

export interface PortalRecord {
  id: string;
  auth: string;
  customer: string;
  returnUrl: string | null;
  created: number;
  url: string;
}

export function toPortalSession(record: PortalRecord): Stripe.BillingPortal.Session {
  return {
    id: record.id,
    object: 'billing_portal.session',
    configuration: 'bpc_emulator_default',
    created: record.created,
    customer: record.customer,
    flow: null,
    livemode: false,
    locale: null,
    on_behalf_of: null,
    return_url: record.returnUrl,
    url: record.url,
  };
}

export function toList<T>(url: string, data: T[], hasMore = false): Stripe.ApiList<T> {
  return { object: 'list', url, has_more: hasMore, data };
}

/** An event as Stripe delivers it to webhook endpoints. */
export function toEvent(
  type: string,
  object: { object: string },
  previousAttributes?: Record<string, unknown>,
): Stripe.Event {
  return {
    id: newId('evt'),
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: now(),
    data: { object, ...(previousAttributes ? { previous_attributes: previousAttributes } : {}) },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  } as unknown as Stripe.Event;
}

/** A localstripe subscription with what Stripe's has too: each item's `price` beside its legacy `plan`. */
export function withItemPrices(subscription: Record<string, unknown>): Record<string, unknown> {
  const items = subscription.items as { data?: { plan?: PlanObject }[] } | undefined;
  if (!items?.data) return subscription;
  return {
    ...subscription,
    items: {
      ...items,
      data: items.data.map((item) => (item.plan ? { ...item, price: toPrice(item.plan) } : item)),
    },
  };
}
