import type { Knex } from 'knex';
import { OrganizationSettings } from '../db/models';
import { problems, type FieldError } from '../lib/problem';
import { recordAudit, type Actor } from './audit';
import type { Integer } from '../domain/schemas';

/** How the widget looks on the customer's site. */
export interface WidgetLook {
  /**
   * Accent colour, as #rrggbb.
   * @pattern ^#[0-9a-fA-F]{6}$
   */
  color?: string;
  position?: 'left' | 'right';
  /**
   * The first message visitors see.
   * @maxLength 500
   */
  greeting?: string;
  /**
   * @pattern ^https?://[^\s]+$
   * @maxLength 2048
   */
  avatarUrl?: string;
  /** @maxLength 60 */
  launcherText?: string;
}

/** When a conversation goes to a human. */
export interface EscalationRulesSettings {
  /**
   * Escalate when a visitor's sentiment falls below this score (-1 very negative … 1 very positive).
   * @minimum -1
   * @maximum 1
   */
  sentimentThreshold?: number;
  /**
   * Escalate when a visitor's sentiment fell by at least this much from their best of the previous
   * three messages (a falling trend), even if no single message is below the threshold.
   * @minimum 0.1
   * @maximum 2
   */
  sentimentDrop?: number;
  /**
   * Escalate when a visitor message contains one of these words.
   * @maxItems 50
   */
  keywords?: EscalationKeyword[];
  /**
   * Escalate after this many answers the assistant could not ground in the documents.
   * @isInt
   * @minimum 1
   * @maximum 20
   */
  maxAbstentions?: number;
}

/**
 * @minLength 1
 * @maxLength 100
 */
export type EscalationKeyword = string;

/** How tickets run once people have them. */
export interface TicketRulesSettings {
  /**
   * Hours a resolved ticket waits for the visitor before it closes (default 72).
   * @isInt
   * @minimum 1
   * @maximum 2160
   */
  autoCloseHours?: number;
}

/**
 * A web origin, e.g. https://www.example.com
 * @pattern ^https?://[^\s/]+$
 * @maxLength 255
 */
export type Origin = string;

export interface SettingsView {
  widget: WidgetLook;
  /** Who the assistant is (its name and voice). */
  aiPersona: string;
  /** Extra instructions the assistant follows in every answer. */
  aiInstructions: string;
  /**
   * The assistant answers when the calibrated probability (0..1) that the page it found answers the
   * question is at least this; below it, it abstains and offers a person.
   */
  confidenceThreshold: number;
  escalationRules: EscalationRulesSettings;
  ticketRules: TicketRulesSettings;
  /** Origins allowed to embed the widget. */
  allowedOrigins: Origin[];
  /**
   * Visitor messages the widget accepts per hour for the whole organization (default 300); more are
   * refused, so anonymous visitors cannot spend the plan's messages in a burst.
   */
  anonymousMessagesPerHour: Integer;
  updatedAt: Date;
}

/**
 * Fields given replace the stored ones whole (the widget object included); others stay.
 * @example {"aiPersona": "Kit, the friendly assistant of Acme Kites", "confidenceThreshold": 0.4, "allowedOrigins": ["https://www.acme-kites.example"]}
 */
export interface SettingsUpdate {
  widget?: WidgetLook;
  /** @maxLength 2000 */
  aiPersona?: string;
  /** @maxLength 8000 */
  aiInstructions?: string;
  /**
   * The calibrated probability (0..1) that the page found answers the question, at or above which
   * the assistant answers; below it, it abstains and offers a person.
   * @minimum 0
   * @maximum 1
   */
  confidenceThreshold?: number;
  escalationRules?: EscalationRulesSettings;
  ticketRules?: TicketRulesSettings;
  /** @maxItems 50 */
  allowedOrigins?: Origin[];
  /**
   * @isInt
   * @minimum 1
   * @maximum 100000
   */
  anonymousMessagesPerHour?: number;
}

const toView = (s: OrganizationSettings): SettingsView => ({
  widget: s.widget,
  aiPersona: s.aiPersona,
  aiInstructions: s.aiInstructions,
  confidenceThreshold: s.confidenceThreshold,
  escalationRules: s.escalationRules,
  ticketRules: s.ticketRules,
  allowedOrigins: s.allowedOrigins,
  anonymousMessagesPerHour: s.anonymousMessagesPerHour,
  updatedAt: s.updatedAt,
});

/** Browsers compare origins exactly, so only a bare scheme://host[:port] can ever match. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

function originErrors(origins: string[]): FieldError[] {
  return origins.flatMap((origin, index) =>
    isOrigin(origin)
      ? []
      : [
          {
            field: `body.allowedOrigins.${index}`,
            message: 'must be an origin like https://www.example.com',
          },
        ],
  );
}

export async function getSettings(knex: Knex, organizationId: string): Promise<SettingsView> {
  const settings = await OrganizationSettings.query(knex)
    .forOrganization(organizationId)
    .findById(organizationId);
  if (!settings) throw problems.notFound('The settings');
  return toView(settings);
}

export async function updateSettings(
  knex: Knex,
  actor: Actor,
  update: SettingsUpdate,
): Promise<SettingsView> {
  const errors = originErrors(update.allowedOrigins ?? []);
  if (errors.length > 0) throw problems.validation(errors);
  return knex.transaction(async (trx) => {
    const settings = await OrganizationSettings.query(trx)
      .forOrganization(actor.organizationId)
      .patchAndFetchById(actor.organizationId, update);
    if (!settings) throw problems.notFound('The settings');
    await recordAudit(
      trx,
      actor,
      'settings.updated',
      { type: 'organization', id: actor.organizationId },
      { fields: Object.keys(update) },
    );
    return toView(settings);
  });
}
