import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Knex } from 'knex';
import type Stripe from 'stripe';
import type { Config } from '../config';
import { Organization, Subscription } from '../db/models';
import { emitWebhookEvent } from '../services/webhooks';
import { planOfLookupKey, priceForPlan } from '../billing/stripe';
import {
  currentSubscription,
  FREE_STATE,
  type BillingState,
  type SubscriptionSnapshot,
} from '../domain/billing';
import type { PaidPlan } from '../domain/plans';
import type { Logger } from '../lib/logger';

/**
 * Billing activities: every Stripe call of the subscription workflow, and the writes of its state.
 * Stripe writes carry an idempotency key derived from the workflow and activity ids, so a retried
 * activity cannot create a second customer or session.
 */

export interface BillingDependencies {
  knex: Knex;
  stripe?: Stripe;
  logger: Logger;
  billing: Config['billing'];
}

/**
 * `<workflow id>/<run id>/<activity id>`: the same for every attempt of one activity, different for any
 * other. The run id keeps keys apart across continue-as-new, where activity ids start again at 1.
 */
export function idempotencyKey(): string {
  const { workflowExecution, activityId } = Context.current().info;
  if (!workflowExecution) throw new Error('Stripe writes run as activities of a workflow');
  return `${workflowExecution.workflowId}/${workflowExecution.runId}/${activityId}`;
}

const ms = (seconds: number) => seconds * 1000;

function toSnapshot(subscription: Stripe.Subscription): SubscriptionSnapshot {
  const item = subscription.items.data[0];
  const lookupKey = item?.price?.lookup_key;
  return {
    id: subscription.id,
    customerId: typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id,
    status: subscription.status,
    plan: planOfLookupKey(lookupKey) ?? null,
    currentPeriodStart: ms(subscription.current_period_start),
    currentPeriodEnd: ms(subscription.current_period_end),
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
    created: ms(subscription.created),
  };
}

const isMissing = (error: unknown) => (error as { statusCode?: number }).statusCode === 404;

