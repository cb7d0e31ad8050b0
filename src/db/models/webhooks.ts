import { TenantModel } from '../base-model';
import type { WebhookDeliveryStatus, WebhookEventType } from '../../domain/webhooks';

/** Where an organization wants its events POSTed, and which ones. */
export class WebhookEndpoint extends TenantModel {
  static override tableName = 'webhook_endpoints';
  declare id: string;
  declare url: string;
  declare description: string;
  declare eventTypes: WebhookEventType[];
  /** Standard Webhooks' `whsec_…` signing secret. */
  declare secret: string;
  declare enabled: boolean;
  declare disabledReason: string | null;
  declare consecutiveFailures: number;
  declare failingSince: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** One event, recorded in the transaction of the change it announces; its id is the `webhook-id`. */
export class WebhookMessage extends TenantModel {
  static override tableName = 'webhook_messages';
  static override hasUpdatedAt = false;
  declare id: string;
  declare type: WebhookEventType;
  declare data: Record<string, unknown>;
  declare createdAt: Date;
}

/** One event on its way to one endpoint (a replay is another delivery of the same event). */
export class WebhookDelivery extends TenantModel {
  static override tableName = 'webhook_deliveries';
  declare id: string;
  declare endpointId: string;
  declare messageId: string;
  declare status: WebhookDeliveryStatus;
  declare attempts: number;
  declare lastResponseStatus: number | null;
  declare nextAttemptAt: Date | null;
  declare replayOf: string | null;
  declare dispatchedAt: Date | null;
  declare completedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** One HTTP request of a delivery and what came back: the delivery log. */
export class WebhookAttempt extends TenantModel {
  static override tableName = 'webhook_attempts';
  static override hasUpdatedAt = false;
  declare id: string;
  declare deliveryId: string;
  declare attempt: number;
  declare url: string;
  declare requestHeaders: Record<string, string>;
  declare requestBody: string;
  declare responseStatus: number | null;
  declare responseBody: string;
  declare error: string | null;
  declare durationMs: number;
  declare createdAt: Date;
}
