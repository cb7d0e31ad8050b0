import { TypedSearchAttributes } from '@temporalio/common';
import type { Knex } from 'knex';
import { OrganizationSettings, Ticket } from '../db/models';
import { DEFAULT_TICKET_RULES } from '../domain/tickets';
import {
  organizationIdAttribute,
  ticketIdAttribute,
  ticketWorkflowId,
  type TicketSnapshot,
} from '../workflows/contracts';

/** How the API and the escalation activity find or start a ticket's lifecycle workflow. */

const iso = (date: Date | null): string | null => (date ? new Date(date).toISOString() : null);

export function toTicketSnapshot(ticket: Ticket, autoCloseHours: number): TicketSnapshot {
  return {
    organizationId: ticket.organizationId,
    ticketId: ticket.id,
    number: ticket.number,
    status: ticket.status,
    priority: ticket.priority,
    assigneeUserId: ticket.assigneeUserId,
    firstResponseDueAt: iso(ticket.firstResponseDueAt),
    resolutionDueAt: iso(ticket.resolutionDueAt),
    firstResponseAt: iso(ticket.firstResponseAt),
    resolvedAt: iso(ticket.resolvedAt),
    firstResponseBreachedAt: iso(ticket.firstResponseBreachedAt),
    resolutionBreachedAt: iso(ticket.resolutionBreachedAt),
    autoCloseHours,
  };
}

export async function autoCloseHoursOf(db: Knex | Knex.Transaction, organizationId: string): Promise<number> {
  const settings = await OrganizationSettings.query(db)
    .forOrganization(organizationId)
    .findById(organizationId);
  return settings?.ticketRules?.autoCloseHours ?? DEFAULT_TICKET_RULES.autoCloseHours;
}

/** The ticket row as the workflow sees it; undefined when there is no such ticket in the organization. */
export async function loadTicketSnapshot(
  db: Knex | Knex.Transaction,
  organizationId: string,
  ticketId: string,
): Promise<TicketSnapshot | undefined> {
  const ticket = await Ticket.query(db).forOrganization(organizationId).findById(ticketId);
  if (!ticket) return undefined;
  return toTicketSnapshot(ticket, await autoCloseHoursOf(db, organizationId));
}

/** Start options shared by every caller: the business id and the search attributes operators filter on. */
export function ticketStartOptions(snapshot: TicketSnapshot, taskQueue: string) {
  return {
    workflowId: ticketWorkflowId(snapshot.ticketId),
    taskQueue,
    args: [snapshot] as [TicketSnapshot],
    typedSearchAttributes: new TypedSearchAttributes([
      { key: organizationIdAttribute, value: snapshot.organizationId },
      { key: ticketIdAttribute, value: snapshot.ticketId },
    ]),
  };
}
