import { type JSONSchema, type RelationMappings } from 'objection';
import { BaseModel, TenantModel } from '../base-model';
import { Organization } from './organization';

export const ROLES = ['owner', 'admin', 'agent'] as const;
export type Role = (typeof ROLES)[number];

/** A person; not tenant-owned, because one person may belong to several organizations. */
export class User extends BaseModel {
  static override tableName = 'users';
  declare id: string;
  declare email: string;
  declare name: string;
  declare passwordHash: string;
  declare emailVerifiedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['email', 'name', 'passwordHash'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      email: { type: 'string', format: 'email', maxLength: 254 },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      passwordHash: { type: 'string', minLength: 1 },
    },
  };

  /** Never let the hash leave the process, whatever serializes the model. */
  override $formatJson(json: Record<string, unknown>): Record<string, unknown> {
    const { passwordHash: _hidden, ...rest } = super.$formatJson(json);
    return rest;
  }
}

export class Membership extends TenantModel {
  static override tableName = 'memberships';
  declare id: string;
  declare userId: string;
  declare role: Role;
  /** Whether the agent takes new tickets in round-robin assignment. */
  declare available: boolean;
  /** Last time round-robin gave this member a ticket; the longest-waiting available member goes next. */
  declare lastAssignedAt: Date | null;
  /** Which events email this member (src/services/notifications.ts); all on by default. */
  declare emailOnEscalation: boolean;
  declare emailOnVisitorMessage: boolean;
  declare emailOnSlaBreach: boolean;
  /** Whether the console shows a browser notification, and plays a sound, when one arrives. */
  declare browserNotifications: boolean;
  declare notificationSound: boolean;
  declare createdAt: Date;
  declare updatedAt: Date;
  declare user?: User;
  declare organization?: Organization;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['userId', 'role'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      organizationId: { type: 'string', format: 'uuid' },
      userId: { type: 'string', format: 'uuid' },
      role: { type: 'string', enum: [...ROLES] },
      available: { type: 'boolean' },
      emailOnEscalation: { type: 'boolean' },
      emailOnVisitorMessage: { type: 'boolean' },
      emailOnSlaBreach: { type: 'boolean' },
      browserNotifications: { type: 'boolean' },
      notificationSound: { type: 'boolean' },
    },
  };

  static override relationMappings = (): RelationMappings => ({
    user: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: User,
      join: { from: 'memberships.userId', to: 'users.id' },
    },
    organization: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Organization,
      join: { from: 'memberships.organizationId', to: 'organizations.id' },
    },
  });
}

export class Invitation extends TenantModel {
  static override tableName = 'invitations';
  declare id: string;
  declare email: string;
  declare role: Role;
  declare tokenHash: string;
  declare invitedByUserId: string | null;
  declare expiresAt: Date;
  declare acceptedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['email', 'role', 'tokenHash', 'expiresAt'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      email: { type: 'string', format: 'email', maxLength: 254 },
      role: { type: 'string', enum: [...ROLES] },
      tokenHash: { type: 'string' },
    },
  };
}

export class ApiKey extends TenantModel {
  static override tableName = 'api_keys';
  declare id: string;
  declare name: string;
  /** The first characters of the key, shown in lists so people can tell keys apart. */
  declare prefix: string;
  declare keyHash: string;
  declare scopes: string[];
  declare createdByUserId: string | null;
  declare lastUsedAt: Date | null;
  declare revokedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['name', 'prefix', 'keyHash'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      name: { type: 'string', minLength: 1, maxLength: 100 },
      prefix: { type: 'string' },
      keyHash: { type: 'string' },
      scopes: { type: 'array', items: { type: 'string' } },
    },
  };
}

export class RefreshToken extends TenantModel {
  static override tableName = 'refresh_tokens';
  declare id: string;
  declare userId: string;
  /** Tokens rotated from one login share a family; reuse of a spent token revokes the family. */
  declare familyId: string;
  declare tokenHash: string;
  declare expiresAt: Date;
  declare usedAt: Date | null;
  declare revokedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

export const USER_TOKEN_PURPOSES = ['password_reset', 'email_verification'] as const;
export type UserTokenPurpose = (typeof USER_TOKEN_PURPOSES)[number];

/** Single-use, expiring tokens mailed to a person (password reset, email verification). */
export class UserToken extends BaseModel {
  static override tableName = 'user_tokens';
  declare id: string;
  declare userId: string;
  declare purpose: UserTokenPurpose;
  declare tokenHash: string;
  declare expiresAt: Date;
  declare usedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

export class AuditLogEntry extends TenantModel {
  static override tableName = 'audit_log';
  static override hasUpdatedAt = false;
  declare id: string;
  declare actorUserId: string | null;
  declare actorApiKeyId: string | null;
  declare action: string;
  declare targetType: string | null;
  declare targetId: string | null;
  declare data: Record<string, unknown>;
  declare ip: string | null;
  declare createdAt: Date;
}

export const EMAIL_KINDS = ['email_verification', 'password_reset', 'invitation', 'notification'] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];
export const EMAIL_DELIVERY_STATUSES = ['sending', 'sent', 'failed'] as const;
export type EmailDeliveryStatus = (typeof EMAIL_DELIVERY_STATUSES)[number];

/**
 * One email, from the request that asked for it to the mail server's answer. Its link is minted when
 * it is sent (only the token's hash is stored, here as everywhere), so the row holds no secret.
 */
export class EmailDelivery extends TenantModel {
  static override tableName = 'email_deliveries';
  declare id: string;
  declare kind: EmailKind;
  declare recipient: string;
  declare userId: string | null;
  declare invitationId: string | null;
  /** The notification this email tells its recipient about (one email per notification). */
  declare notificationId: string | null;
  /** `sending` until the mail server accepted it (`sent`) or the retries ran out (`failed`). */
  declare status: EmailDeliveryStatus;
  declare attempts: number;
  declare lastError: string | null;
  declare sentAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['kind', 'recipient'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      kind: { type: 'string', enum: [...EMAIL_KINDS] },
      recipient: { type: 'string', maxLength: 254 },
      status: { type: 'string', enum: [...EMAIL_DELIVERY_STATUSES] },
    },
  };
}

export const NOTIFICATION_KINDS = ['escalation', 'visitor_message', 'sla_breach'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * Something a member must hear about (a visitor asked for a person, wrote on their ticket, a target was
 * missed): one row per event and recipient, unread until they open it.
 */
export class Notification extends TenantModel {
  static override tableName = 'notifications';
  declare id: string;
  declare userId: string;
  declare ticketId: string;
  declare kind: NotificationKind;
  /** The event it tells of; with the recipient, unique (a retried activity adds nothing). */
  declare eventKey: string;
  declare title: string;
  declare body: string;
  declare readAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['userId', 'ticketId', 'kind', 'eventKey', 'title', 'body'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      organizationId: { type: 'string', format: 'uuid' },
      userId: { type: 'string', format: 'uuid' },
      ticketId: { type: 'string', format: 'uuid' },
      kind: { type: 'string', enum: [...NOTIFICATION_KINDS] },
      eventKey: { type: 'string', minLength: 1, maxLength: 200 },
      title: { type: 'string', minLength: 1, maxLength: 300 },
      body: { type: 'string', maxLength: 2000 },
    },
  };
}
