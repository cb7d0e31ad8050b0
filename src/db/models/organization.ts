import { type JSONSchema, type RelationMappings } from 'objection';
import { BaseModel, TenantModel } from '../base-model';
import { PLANS, type Plan } from '../../domain/plans';

export class Organization extends BaseModel {
  static override tableName = 'organizations';
  declare id: string;
  declare name: string;
  declare slug: string;
  declare plan: Plan;
  /** Public key the widget presents; it identifies the organization, it grants nothing else. */
  declare widgetKey: string;
  /** Changes whenever searchable knowledge changes (see src/ai/tenant-index.ts). */
  declare knowledgeRevision: string;
  /** When an admin dismissed the getting-started checklist (null: it shows until every step is done). */
  declare onboardingDismissedAt: Date | null;
  /** When the widget first started a session on a site other than Parley's own. */
  declare widgetInstalledAt: Date | null;
  /** Set when the owner asked to delete the organization: the deletion's id (its status URL's key). */
  declare deletionId: string | null;
  declare deletionRequestedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
  declare settings?: OrganizationSettings;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['name', 'slug', 'widgetKey'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      slug: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 80 },
      plan: { type: 'string', enum: [...PLANS] },
      widgetKey: { type: 'string', minLength: 16 },
    },
  };

  static override relationMappings = (): RelationMappings => ({
    settings: {
      relation: BaseModel.HasOneRelation,
      modelClass: OrganizationSettings,
      join: { from: 'organizations.id', to: 'organization_settings.organizationId' },
    },
  });
}

export interface WidgetSettings {
  color?: string;
  position?: 'left' | 'right';
  greeting?: string;
  avatarUrl?: string;
  launcherText?: string;
}

export interface EscalationRules {
  sentimentThreshold?: number;
  sentimentDrop?: number;
  keywords?: string[];
  maxAbstentions?: number;
}

export interface TicketRulesSettings {
  autoCloseHours?: number;
}

export class OrganizationSettings extends TenantModel {
  static override tableName = 'organization_settings';
  static override idColumn = 'organizationId';
  declare widget: WidgetSettings;
  declare aiPersona: string;
  declare aiInstructions: string;
  declare confidenceThreshold: number;
  declare escalationRules: EscalationRules;
  declare ticketRules: TicketRulesSettings;
  declare allowedOrigins: string[];
  declare anonymousMessagesPerHour: number;
  declare createdAt: Date;
  declare updatedAt: Date;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    properties: {
      organizationId: { type: 'string', format: 'uuid' },
      widget: { type: 'object' },
      aiPersona: { type: 'string', maxLength: 2000 },
      aiInstructions: { type: 'string', maxLength: 8000 },
      confidenceThreshold: { type: 'number', minimum: 0, maximum: 1 },
      escalationRules: { type: 'object' },
      ticketRules: { type: 'object' },
      allowedOrigins: { type: 'array', items: { type: 'string' } },
      anonymousMessagesPerHour: { type: 'integer', minimum: 1, maximum: 100_000 },
    },
  };
}

export const SUBSCRIPTION_STATUSES = ['free', 'trialing', 'active', 'past_due', 'canceled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export class Subscription extends TenantModel {
  static override tableName = 'subscriptions';
  declare id: string;
  declare plan: Plan;
  declare status: SubscriptionStatus;
  declare stripeCustomerId: string | null;
  declare stripeSubscriptionId: string | null;
  declare currentPeriodStart: Date | null;
  declare currentPeriodEnd: Date | null;
  declare cancelAtPeriodEnd: boolean;
  declare graceUntil: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      organizationId: { type: 'string', format: 'uuid' },
      plan: { type: 'string', enum: [...PLANS] },
      status: { type: 'string', enum: [...SUBSCRIPTION_STATUSES] },
      stripeCustomerId: { type: ['string', 'null'] },
      stripeSubscriptionId: { type: ['string', 'null'] },
      cancelAtPeriodEnd: { type: 'boolean' },
    },
  };
}
