import type { PaidPlan, Plan } from './plans';

/**
 * The subscription lifecycle's rules, pure so the workflow can run them deterministically. Stripe is the
 * source of truth: every event only says "something changed", and the workflow re-reads the customer's
 * current subscription and moves to the state derived from it, so duplicated, late or reordered events
 * all end in the same state.
 */

export const BILLING_STATUSES = ['free', 'trialing', 'active', 'past_due', 'canceled'] as const;
export type BillingStatus = (typeof BILLING_STATUSES)[number];

export interface BillingState {
  plan: Plan;
  status: BillingStatus;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  /** Epoch milliseconds; usage is counted per billing period. */
  currentPeriodStart: number | null;
  currentPeriodEnd: number | null;
  cancelAtPeriodEnd: boolean;
  /** Epoch milliseconds: when a subscription whose payment failed drops to Free. */
  graceUntil: number | null;
}

export const FREE_STATE: BillingState = {
  plan: 'free',
  status: 'free',
  stripeCustomerId: null,
  stripeSubscriptionId: null,
  currentPeriodStart: null,
  currentPeriodEnd: null,
  cancelAtPeriodEnd: false,
  graceUntil: null,
};

/** What the workflow needs of a Stripe subscription (read by an activity). */
export interface SubscriptionSnapshot {
  id: string;
  customerId: string;
  /** Stripe's status: incomplete, incomplete_expired, trialing, active, past_due, unpaid, canceled, paused. */
  status: string;
  /** The Parley plan of its price; null for a price that is not ours. */
  plan: PaidPlan | null;
  currentPeriodStart: number;
  currentPeriodEnd: number;
  cancelAtPeriodEnd: boolean;
  created: number;
}

const LIVE = ['active', 'trialing', 'past_due', 'unpaid'];

/**
 * The subscription that decides a customer's plan when it has several (an old canceled one and a new
 * one, say): the newest live one, else the newest awaiting its first payment, else the newest ended one.
 */
export function currentSubscription(subscriptions: SubscriptionSnapshot[]): SubscriptionSnapshot | null {
  const newest = (list: SubscriptionSnapshot[]) => [...list].sort((a, b) => b.created - a.created)[0] ?? null;
  return (
    newest(subscriptions.filter((s) => LIVE.includes(s.status))) ??
    newest(subscriptions.filter((s) => s.status === 'incomplete')) ??
    newest(subscriptions)
  );
}

export const isPaymentFailing = (snapshot: SubscriptionSnapshot | null): boolean =>
  snapshot !== null && (snapshot.status === 'past_due' || snapshot.status === 'unpaid');

/** The organization's state once Stripe says `snapshot` is the current subscription (null: none). */
export function deriveState(
  state: BillingState,
  snapshot: SubscriptionSnapshot | null,
  now: number,
  graceMs: number,
): BillingState {
  const base = { ...state, ...(snapshot ? { stripeCustomerId: snapshot.customerId } : {}) };
  const ended: BillingState = {
    ...base,
    plan: 'free',
    status: snapshot || state.stripeSubscriptionId ? 'canceled' : 'free',
    stripeSubscriptionId: snapshot?.id ?? state.stripeSubscriptionId,
    currentPeriodStart: null,
    currentPeriodEnd: null,
    cancelAtPeriodEnd: false,
    graceUntil: null,
  };
  if (!snapshot) return ended;
  // A checkout whose first payment has not gone through changes nothing yet.
  if (snapshot.status === 'incomplete') return base;
  // A price that is not one of ours grants nothing.
  if (!snapshot.plan) return ended;
  const paid = {
    ...base,
    plan: snapshot.plan,
    stripeSubscriptionId: snapshot.id,
    currentPeriodStart: snapshot.currentPeriodStart,
    currentPeriodEnd: snapshot.currentPeriodEnd,
    cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
  };
  if (snapshot.status === 'active' || snapshot.status === 'trialing') {
    return { ...paid, status: snapshot.status, graceUntil: null };
  }
  if (isPaymentFailing(snapshot)) {
    // The grace period opens once, at the first failure seen; later events do not extend it.
    const graceUntil =
      state.status === 'past_due' && state.graceUntil !== null ? state.graceUntil : now + graceMs;
    return { ...paid, status: 'past_due', graceUntil };
  }
  return ended;
}

/** After the grace period of an unpaid subscription: Free, the Stripe subscription canceled. */
export function downgraded(state: BillingState): BillingState {
  return {
    ...state,
    plan: 'free',
    status: 'canceled',
    currentPeriodStart: null,
    currentPeriodEnd: null,
    cancelAtPeriodEnd: false,
    graceUntil: null,
  };
}

export const sameState = (a: BillingState, b: BillingState): boolean =>
  (Object.keys(a) as (keyof BillingState)[]).every((key) => a[key] === b[key]);
