import { BaseModel, TenantModel } from '../base-model';

/** One countable thing (an answered message), recorded once; the audit trail behind usage counters. */
export class UsageEvent extends TenantModel {
  static override tableName = 'usage_events';
  static override hasUpdatedAt = false;
  declare id: string;
  declare metric: string;
  declare subjectId: string;
  declare quantity: number;
  declare periodStart: string;
  declare createdAt: Date;
}

export class UsageCounter extends TenantModel {
  static override tableName = 'usage_counters';
  static override idColumn = ['organizationId', 'metric', 'periodStart'];
  static override hasUpdatedAt = false;
  declare metric: string;
  declare periodStart: string;
  declare quantity: string;
}

/** A webhook event already received, so redeliveries are acknowledged and ignored. */
export class WebhookEvent extends BaseModel {
  static override tableName = 'webhook_events';
  static override hasUpdatedAt = false;
  declare id: string;
  declare provider: string;
  declare type: string;
  declare organizationId: string | null;
  declare payload: Record<string, unknown>;
  declare receivedAt: Date;
  declare processedAt: Date | null;
}

/** The stored answer of a creating request sent with an `Idempotency-Key` (kept 24 hours). */
export class IdempotencyKey extends TenantModel {
  static override tableName = 'idempotency_keys';
  static override idColumn = ['organizationId', 'key'];
  static override hasUpdatedAt = false;
  declare key: string;
  declare operation: string;
  declare requestHash: string;
  /** Null while the first request runs. */
  declare status: number | null;
  declare response: unknown;
  declare createdAt: Date;
}