export function createBillingActivities(deps: BillingDependencies) {
  const { knex } = deps;
  const stripe = (): Stripe => {
    if (!deps.stripe) {
      throw ApplicationFailure.create({
        type: 'BillingNotConfigured',
        message: 'Billing is not configured: set STRIPE_SECRET_KEY',
        nonRetryable: true,
      });
    }
    return deps.stripe;
  };

  /**
   * The plan of a subscription whose item carries no price lookup key: older API shapes (and the
   * emulator) give only the legacy plan, whose id is the price's id.
   */
  async function withPlan(
    snapshot: SubscriptionSnapshot,
    raw: Stripe.Subscription,
  ): Promise<SubscriptionSnapshot> {
    if (snapshot.plan) return snapshot;
    const priceId = raw.items.data[0]?.price?.id ?? raw.items.data[0]?.plan?.id;
    if (!priceId) return snapshot;
    const price = await stripe().prices.retrieve(priceId);
    return { ...snapshot, plan: planOfLookupKey(price.lookup_key) ?? null };
  }

  return {
    async loadBillingState(input: { organizationId: string }): Promise<BillingState> {
      const row = await Subscription.query(knex).forOrganization(input.organizationId).first();
      if (!row) return FREE_STATE;
      return {
        plan: row.plan,
        status: row.status,
        stripeCustomerId: row.stripeCustomerId,
        stripeSubscriptionId: row.stripeSubscriptionId,
        currentPeriodStart: row.currentPeriodStart?.getTime() ?? null,
        currentPeriodEnd: row.currentPeriodEnd?.getTime() ?? null,
        cancelAtPeriodEnd: row.cancelAtPeriodEnd,
        graceUntil: row.graceUntil?.getTime() ?? null,
      };
    },

    /** Writes the workflow's state: the subscription row and the organization's plan, together. */
    async saveBillingState(input: { organizationId: string; state: BillingState }): Promise<void> {
      const { organizationId, state } = input;
      const date = (value: number | null) => (value === null ? null : new Date(value));
      const row = {
        plan: state.plan,
        status: state.status,
        stripeCustomerId: state.stripeCustomerId,
        stripeSubscriptionId: state.stripeSubscriptionId,
        currentPeriodStart: date(state.currentPeriodStart),
        currentPeriodEnd: date(state.currentPeriodEnd),
        cancelAtPeriodEnd: state.cancelAtPeriodEnd,
        graceUntil: date(state.graceUntil),
      };
      await knex.transaction(async (trx) => {
        const existing = await Subscription.query(trx).forOrganization(organizationId).first().forUpdate();
        if (existing) {
          if (
            existing.currentPeriodStart?.getTime() !== state.currentPeriodStart &&
            state.currentPeriodStart
          ) {
            // Usage is counted per billing period: a new period starts from zero.
            deps.logger.info(
              { organizationId, periodStart: row.currentPeriodStart },
              'billing period rolled over',
            );
          }
          await Subscription.query(trx).forOrganization(organizationId).patch(row).where('id', existing.id);
        } else {
          await Subscription.query(trx).forOrganization(organizationId).insert(row);
        }
        const changed =
          !existing ||
          existing.plan !== row.plan ||
          existing.status !== row.status ||
          existing.cancelAtPeriodEnd !== row.cancelAtPeriodEnd ||
          existing.currentPeriodEnd?.getTime() !== row.currentPeriodEnd?.getTime();
        if (changed) {
          await emitWebhookEvent(trx, organizationId, 'subscription.updated', {
            plan: row.plan,
            status: row.status,
            cancelAtPeriodEnd: row.cancelAtPeriodEnd,
            currentPeriodEnd: row.currentPeriodEnd?.toISOString() ?? null,
            graceUntil: row.graceUntil?.toISOString() ?? null,
          });
        }
        await Organization.query(trx).findById(organizationId).patch({ plan: state.plan });
      });
    },

    /** The organization's Stripe customer, created once (the id is stored before it is used). */
    async ensureStripeCustomer(input: { organizationId: string }): Promise<string> {
      const scope = input.organizationId;
      const row = await Subscription.query(knex).forOrganization(scope).first();
      if (row?.stripeCustomerId) return row.stripeCustomerId;
      const organization = await Organization.query(knex).findById(scope).throwIfNotFound();
      const customer = await stripe().customers.create(
        { name: organization.name, metadata: { organization_id: scope } },
        { idempotencyKey: idempotencyKey() },
      );
      if (row) {
        await Subscription.query(knex)
          .forOrganization(scope)
          .patch({ stripeCustomerId: customer.id })
          .where('id', row.id);
      } else {
        await Subscription.query(knex).forOrganization(scope).insert({ stripeCustomerId: customer.id });
      }
      return customer.id;
    },

    /** The customer's current subscription, read from Stripe (the source of truth), or null. */
    async fetchCurrentSubscription(input: { customerId: string }): Promise<SubscriptionSnapshot | null> {
      const raw: Stripe.Subscription[] = [];
      for await (const subscription of stripe().subscriptions.list({
        customer: input.customerId,
        status: 'all',
        limit: 100,
      })) {
        raw.push(subscription);
      }
      const current = currentSubscription(raw.map(toSnapshot));
      if (!current) return null;
      return withPlan(
        current,
        raw.find((s) => s.id === current.id)!,
      );
    },

    async createCheckoutSession(input: {
      organizationId: string;
      customerId: string;
      plan: PaidPlan;
      successUrl: string;
      cancelUrl: string;
    }): Promise<{ sessionId: string; url: string }> {
      const price = await priceForPlan(stripe(), input.plan);
      const session = await stripe().checkout.sessions.create(
        {
          mode: 'subscription',
          customer: input.customerId,
          client_reference_id: input.organizationId,
          line_items: [{ price: price.id, quantity: 1 }],
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
          metadata: { organization_id: input.organizationId },
          subscription_data: { metadata: { organization_id: input.organizationId } },
        },
        { idempotencyKey: idempotencyKey() },
      );
      if (!session.url) throw new Error('Stripe returned a Checkout session without a URL');
      return { sessionId: session.id, url: session.url };
    },

    async createPortalSession(input: { customerId: string; returnUrl: string }): Promise<{ url: string }> {
      const session = await stripe().billingPortal.sessions.create(
        { customer: input.customerId, return_url: input.returnUrl },
        { idempotencyKey: idempotencyKey() },
      );
      return { url: session.url };
    },

    async setCancelAtPeriodEnd(input: { subscriptionId: string; cancel: boolean }): Promise<void> {
      await stripe().subscriptions.update(
        input.subscriptionId,
        { cancel_at_period_end: input.cancel },
        { idempotencyKey: idempotencyKey() },
      );
    },

    /** Ends an unpaid subscription at once (after the grace period); an already ended one is fine. */
    async cancelStripeSubscription(input: { subscriptionId: string }): Promise<void> {
      await stripe()
        .subscriptions.cancel(input.subscriptionId, {}, { idempotencyKey: idempotencyKey() })
        .catch((error: unknown) => {
          if (!isMissing(error)) throw error;
        });
    },
  };
}
