import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TurnRecord } from '../activities/chat';
import type { BillingState } from '../domain/billing';
import type { PaidPlan } from '../domain/plans';

/**
 * What the API and the worker share about workflows: ids (business ids, so a retried request cannot
 * start the work twice), inputs and outputs, signals and queries. No activity proxies live here, so the
 * API can import it freely.
 */

export const ingestWorkflowId = (documentId: string): string => `ingest-${documentId}`;
export const turnWorkflowId = (messageId: string): string => `turn-${messageId}`;

export interface IngestInput {
  organizationId: string;
  documentId: string;
  sourceType: 'upload' | 'url' | 'sitemap';
  /** Chunks embedded per activity call: the granularity of progress and of work redone after a crash. */
  embedBatchSize: number;
  /** Minutes between re-syncs of URL and sitemap sources; absent for uploads and sitemap pages. */
  resyncMinutes?: number;
}

export interface IngestionProgress {
  stage: 'fetching' | 'embedding' | 'indexing' | 'pages' | 'ready' | 'unchanged' | 'failed' | 'waiting';
  chunksDone: number;
  chunksTotal: number;
  error?: string;
}

export const ingestionProgressQuery = defineQuery<IngestionProgress>('ingestionProgress');
export const resyncSignal = defineSignal('resync');

export interface TurnResult {
  outcome: TurnRecord['outcome'];
  replyId: string | null;
  reasons: string[];
}

/** The long-lived billing entity of one organization (see src/workflows/subscription.ts). */
export const subscriptionWorkflowId = (organizationId: string): string => `subscription-${organizationId}`;

export interface SubscriptionInput {
  organizationId: string;
  /** How long a subscription whose payment failed keeps its plan (BILLING_GRACE_DAYS). */
  graceMs: number;
  /** Carried over by continue-as-new; a new workflow loads it from the database. */
  state?: BillingState;
  pending?: StripeEventNotice[];
}

/** A verified Stripe event for the organization; the workflow re-reads Stripe rather than trusting it. */
export interface StripeEventNotice {
  eventId: string;
  type: string;
  /** Epoch seconds, as Stripe stamps events. */
  created: number;
}

export interface CheckoutRequest {
  plan: PaidPlan;
  successUrl: string;
  cancelUrl: string;
}

export const stripeEventSignal = defineSignal<[StripeEventNotice]>('stripeEvent');
export const billingStateQuery = defineQuery<BillingState>('billingState');
export const checkoutUpdate = defineUpdate<{ sessionId: string; url: string }, [CheckoutRequest]>(
  'createCheckoutSession',
);
export const portalUpdate = defineUpdate<{ url: string }, [{ returnUrl: string }]>('createPortalSession');
export const cancelAtPeriodEndUpdate = defineUpdate<BillingState, [{ cancel: boolean }]>(
  'setCancelAtPeriodEnd',
);
