import type { Message } from '../db/models/conversation';
import type { TicketPriority, TicketStatus } from '../db/models/ticket';
import { clip } from '../lib/storable';
import type { Plan } from './plans';

/**
 * Ticket rules shared by the lifecycle workflow, its activities and the API: service-level targets per
 * priority, how a breach raises the priority, which status changes an agent may ask for, and a new
 * ticket's priority and summary.
 * Pure and deterministic (the workflow imports it).
 */

export interface SlaTargets {
  /** Minutes from the ticket's creation to the first agent reply. */
  firstResponseMinutes: number;
  /** Minutes from the ticket's creation to its resolution. */
  resolutionMinutes: number;
}

export const DEFAULT_SLA: Record<TicketPriority, SlaTargets> = {
  urgent: { firstResponseMinutes: 15, resolutionMinutes: 4 * 60 },
  high: { firstResponseMinutes: 60, resolutionMinutes: 8 * 60 },
  normal: { firstResponseMinutes: 4 * 60, resolutionMinutes: 24 * 60 },
  low: { firstResponseMinutes: 24 * 60, resolutionMinutes: 5 * 24 * 60 },
};

export interface TicketRules {
  /** Hours a resolved ticket stays quiet (no visitor message) before it closes. */
  autoCloseHours: number;
}

export const DEFAULT_TICKET_RULES: TicketRules = { autoCloseHours: 72 };

export const PRIORITY_LADDER: readonly TicketPriority[] = ['low', 'normal', 'high', 'urgent'];

/** One step up the ladder (urgent stays urgent): a missed target makes the ticket more pressing. */
export function raisePriority(priority: TicketPriority): TicketPriority {
  const rank = PRIORITY_LADDER.indexOf(priority);
  return PRIORITY_LADDER[Math.min(rank + 1, PRIORITY_LADDER.length - 1)]!;
}

export function slaDueDates(
  createdAt: Date,
  priority: TicketPriority,
): { firstResponse: Date; resolution: Date } {
  const targets = DEFAULT_SLA[priority];
  return {
    firstResponse: new Date(createdAt.getTime() + targets.firstResponseMinutes * 60_000),
    resolution: new Date(createdAt.getTime() + targets.resolutionMinutes * 60_000),
  };
}

export type SlaKind = 'first_response' | 'resolution';

/** A ticket being worked on again: assigned when someone owns it, open otherwise. */
export const activeStatus = (assigneeUserId: string | null): TicketStatus =>
  assigneeUserId ? 'assigned' : 'open';

/** Statuses an agent may set by hand; `open` and `assigned` both mean "being worked on again". */
export const SETTABLE_STATUSES = ['open', 'assigned', 'pending', 'resolved', 'closed'] as const;
export type SettableStatus = (typeof SETTABLE_STATUSES)[number];

/**
 * Statuses an agent may move a ticket to with a reply: `pending` waits on the visitor (their next
 * message reopens it), `resolved` closes it after the quiet period unless they write again.
 */
export const REPLY_STATUSES = ['pending', 'resolved'] as const;
export type ReplyStatus = (typeof REPLY_STATUSES)[number];

/**
 * Why a status change is refused, or null when it is allowed. A closed ticket is reopened by replying
 * to the visitor (documented); asking for "assigned" needs someone to assign.
 */
export function statusChangeProblem(
  from: TicketStatus,
  to: SettableStatus,
  assigneeUserId: string | null,
): string | null {
  if (from === 'closed' && to !== 'closed') return 'The ticket is closed; reply to the visitor to reopen it.';
  if (to === 'assigned' && !assigneeUserId) return 'The ticket has no assignee; assign it first.';
  return null;
}

/** The status a ticket ends up with when an agent asks for `to`. */
export const resultingStatus = (to: SettableStatus, assigneeUserId: string | null): TicketStatus =>
  to === 'open' || to === 'assigned' ? activeStatus(assigneeUserId) : to;

/** Upset visitors and paying plans get seen first. */
export function priorityFor(sentiment: number, plan: Plan): TicketPriority {
  let rank = 1;
  if (sentiment <= -0.6) rank++;
  if (plan !== 'free') rank++;
  return PRIORITY_LADDER[Math.min(rank, PRIORITY_LADDER.length - 1)]!;
}

/**
 * A few lines for the agent: what the visitor asked first (usually the problem itself), then their
 * latest messages, newest last.
 */
export function summarize(messages: Pick<Message, 'role' | 'content'>[]): string {
  const asked = messages
    .filter((m) => m.role === 'visitor')
    .map((m) => `• ${clip(m.content.replace(/\s+/g, ' '), 200)}`);
  return (asked.length <= 5 ? asked : [asked[0]!, '…', ...asked.slice(-4)]).join('\n');
}
