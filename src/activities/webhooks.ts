import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { Knex } from 'knex';
import { Webhook } from 'standardwebhooks';
import type { Config } from '../config';
import {
  Membership,
  User,
  WebhookAttempt,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookMessage,
} from '../db/models';
import { WEBHOOK_MAX_RETRY_INTERVAL_MS } from '../domain/webhooks';
import type { Mailer } from '../lib/mailer';
import { storableText } from '../lib/storable';
import { OutboundError, outboundRequest, type OutboundPolicy } from '../outbound';
import { webhookEndpointDisabledEmail } from '../services/emails';
import { webhookPayload } from '../services/webhooks';
import {
  organizationIdAttribute,
  webhookDeliveryWorkflowId,
  type DeliveryAttempt,
  type DeliveryAttemptResult,
  type WebhookDispatchScope,
} from '../workflows/contracts';
import type { deliverWebhook } from '../workflows/webhooks';

export interface WebhookDependencies {
  knex: Knex;
  /** Which addresses endpoints may be on (FETCH_ALLOWED_HOSTS), checked when each attempt connects. */
  outbound: OutboundPolicy;
  mailer: Mailer;
  publicUrl: string;
  webhooks: Config['webhooks'];
}

/** What the delivery log keeps of a receiver's answer. */
const RESPONSE_EXCERPT_BYTES = 2048;
/** Undispatched deliveries started per poll. */
const DISPATCH_BATCH = 100;

