import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage, type Message } from '../db/models';
import type { WebhookDeliveryStatus, WebhookEventType } from '../domain/webhooks';
import type { Integer } from '../domain/schemas';
import { paginate, type Page, type PageParams } from '../lib/pagination';
import { problems } from '../lib/problem';
import { recordAudit, type Actor } from './audit';

/**
 * Outbound webhooks: an organization's endpoints, the events recorded for them and their delivery
 * log. Events are recorded with `emitWebhookEvent` in the transaction of the change they announce;
 * the worker's dispatcher starts a delivery workflow for each (src/workflows/webhooks.ts).
 */

/** Standard Webhooks' secret form: `whsec_` and the base64 of 24 to 64 random bytes. */
const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string;
  /** The events this endpoint receives. */
  eventTypes: WebhookEventType[];
  /** Disabled endpoints receive nothing; Parley disables an endpoint after a long run of failures. */
  enabled: boolean;
  /** Why Parley disabled the endpoint, when it did. */
  disabledReason: string | null;
  /** Failed attempts in a row since the last success. */
  consecutiveFailures: Integer;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookEndpointWithSecret extends WebhookEndpointView {
  /** The signing secret (`whsec_…`). It is shown only in this response: store it now. */
  secret: string;
}

/** @example {"url": "https://example.com/webhooks/parley", "description": "Help desk sync", "eventTypes": ["conversation.escalated", "ticket.created"]} */
export interface WebhookEndpointCreation {
  /**
   * Where events are POSTed: an http(s) URL on a public address (or one FETCH_ALLOWED_HOSTS allows).
   * @maxLength 2000
   */
  url: string;
  /** @maxLength 500 */
  description?: string;
  /**
   * @minItems 1
   * @uniqueItems
   */
  eventTypes: WebhookEventType[];
  /** Default true. */
  enabled?: boolean;
}

/** @example {"eventTypes": ["ticket.created", "ticket.status_changed"], "enabled": true} */
export interface WebhookEndpointUpdate {
  /** @maxLength 2000 */
  url?: string;
  /** @maxLength 500 */
  description?: string;
  /**
   * @minItems 1
   * @uniqueItems
   */
  eventTypes?: WebhookEventType[];
  /** Enabling an endpoint Parley disabled starts its failure count afresh. */
  enabled?: boolean;
}

export interface WebhookDeliveryView {
  id: string;
  endpointId: string;
  /** The event's id: the `webhook-id` header, the same on every attempt and replay. */
  eventId: string;
  eventType: WebhookEventType;
  status: WebhookDeliveryStatus;
  attempts: Integer;
  lastResponseStatus: Integer | null;
  nextAttemptAt: Date | null;
  /** The delivery this one replays. */
  replayOf: string | null;
  completedAt: Date | null;
  createdAt: Date;
}

export interface WebhookAttemptView {
  attempt: Integer;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string;
  /** The HTTP status; null when no answer came (refused address, timeout, network error). */
  responseStatus: Integer | null;
  /** The first characters of the response body. */
  responseBody: string;
  error: string | null;
  durationMs: Integer;
  createdAt: Date;
}

export interface WebhookDeliveryDetail extends WebhookDeliveryView {
  payload: Record<string, unknown>;
  attemptLog: WebhookAttemptView[];
}

export interface WebhookDeliveryFilters {
  status?: WebhookDeliveryStatus;
}

const toEndpointView = (endpoint: WebhookEndpoint): WebhookEndpointView => ({
  id: endpoint.id,
  url: endpoint.url,
  description: endpoint.description,
  eventTypes: endpoint.eventTypes,
  enabled: endpoint.enabled,
  disabledReason: endpoint.disabledReason,
  consecutiveFailures: endpoint.consecutiveFailures,
  createdAt: endpoint.createdAt,
  updatedAt: endpoint.updatedAt,
});

type DeliveryRow = WebhookDelivery & { eventType: WebhookEventType };

const toDeliveryView = (delivery: DeliveryRow): WebhookDeliveryView => ({
  id: delivery.id,
  endpointId: delivery.endpointId,
  eventId: delivery.messageId,
  eventType: delivery.eventType,
  status: delivery.status,
  attempts: delivery.attempts,
  lastResponseStatus: delivery.lastResponseStatus,
  nextAttemptAt: delivery.nextAttemptAt,
  replayOf: delivery.replayOf,
  completedAt: delivery.completedAt,
  createdAt: delivery.createdAt,
});

const toAttemptView = (attempt: WebhookAttempt): WebhookAttemptView => ({
  attempt: attempt.attempt,
  url: attempt.url,
  requestHeaders: attempt.requestHeaders,
  requestBody: attempt.requestBody,
  responseStatus: attempt.responseStatus,
  responseBody: attempt.responseBody,
  error: attempt.error,
  durationMs: attempt.durationMs,
  createdAt: attempt.createdAt,
});

