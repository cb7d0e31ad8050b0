import { type JSONSchema, type RelationMappings } from 'objection';
import { BaseModel, TenantModel } from '../base-model';

export const TICKET_STATUSES = ['open', 'assigned', 'pending', 'resolved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

export class Ticket extends TenantModel {
  static override tableName = 'tickets';
  declare id: string;
  declare conversationId: string;
  /** Human-friendly number, sequential per organization. */
  declare number: number;
  declare status: TicketStatus;
  declare priority: TicketPriority;
  declare reason: string;
  declare summary: string;
  declare assigneeUserId: string | null;
  declare firstResponseDueAt: Date | null;
  declare resolutionDueAt: Date | null;
  declare firstResponseAt: Date | null;
  declare resolvedAt: Date | null;
  declare closedAt: Date | null;
  /** When a service-level target was missed (each fires once). */
  declare firstResponseBreachedAt: Date | null;
  declare resolutionBreachedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
  declare events?: TicketEvent[];

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['conversationId', 'number', 'reason'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      organizationId: { type: 'string', format: 'uuid' },
      conversationId: { type: 'string', format: 'uuid' },
      number: { type: 'integer', minimum: 1 },
      status: { type: 'string', enum: [...TICKET_STATUSES] },
      priority: { type: 'string', enum: [...TICKET_PRIORITIES] },
      reason: { type: 'string', minLength: 1 },
      summary: { type: 'string' },
      assigneeUserId: { type: ['string', 'null'], format: 'uuid' },
    },
  };

  static override relationMappings = (): RelationMappings => ({
    events: {
      relation: BaseModel.HasManyRelation,
      modelClass: TicketEvent,
      join: { from: 'tickets.id', to: 'ticket_events.ticketId' },
    },
  });
}

/** What happened to a ticket, one event of its timeline. */
export type TicketEventType =
  | 'created'
  | 'escalated_again'
  | 'assigned'
  | 'assignment_skipped'
  | 'status_changed'
  | 'reopened'
  | 'replied'
  | 'note'
  | 'handed_back'
  | 'taken_over'
  | 'sla_breached';

export class TicketEvent extends TenantModel {
  static override tableName = 'ticket_events';
  static override hasUpdatedAt = false;
  declare id: string;
  declare ticketId: string;
  declare type: string;
  declare actorUserId: string | null;
  declare data: Record<string, unknown>;
  declare createdAt: Date;
}