export function createWebhookActivities(deps: WebhookDependencies) {
  const { knex } = deps;

  /** Starts the workflows of deliveries that have none yet; returns how many it started. */
  async function dispatchBatch(scope: WebhookDispatchScope): Promise<number> {
    const { client, info } = Context.current();
    return knex.transaction(async (trx) => {
      const query = WebhookDelivery.query(trx);
      if (scope.organizationId) query.forOrganization(scope.organizationId);
      else query.unscoped('the dispatcher starts every organization’s deliveries');
      // Skip locked: two dispatchers (two workers) share the rows instead of waiting on each other.
      const pending = await query
        .whereNull('dispatchedAt')
        .orderBy('createdAt')
        .limit(DISPATCH_BATCH)
        .forUpdate()
        .skipLocked();
      const retry = {
        initialMs: deps.webhooks.retryInitialMs,
        maxIntervalMs: Math.min(WEBHOOK_MAX_RETRY_INTERVAL_MS, deps.webhooks.retryWindowMs),
        windowMs: deps.webhooks.retryWindowMs,
      };
      for (const delivery of pending) {
        try {
          await client.workflow.start<typeof deliverWebhook>('deliverWebhook', {
            workflowId: webhookDeliveryWorkflowId(delivery.id),
            taskQueue: info.taskQueue,
            args: [{ organizationId: delivery.organizationId, deliveryId: delivery.id, retry }],
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            typedSearchAttributes: new TypedSearchAttributes([
              { key: organizationIdAttribute, value: delivery.organizationId },
            ]),
          });
        } catch (error) {
          // Started by an earlier run whose transaction did not commit: it is under way.
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        }
      }
      if (pending.length > 0) {
        await WebhookDelivery.query(trx)
          .unscoped('the rows locked above, of the organizations they name')
          .whereIn(
            'id',
            pending.map((d) => d.id),
          )
          .patch({ dispatchedAt: new Date() });
      }
      return pending.length;
    });
  }

  return {
    /**
     * Starts a delivery workflow for each delivery recorded without one, polling for `runMs`. Events
     * are recorded in the transactions that make the changes they announce, so nothing an emitter does
     * waits on Temporal; this is what turns the rows into deliveries. Idempotent: a delivery's
     * workflow id is its business id, and a row is marked once its workflow has started.
     */
    async dispatchWebhookDeliveries(input: WebhookDispatchScope & { runMs: number; pollMs: number }) {
      const context = Context.current();
      const until = Date.now() + input.runMs;
      let started = 0;
      while (Date.now() < until) {
        started += await dispatchBatch(input);
        context.heartbeat();
        // Rejects when the activity is cancelled (the worker shutting down): the workflow calls again.
        await context.sleep(input.pollMs);
      }
      return { started };
    },

    /**
     * One attempt of a delivery: POSTs the event, signed per Standard Webhooks with the endpoint's
     * current secret, and records the request and the answer. Idempotent per (delivery, attempt): a
     * retried activity whose attempt was recorded returns that result without sending again. The
     * `webhook-id` is the event's id on every attempt, so a receiver can tell a repeat.
     */
    async attemptWebhookDelivery(input: DeliveryAttempt): Promise<DeliveryAttemptResult> {
      const scope = input.organizationId;
      const recorded = await WebhookAttempt.query(knex)
        .forOrganization(scope)
        .findOne({ deliveryId: input.deliveryId, attempt: input.attempt });
      if (recorded)
        return {
          outcome: succeeded(recorded.responseStatus) ? 'succeeded' : 'failed',
          endpointDisabled: false,
        };
      const delivery = await WebhookDelivery.query(knex).forOrganization(scope).findById(input.deliveryId);
      // Deleted with its endpoint: nothing to deliver.
      if (!delivery) return { outcome: 'abandoned', endpointDisabled: false };
      if (delivery.status === 'succeeded' || delivery.status === 'failed') {
        return { outcome: delivery.status, endpointDisabled: false };
      }
      const [endpoint, message] = await Promise.all([
        WebhookEndpoint.query(knex).forOrganization(scope).findById(delivery.endpointId),
        WebhookMessage.query(knex).forOrganization(scope).findById(delivery.messageId),
      ]);
      if (!endpoint || !message) return { outcome: 'abandoned', endpointDisabled: false };
      if (!endpoint.enabled) {
        await WebhookDelivery.query(knex)
          .forOrganization(scope)
          .findById(delivery.id)
          .patch({ status: 'failed', nextAttemptAt: null, completedAt: new Date() });
        return { outcome: 'abandoned', endpointDisabled: false };
      }

      const body = JSON.stringify(webhookPayload(message));
      const sentAt = new Date();
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'Parley-Webhooks/1.0',
        'webhook-id': message.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': new Webhook(endpoint.secret).sign(message.id, sentAt, body),
      };
      // Heartbeats while the receiver takes its time: a worker that dies mid-request is noticed soon.
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 1_000);
      let responseStatus: number | null = null;
      let responseBody = '';
      let error: string | null = null;
      try {
        const response = await outboundRequest(endpoint.url, {
          policy: deps.outbound,
          method: 'POST',
          headers,
          body,
          timeoutMs: deps.webhooks.timeoutMs,
          maxBytes: RESPONSE_EXCERPT_BYTES,
          excerpt: true,
        });
        responseStatus = response.status;
        responseBody = storableText(response.body.toString('utf8'));
      } catch (failure) {
        if (!(failure instanceof OutboundError)) throw failure;
        error = failure.message;
      } finally {
        clearInterval(beat);
      }
      const durationMs = Date.now() - sentAt.getTime();
      const ok = succeeded(responseStatus);

      return knex.transaction(async (trx): Promise<DeliveryAttemptResult> => {
        // The endpoint's row orders concurrent attempts' changes to its failure run.
        const current = await WebhookEndpoint.query(trx)
          .forOrganization(scope)
          .findById(endpoint.id)
          .forUpdate();
        // Another run of this very attempt recorded it first (the lock above orders them): its result stands.
        const repeat = await WebhookAttempt.query(trx)
          .forOrganization(scope)
          .findOne({ deliveryId: delivery.id, attempt: input.attempt });
        if (repeat) {
          return {
            outcome: succeeded(repeat.responseStatus) ? 'succeeded' : 'failed',
            endpointDisabled: false,
          };
        }
        await WebhookAttempt.query(trx).forOrganization(scope).insert({
          deliveryId: delivery.id,
          attempt: input.attempt,
          url: endpoint.url,
          requestHeaders: headers,
          requestBody: body,
          responseStatus,
          responseBody,
          error,
          durationMs,
        });
        if (!current) return { outcome: 'abandoned', endpointDisabled: false };
        let endpointDisabled = false;
        if (ok) {
          if (current.consecutiveFailures > 0) {
            await WebhookEndpoint.query(trx)
              .forOrganization(scope)
              .findById(current.id)
              .patch({ consecutiveFailures: 0, failingSince: null });
          }
        } else {
          const failures = current.consecutiveFailures + 1;
          const failingSince = current.failingSince ?? sentAt;
          endpointDisabled =
            current.enabled &&
            failures >= deps.webhooks.disableAfterFailures &&
            sentAt.getTime() - new Date(failingSince).getTime() >= deps.webhooks.disableAfterMs;
          await WebhookEndpoint.query(trx)
            .forOrganization(scope)
            .findById(current.id)
            .patch({
              consecutiveFailures: failures,
              failingSince,
              ...(endpointDisabled
                ? {
                    enabled: false,
                    disabledReason: `${failures} failed attempts in a row since ${new Date(failingSince).toISOString()} (last: ${responseStatus === null ? error : `HTTP ${responseStatus}`}).`,
                  }
                : {}),
            });
        }
        const done = ok || input.retryInMs === null || endpointDisabled;
        await WebhookDelivery.query(trx)
          .forOrganization(scope)
          .findById(delivery.id)
          .patch({
            attempts: input.attempt,
            lastResponseStatus: responseStatus,
            status: ok ? 'succeeded' : done ? 'failed' : 'retrying',
            nextAttemptAt: done ? null : new Date(Date.now() + input.retryInMs!),
            completedAt: done ? new Date() : null,
          });
        return { outcome: ok ? 'succeeded' : 'failed', endpointDisabled };
      });
    },

    /** Tells the organization's owners and admins that Parley disabled the endpoint of a delivery. */
    async notifyWebhookEndpointDisabled(input: {
      organizationId: string;
      deliveryId: string;
    }): Promise<void> {
      const endpoint = await WebhookEndpoint.query(knex)
        .forOrganization(input.organizationId)
        .whereIn(
          'id',
          WebhookDelivery.query(knex)
            .forOrganization(input.organizationId)
            .where('id', input.deliveryId)
            .select('endpointId'),
        )
        .first();
      if (!endpoint || endpoint.enabled) return;
      const admins = await User.query(knex).whereIn(
        'id',
        Membership.query(knex)
          .forOrganization(input.organizationId)
          .whereIn('role', ['owner', 'admin'])
          .select('userId'),
      );
      const link = new URL(`/console/webhooks/${endpoint.id}`, deps.publicUrl).toString();
      for (const admin of admins) {
        await deps.mailer.send(
          webhookEndpointDisabledEmail(admin.email, {
            url: endpoint.url,
            reason: endpoint.disabledReason ?? 'too many failed attempts.',
            link,
          }),
        );
      }
    },
  };
}

const succeeded = (status: number | null): boolean => status !== null && status >= 200 && status < 300;