/** An http(s) URL without credentials; where it points is checked when a delivery connects. */
function checkUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw problems.validation([{ field: 'body.url', message: 'must be an http or https URL' }]);
  }
  if (parsed.username || parsed.password) {
    throw problems.validation([
      { field: 'body.url', message: 'must not carry credentials (verify the signature instead)' },
    ]);
  }
  return parsed.href;
}

async function findEndpoint(
  db: Knex | Knex.Transaction,
  organizationId: string,
  id: string,
): Promise<WebhookEndpoint> {
  const endpoint = await WebhookEndpoint.query(db).forOrganization(organizationId).findById(id);
  if (!endpoint) throw problems.notFound('The webhook endpoint');
  return endpoint;
}

export async function createWebhookEndpoint(
  knex: Knex,
  actor: Actor,
  input: WebhookEndpointCreation,
): Promise<WebhookEndpointWithSecret> {
  const url = checkUrl(input.url);
  return knex.transaction(async (trx) => {
    const endpoint = await WebhookEndpoint.query(trx)
      .forOrganization(actor.organizationId)
      .insert({
        url,
        description: input.description ?? '',
        eventTypes: input.eventTypes,
        secret: newWebhookSecret(),
        enabled: input.enabled ?? true,
      })
      .returning('*');
    await recordAudit(
      trx,
      actor,
      'webhook_endpoint.created',
      { type: 'webhook_endpoint', id: endpoint.id },
      { url, eventTypes: input.eventTypes },
    );
    return { ...toEndpointView(endpoint), secret: endpoint.secret };
  });
}

export async function listWebhookEndpoints(
  knex: Knex,
  organizationId: string,
  params: PageParams,
): Promise<Page<WebhookEndpointView>> {
  const page = await paginate(
    WebhookEndpoint.query(knex).forOrganization(organizationId),
    'webhook_endpoints',
    params,
  );
  return { items: page.items.map(toEndpointView), nextCursor: page.nextCursor };
}

export async function getWebhookEndpoint(
  knex: Knex,
  organizationId: string,
  id: string,
): Promise<WebhookEndpointView> {
  return toEndpointView(await findEndpoint(knex, organizationId, id));
}

