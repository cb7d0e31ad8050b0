import {
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowIdConflictPolicy,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Knex } from 'knex';
import type Stripe from 'stripe';
import type { Config } from '../config';
import { Subscription, WebhookEvent } from '../db/models';
import type { BillingStatus } from '../domain/billing';
import { PLAN_CATALOG, type PaidPlan, type Plan } from '../domain/plans';
import { problems } from '../lib/problem';
import type { Logger } from '../lib/logger';
import type { TemporalGateway } from '../temporal/client';
import {
  cancelAtPeriodEndUpdate,
  checkoutUpdate,
  portalUpdate,
  stripeEventSignal,
  subscriptionWorkflowId,
  type StripeEventNotice,
  type SubscriptionInput,
} from '../workflows/contracts';
import type { subscriptionLifecycle } from '../workflows/subscription';
import { usageSummary, type MetricUsage } from './usage';

/**
 * The API's side of billing: reads the organization's subscription, and hands everything that talks to
 * Stripe to the organization's subscription workflow (updates for requests, signals for webhooks).
 */

export const ORGANIZATION_ID = defineSearchAttributeKey('OrganizationId', SearchAttributeType.KEYWORD);

/** Events that can change a subscription; any other type is acknowledged and ignored. */
export const SUBSCRIPTION_EVENTS = new Set([
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.payment_failed',
]);

export interface BillingOverview {
  plan: Plan;
  planName: string;
  status: BillingStatus;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  /** The subscription ends (back to Free) when the period ends. */
  cancelAtPeriodEnd: boolean;
  /** Set while a payment has failed: the plan drops to Free at this time unless paid. */
  graceUntil: Date | null;
  usagePeriodStart: Date;
  usagePeriodEnd: Date;
  usage: MetricUsage[];
}

export interface WebhookOutcome {
  /** `delivered` to the subscription workflow, `duplicate` (seen before) or `ignored` (type or customer). */
  outcome: 'delivered' | 'duplicate' | 'ignored';
}

/** How long an update may take before the API answers 503 (the workflow carries on). */
const UPDATE_TIMEOUT_MS = 30_000;

function customerOf(event: Stripe.Event): string | undefined {
  const object = event.data.object as { object?: string; id?: string; customer?: unknown };
  if (object.object === 'customer') return object.id;
  if (typeof object.customer === 'string') return object.customer;
  return (object.customer as { id?: string } | null | undefined)?.id;
}

/** What the billing functions use: the API's connections and configuration. */
export interface BillingDeps {
  knex: Knex;
  temporal: TemporalGateway;
  config: Config;
  logger: Logger;
}

function startOptions(deps: BillingDeps, organizationId: string) {
  const input: Omit<SubscriptionInput, 'organizationId'> = {
    graceMs: deps.config.billing.graceDays * 24 * 3600 * 1000,
  };
  return {
    workflowId: subscriptionWorkflowId(organizationId),
    taskQueue: deps.temporal.taskQueue,
    args: [{ organizationId, ...input }] as [SubscriptionInput],
    typedSearchAttributes: [{ key: ORGANIZATION_ID, value: organizationId }],
  };
}

function requireStripe(deps: BillingDeps): void {
  if (!deps.config.billing.stripe) {
    throw problems.unavailable('Billing is not configured on this server (STRIPE_SECRET_KEY).');
  }
}

