import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { webhookRetryDelay } from '../domain/webhooks';
import type { WebhookDeliveryInput, WebhookDispatchScope } from './contracts';

const { attemptWebhookDelivery, notifyWebhookEndpointDisabled } = proxyActivities<Activities>({
  // WEBHOOK_TIMEOUT_MS is at most 20 s; heartbeats every second show the worker is still on it.
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const { dispatchWebhookDeliveries } = proxyActivities<Activities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * Delivers one event to one endpoint: an attempt, then, while it fails, further attempts after
 * exponentially growing waits until the retry window (3 days by default) has passed. The waits are
 * workflow timers, so a delivery survives worker and server restarts; each attempt is logged by its
 * activity. An attempt that disables the endpoint (a long run of failures) ends the delivery and
 * tells the organization's admins.
 */
export async function deliverWebhook(input: WebhookDeliveryInput): Promise<string> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const retryInMs = webhookRetryDelay(attempt, Date.now() - started, input.retry);
    const result = await attemptWebhookDelivery({
      organizationId: input.organizationId,
      deliveryId: input.deliveryId,
      attempt,
      retryInMs,
    });
    if (result.endpointDisabled) {
      await notifyWebhookEndpointDisabled({
        organizationId: input.organizationId,
        deliveryId: input.deliveryId,
      });
    }
    if (result.outcome !== 'failed' || result.endpointDisabled || retryInMs === null) return result.outcome;
    await sleep(retryInMs);
  }
}

/** Polls this long per activity call; a new run after this many calls keeps the history short. */
const RUN_MS = 60_000;
const POLL_MS = 1_000;
const RUNS_PER_WORKFLOW = 60;

/**
 * Starts the delivery workflows of recorded events (see dispatchWebhookDeliveries): one per task
 * queue, started by the worker, so an emitter never waits on Temporal and no event is lost while
 * Temporal is down.
 */
export async function dispatchWebhooks(scope: WebhookDispatchScope = {}): Promise<void> {
  for (let run = 0; run < RUNS_PER_WORKFLOW; run++) {
    await dispatchWebhookDeliveries({ ...scope, runMs: RUN_MS, pollMs: POLL_MS });
  }
  await continueAsNew<typeof dispatchWebhooks>(scope);
}