export async function updateWebhookEndpoint(
  knex: Knex,
  actor: Actor,
  id: string,
  input: WebhookEndpointUpdate,
): Promise<WebhookEndpointView> {
  return knex.transaction(async (trx) => {
    const endpoint = await findEndpoint(trx, actor.organizationId, id);
    const enabling = input.enabled === true && !endpoint.enabled;
    const updated = await WebhookEndpoint.query(trx)
      .forOrganization(actor.organizationId)
      .patchAndFetchById(id, {
        ...(input.url !== undefined ? { url: checkUrl(input.url) } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.eventTypes !== undefined ? { eventTypes: input.eventTypes } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        ...(enabling ? { disabledReason: null, consecutiveFailures: 0, failingSince: null } : {}),
      });
    await recordAudit(
      trx,
      actor,
      'webhook_endpoint.updated',
      { type: 'webhook_endpoint', id },
      {
        ...input,
      },
    );
    return toEndpointView(updated);
  });
}

/** Deletes the endpoint with its deliveries and their log; deliveries under way stop. */
export async function deleteWebhookEndpoint(knex: Knex, actor: Actor, id: string): Promise<void> {
  await knex.transaction(async (trx) => {
    const endpoint = await findEndpoint(trx, actor.organizationId, id);
    await WebhookEndpoint.query(trx).forOrganization(actor.organizationId).deleteById(id);
    await recordAudit(
      trx,
      actor,
      'webhook_endpoint.deleted',
      { type: 'webhook_endpoint', id },
      {
        url: endpoint.url,
      },
    );
  });
}

/** A new signing secret, in effect for the next attempt; the old one stops signing at once. */
export async function rotateWebhookSecret(
  knex: Knex,
  actor: Actor,
  id: string,
): Promise<WebhookEndpointWithSecret> {
  return knex.transaction(async (trx) => {
    await findEndpoint(trx, actor.organizationId, id);
    const updated = await WebhookEndpoint.query(trx)
      .forOrganization(actor.organizationId)
      .patchAndFetchById(id, { secret: newWebhookSecret() });
    await recordAudit(trx, actor, 'webhook_endpoint.secret_rotated', { type: 'webhook_endpoint', id });
    return { ...toEndpointView(updated), secret: updated.secret };
  });
}

const deliveriesWithType = (db: Knex | Knex.Transaction, organizationId: string) =>
  WebhookDelivery.query(db)
    .forOrganization(organizationId)
    .join('webhook_messages', 'webhook_messages.id', 'webhook_deliveries.messageId')
    .select('webhook_deliveries.*', 'webhook_messages.type as eventType');

export async function listWebhookDeliveries(
  knex: Knex,
  organizationId: string,
  endpointId: string,
  params: PageParams,
  filters: WebhookDeliveryFilters,
): Promise<Page<WebhookDeliveryView>> {
  await findEndpoint(knex, organizationId, endpointId);
  const query = deliveriesWithType(knex, organizationId).where('webhook_deliveries.endpointId', endpointId);
  if (filters.status) query.where('webhook_deliveries.status', filters.status);
  const page = await paginate(query, 'webhook_deliveries', params);
  return { items: (page.items as DeliveryRow[]).map(toDeliveryView), nextCursor: page.nextCursor };
}

export async function getWebhookDelivery(
  knex: Knex,
  organizationId: string,
  endpointId: string,
  deliveryId: string,
): Promise<WebhookDeliveryDetail> {
  const delivery = (await deliveriesWithType(knex, organizationId)
    .where('webhook_deliveries.endpointId', endpointId)
    .findById(deliveryId)) as DeliveryRow | undefined;
  if (!delivery) throw problems.notFound('The webhook delivery');
  const [message, attempts] = await Promise.all([
    WebhookMessage.query(knex).forOrganization(organizationId).findById(delivery.messageId),
    WebhookAttempt.query(knex)
      .forOrganization(organizationId)
      .where('deliveryId', deliveryId)
      .orderBy('attempt'),
  ]);
  return {
    ...toDeliveryView(delivery),
    payload: webhookPayload(message!),
    attemptLog: attempts.map(toAttemptView),
  };
}

/**
 * Sends the event of a delivery to its endpoint again, as a new delivery with its own log and
 * retries. The `webhook-id` stays the event's, so a receiver that already handled it can tell.
 */
export async function replayWebhookDelivery(
  knex: Knex,
  actor: Actor,
  endpointId: string,
  deliveryId: string,
): Promise<WebhookDeliveryView> {
  return knex.transaction(async (trx) => {
    const endpoint = await findEndpoint(trx, actor.organizationId, endpointId);
    if (!endpoint.enabled) throw problems.conflict('The endpoint is disabled: enable it before replaying.');
    const original = (await deliveriesWithType(trx, actor.organizationId)
      .where('webhook_deliveries.endpointId', endpointId)
      .findById(deliveryId)) as DeliveryRow | undefined;
    if (!original) throw problems.notFound('The webhook delivery');
    const replay = await WebhookDelivery.query(trx)
      .forOrganization(actor.organizationId)
      .insert({ endpointId, messageId: original.messageId, replayOf: original.id })
      .returning('*');
    await recordAudit(
      trx,
      actor,
      'webhook_delivery.replayed',
      { type: 'webhook_delivery', id: replay.id },
      { endpointId, replayOf: original.id, eventId: original.messageId },
    );
    return toDeliveryView(Object.assign(replay, { eventType: original.eventType }));
  });
}

/** The JSON body POSTed for an event (Standard Webhooks' `type`, `timestamp`, `data`). */
export function webhookPayload(message: WebhookMessage): Record<string, unknown> {
  return { type: message.type, timestamp: new Date(message.createdAt).toISOString(), data: message.data };
}

/**
 * Records an event for every enabled endpoint of the organization that subscribed to its type, in
 * the caller's transaction: it is delivered if and only if the change it announces commits. Without
 * such an endpoint nothing is written.
 */
export async function emitWebhookEvent(
  trx: Knex | Knex.Transaction,
  organizationId: string,
  type: WebhookEventType,
  data: Record<string, unknown>,
): Promise<void> {
  const endpoints = await WebhookEndpoint.query(trx)
    .forOrganization(organizationId)
    .where('enabled', true)
    .whereRaw('? = any(event_types)', [type])
    .select('id');
  if (endpoints.length === 0) return;
  const message = await WebhookMessage.query(trx)
    .forOrganization(organizationId)
    .insert({ type, data })
    .returning('*');
  await WebhookDelivery.query(trx)
    .forOrganization(organizationId)
    .insert(endpoints.map((endpoint) => ({ endpointId: endpoint.id, messageId: message.id })));
}

/** The data of a `message.created` event. */
export const messageEvent = (message: Message): Record<string, unknown> => ({
  conversationId: message.conversationId,
  messageId: message.id,
  role: message.role,
  content: message.content,
  createdAt: new Date(message.createdAt).toISOString(),
});
