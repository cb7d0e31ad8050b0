/** The plan catalog, defined once: limits here drive metering, seat checks, billing and the pricing page. */

export const PLANS = ['free', 'pro', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];
/** Plans sold through Stripe. */
export const PAID_PLANS = ['pro', 'enterprise'] as const;
export type PaidPlan = (typeof PAID_PLANS)[number];

export interface PlanDefinition {
  id: Plan;
  name: string;
  /** Monthly price in US cents. */
  priceCents: number;
  /** Answered visitor messages per calendar month; null means unlimited. */
  monthlyMessages: number | null;
  /** Memberships (seats); null means unlimited. */
  seats: number | null;
  features: string[];
}

export const PLAN_CATALOG: Record<Plan, PlanDefinition> = {
  free: {
    id: 'free',
    name: 'Free',
    priceCents: 0,
    monthlyMessages: 100,
    seats: 1,
    features: ['100 messages a month', '1 user', 'Basic analytics'],
  },
  pro: {
    id: 'pro',
    name: 'Pro',
    priceCents: 4900,
    monthlyMessages: 5000,
    seats: 5,
    features: ['5,000 messages a month', '5 users', 'Advanced analytics', 'Priority support'],
  },
  enterprise: {
    id: 'enterprise',
    name: 'Enterprise',
    priceCents: 19900,
    monthlyMessages: null,
    seats: null,
    features: ['Unlimited messages', 'Unlimited users', 'Custom integrations', 'Dedicated support'],
  },
};