/** The organization's workflow, started when it is not running yet. */
async function subscriptionWorkflow(
  deps: BillingDeps,
  organizationId: string,
): Promise<WorkflowHandle<typeof subscriptionLifecycle>> {
  const client = await deps.temporal.getClient();
  return client.workflow.start<typeof subscriptionLifecycle>('subscriptionLifecycle', {
    ...startOptions(deps, organizationId),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

/** Runs an update, turning the workflow's refusals into problems and a slow one into 503. */
async function runUpdate<T>(deps: BillingDeps, run: () => Promise<T>): Promise<T> {
  const client = await deps.temporal.getClient();
  try {
    // A deadline on the calls themselves: with no worker running, the client would poll without end.
    return await client.withDeadline(Date.now() + UPDATE_TIMEOUT_MS, run);
  } catch (error) {
    if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw problems.unavailable('Stripe is taking too long to answer; try again shortly.');
    }
    if (error instanceof WorkflowUpdateFailedError) {
      const cause = error.cause;
      if (
        cause instanceof ApplicationFailure &&
        cause.type &&
        ['AlreadySubscribed', 'NoSubscription'].includes(cause.type)
      ) {
        throw problems.conflict(cause.message);
      }
      deps.logger.warn({ err: error }, 'billing request failed in the subscription workflow');
      throw problems.unavailable('Stripe did not accept the request; try again shortly.');
    }
    throw error;
  }
}

export async function billingOverview(deps: BillingDeps, organizationId: string): Promise<BillingOverview> {
  const [subscription, usage] = await Promise.all([
    Subscription.query(deps.knex).forOrganization(organizationId).first(),
    usageSummary(deps.knex, organizationId),
  ]);
  return {
    plan: usage.plan,
    planName: PLAN_CATALOG[usage.plan].name,
    status: subscription?.status ?? 'free',
    currentPeriodStart: subscription?.currentPeriodStart ?? null,
    currentPeriodEnd: subscription?.currentPeriodEnd ?? null,
    cancelAtPeriodEnd: subscription?.cancelAtPeriodEnd ?? false,
    graceUntil: subscription?.graceUntil ?? null,
    usagePeriodStart: usage.periodStart,
    usagePeriodEnd: usage.periodEnd,
    usage: usage.metrics,
  };
}

/** A Stripe Checkout session (subscription mode) for `plan`; the customer pays on Stripe's page. */
export async function startCheckout(
  deps: BillingDeps,
  organizationId: string,
  plan: PaidPlan,
): Promise<{ sessionId: string; url: string }> {
  requireStripe(deps);
  const returnUrl = deps.config.billing.returnUrl;
  const handle = await subscriptionWorkflow(deps, organizationId);
  return runUpdate(deps, () =>
    handle.executeUpdate(checkoutUpdate, {
      args: [
        {
          plan,
          successUrl: `${returnUrl}?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
          cancelUrl: `${returnUrl}?checkout=canceled`,
        },
      ],
    }),
  );
}

/** A Stripe Billing Portal session: payment methods, invoices, plan changes. */
export async function openBillingPortal(deps: BillingDeps, organizationId: string): Promise<{ url: string }> {
  requireStripe(deps);
  const handle = await subscriptionWorkflow(deps, organizationId);
  return runUpdate(deps, () =>
    handle.executeUpdate(portalUpdate, { args: [{ returnUrl: deps.config.billing.returnUrl }] }),
  );
}

/** Cancels at the end of the paid period (back to Free then), or takes that back. */
export async function setCancelAtPeriodEnd(
  deps: BillingDeps,
  organizationId: string,
  cancel: boolean,
): Promise<BillingOverview> {
  requireStripe(deps);
  const handle = await subscriptionWorkflow(deps, organizationId);
  await runUpdate(deps, () => handle.executeUpdate(cancelAtPeriodEndUpdate, { args: [{ cancel }] }));
  return billingOverview(deps, organizationId);
}

/**
 * Records a verified Stripe event once and hands it to the organization's workflow. Redeliveries of a
 * delivered event are acknowledged and ignored; the row lock makes concurrent redeliveries wait for the
 * first. When Temporal is down nothing is recorded, the caller answers 503, and Stripe retries.
 */
export async function receiveStripeEvent(deps: BillingDeps, event: Stripe.Event): Promise<WebhookOutcome> {
  const { knex, logger } = deps;
  return knex.transaction(async (trx) => {
    await WebhookEvent.query(trx)
      .insert({ id: event.id, provider: 'stripe', type: event.type, payload: event as never })
      .onConflict('id')
      .ignore();
    const row = await WebhookEvent.query(trx).findById(event.id).forUpdate().throwIfNotFound();
    if (row.processedAt) return { outcome: 'duplicate' as const };

    let organizationId: string | null = null;
    const customerId = customerOf(event);
    if (!SUBSCRIPTION_EVENTS.has(event.type)) {
      logger.info({ eventId: event.id, type: event.type }, 'Stripe event type ignored');
    } else {
      const subscription = customerId
        ? await Subscription.query(trx)
            .unscoped('a webhook names a Stripe customer; this finds its organization')
            .findOne({ stripeCustomerId: customerId })
        : undefined;
      if (!subscription) {
        logger.warn(
          { eventId: event.id, type: event.type, customerId },
          'Stripe event for an unknown customer ignored',
        );
      } else {
        organizationId = subscription.organizationId;
        const notice: StripeEventNotice = { eventId: event.id, type: event.type, created: event.created };
        const client = await deps.temporal.getClient();
        await client.workflow.signalWithStart<typeof subscriptionLifecycle, [StripeEventNotice]>(
          'subscriptionLifecycle',
          { ...startOptions(deps, organizationId), signal: stripeEventSignal, signalArgs: [notice] },
        );
      }
    }
    await WebhookEvent.query(trx).patch({ processedAt: new Date(), organizationId }).where('id', event.id);
    return { outcome: organizationId ? ('delivered' as const) : ('ignored' as const) };
  });
}
