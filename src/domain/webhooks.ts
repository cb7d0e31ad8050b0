/** Outbound webhooks: the events an organization can subscribe to and how deliveries are retried. */

export const WEBHOOK_EVENT_TYPES = [
  'conversation.created',
  'message.created',
  'turn.completed',
  'conversation.escalated',
  'ticket.created',
  'ticket.assigned',
  'ticket.status_changed',
  'ticket.replied',
  'document.ready',
  'document.failed',
  'subscription.updated',
  'usage.threshold',
] as const;

/** What happened, as `resource.action`. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'retrying', 'succeeded', 'failed'] as const;
/** `pending` until the first attempt, `retrying` between failed attempts, then `succeeded` or `failed`. */
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** How a delivery is retried: exponential backoff from `initialMs`, capped, for `windowMs` at most. */
export interface WebhookRetryPolicy {
  initialMs: number;
  maxIntervalMs: number;
  windowMs: number;
}

/** The longest wait between two attempts of one delivery. */
export const WEBHOOK_MAX_RETRY_INTERVAL_MS = 12 * 60 * 60 * 1000;

/**
 * The wait after failed attempt `attempt` (1-based), or null when the next attempt would start past
 * the retry window measured from the first attempt (`elapsedMs` ago): the delivery has failed.
 */
export function webhookRetryDelay(
  attempt: number,
  elapsedMs: number,
  policy: WebhookRetryPolicy,
): number | null {
  const delay = Math.min(policy.initialMs * 2 ** (attempt - 1), policy.maxIntervalMs);
  return elapsedMs + delay > policy.windowMs ? null : delay;
}
