import Stripe from 'stripe';
import type { Config } from '../config';
import { PAID_PLANS, PLAN_CATALOG, type PaidPlan } from '../domain/plans';

/** Stripe access shared by the API, the worker and `npm run stripe:sync`. */

/** The API version the code and the emulator speak (stripe-node 17's own). */
export const STRIPE_API_VERSION = '2025-02-24.acacia';

export class BillingNotConfiguredError extends Error {
  constructor() {
    super('Billing is not configured: set STRIPE_SECRET_KEY');
    this.name = 'BillingNotConfiguredError';
  }
}

/** A client for the configured account; STRIPE_API_BASE points it at the emulator in development. */
export function createStripe(billing: Config['billing']): Stripe | undefined {
  if (!billing.stripe) return undefined;
  const base = billing.stripe.apiBase ? new URL(billing.stripe.apiBase) : undefined;
  return new Stripe(billing.stripe.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: 2,
    timeout: 20_000,
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
          protocol: base.protocol.replace(':', '') as 'http' | 'https',
        }
      : {}),
  });
}

/** Stable names in Stripe: a product id per plan and a price lookup key per plan and interval. */
export const productId = (plan: PaidPlan): string => `parley_${plan}`;
export const priceLookupKey = (plan: PaidPlan): string => `parley_${plan}_monthly`;

/** The Parley plan a Stripe price stands for, from its lookup key; undefined for foreign prices. */
export function planOfLookupKey(lookupKey: string | null | undefined): PaidPlan | undefined {
  return PAID_PLANS.find((plan) => priceLookupKey(plan) === lookupKey);
}

export interface SyncReport {
  products: { plan: PaidPlan; id: string; action: 'created' | 'updated' | 'unchanged' }[];
  prices: { plan: PaidPlan; id: string; action: 'created' | 'replaced' | 'unchanged' }[];
}

/**
 * Creates or updates one product and one monthly price per paid plan, idempotently: products have fixed
 * ids, prices are found by lookup key. A price whose amount changed is replaced (Stripe prices are
 * immutable): the new one takes over the lookup key and the old one is archived, so existing
 * subscriptions keep theirs until they change plan.
 */
export async function syncCatalog(stripe: Stripe): Promise<SyncReport> {
  const report: SyncReport = { products: [], prices: [] };
  for (const plan of PAID_PLANS) {
    const definition = PLAN_CATALOG[plan];
    const id = productId(plan);
    const wanted = {
      name: `Parley ${definition.name}`,
      description: definition.features.join(' · '),
      metadata: { parley_plan: plan },
    };
    const existing = await stripe.products.retrieve(id).catch((error: unknown) => {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    });
    if (!existing) {
      await stripe.products.create({ id, ...wanted });
      report.products.push({ plan, id, action: 'created' });
    } else if (existing.name !== wanted.name || existing.metadata?.parley_plan !== plan) {
      await stripe.products.update(id, { name: wanted.name, metadata: wanted.metadata });
      report.products.push({ plan, id, action: 'updated' });
    } else {
      report.products.push({ plan, id, action: 'unchanged' });
    }

    const lookupKey = priceLookupKey(plan);
    const { data } = await stripe.prices.list({ lookup_keys: [lookupKey], limit: 1 });
    const current = data[0];
    if (
      current &&
      current.active &&
      current.unit_amount === definition.priceCents &&
      current.currency === 'usd' &&
      current.recurring?.interval === 'month'
    ) {
      report.prices.push({ plan, id: current.id, action: 'unchanged' });
      continue;
    }
    const created = await stripe.prices.create({
      product: id,
      currency: 'usd',
      unit_amount: definition.priceCents,
      recurring: { interval: 'month' },
      lookup_key: lookupKey,
      transfer_lookup_key: true,
      nickname: `${definition.name} monthly`,
      metadata: { parley_plan: plan },
    });
    if (current) await stripe.prices.update(current.id, { active: false });
    report.prices.push({ plan, id: created.id, action: current ? 'replaced' : 'created' });
  }
  return report;
}

/** The price to sell for a plan; a missing price means `npm run stripe:sync` has not run. */
export async function priceForPlan(stripe: Stripe, plan: PaidPlan): Promise<Stripe.Price> {
  const { data } = await stripe.prices.list({ lookup_keys: [priceLookupKey(plan)], active: true, limit: 1 });
  const price = data[0];
  if (!price) throw new Error(`No active Stripe price for the ${plan} plan: run npm run stripe:sync`);
  return price;
}
