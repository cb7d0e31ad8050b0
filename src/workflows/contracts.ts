import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Citation, IngestionStage, RetrievalTrace } from '../db/models';
import type { Ticket, TicketPriority, TicketStatus } from '../db/models/ticket';
import type { ReplyStatus, SettableStatus, SlaKind } from '../domain/tickets';
import type { BillingState } from '../domain/billing';
import type { PaidPlan } from '../domain/plans';
import type { TurnOutcome } from '../domain/turn-decision';
import type { WebhookRetryPolicy } from '../domain/webhooks';
import type { Integer } from '../domain/schemas';

/**
 * What the API and the worker share about workflows: ids (business ids, so a retried request cannot
 * start the work twice), inputs and outputs, signals and queries. No activity proxies live here, so the
 * API can import it freely.
 */

export const ingestWorkflowId = (documentId: string): string => `ingest-${documentId}`;
export const turnWorkflowId = (messageId: string): string => `turn-${messageId}`;
/** The one sweeper of a task queue (see workflows/sweeper.ts). */
export const turnSweeperWorkflowId = (taskQueue: string): string => `sweep-orphaned-turns-${taskQueue}`;

/** Which unanswered visitor messages the sweeper looks at; tests narrow it to one organization. */
export interface SweepScope {
  organizationId?: string;
}

export interface IngestInput {
  organizationId: string;
  documentId: string;
  sourceType: 'upload' | 'url' | 'sitemap';
  /** Chunks embedded per activity call: the granularity of progress and of work redone after a crash. */
  embedBatchSize: number;
  /** Minutes between re-syncs of URL and sitemap sources; absent for uploads and sitemap pages. */
  resyncMinutes?: number;
}

export interface IngestionProgress {
  stage: IngestionStage;
  chunksDone: Integer;
  chunksTotal: Integer;
  error?: string;
}

export const ingestionProgressQuery = defineQuery<IngestionProgress>('ingestionProgress');
export const resyncSignal = defineSignal('resync');

/** A chat turn's input: the visitor message it answers (the API starts it, the activities load it). */
export interface TurnRef {
  organizationId: string;
  conversationId: string;
  /** The visitor message this turn answers. */
  messageId: string;
}

/** What a turn records about its reply, passed from the workflow to the activity that stores it. */
export interface TurnRecord extends TurnRef {
  outcome: TurnOutcome;
  text: string;
  citations: Citation[];
  trace: RetrievalTrace | null;
  sentiment: number;
  model: string | null;
  promptVersion: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number;
  reasons: string[];
}

export interface TurnResult {
  outcome: TurnRecord['outcome'];
  replyId: string | null;
  reasons: string[];
}

export const ticketWorkflowId = (ticketId: string): string => `ticket-${ticketId}`;

/** Registered on the Temporal server (scripts/temporal.sh), so operators find a tenant's tickets. */
export const organizationIdAttribute = defineSearchAttributeKey(
  'OrganizationId',
  SearchAttributeType.KEYWORD,
);
export const ticketIdAttribute = defineSearchAttributeKey('TicketId', SearchAttributeType.KEYWORD);

/**
 * A ticket as its lifecycle workflow sees it: the database row after the last change (times as ISO
 * strings). The workflow starts from it and replaces it with what each activity returns.
 */
export interface TicketSnapshot {
  organizationId: string;
  ticketId: string;
  number: number;
  status: TicketStatus;
  priority: TicketPriority;
  assigneeUserId: string | null;
  firstResponseDueAt: string | null;
  resolutionDueAt: string | null;
  firstResponseAt: string | null;
  resolvedAt: string | null;
  firstResponseBreachedAt: string | null;
  resolutionBreachedAt: string | null;
  /** The organization's quiet period before a resolved ticket closes. */
  autoCloseHours: number;
}

const iso = (date: Date | null): string | null => (date ? new Date(date).toISOString() : null);

/** The snapshot of a ticket row (the workflow's input, and what each of its activities returns). */
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

/** The visitor wrote again (`visitor_message`) or the assistant escalated again (`escalated`). */
export interface VisitorActivity {
  kind: 'visitor_message' | 'escalated';
  messageId: string;
}

export interface AssignInput {
  /** The member to assign; absent for round-robin among available members. */
  userId?: string;
  actorUserId: string | null;
}
export interface StatusInput {
  status: SettableStatus;
  actorUserId: string | null;
}
export interface ReplyInput {
  content: string;
  /** Idempotency key of the message (a retried request posts it once). */
  clientMessageId: string;
  authorUserId: string | null;
  /** The ticket's status once the reply is sent; without it an active ticket keeps its status. */
  status?: ReplyStatus;
}
export interface NoteInput {
  content: string;
  clientMessageId: string;
  authorUserId: string | null;
}
export interface HandBackInput {
  actorUserId: string | null;
}
export interface TakeOverInput {
  /** The member who takes the conversation from the assistant (and the ticket). */
  userId: string;
}
/** What a reply or a note produced: the message and the ticket after it. */
export interface MessageOutcome {
  messageId: string;
  ticket: TicketSnapshot;
}

export const ticketStateQuery = defineQuery<TicketSnapshot>('ticketState');
export const visitorActivitySignal = defineSignal<[VisitorActivity]>('visitorActivity');
export const assignTicketUpdate = defineUpdate<TicketSnapshot, [AssignInput]>('assignTicket');
export const setTicketStatusUpdate = defineUpdate<TicketSnapshot, [StatusInput]>('setTicketStatus');
export const replyToVisitorUpdate = defineUpdate<MessageOutcome, [ReplyInput]>('replyToVisitor');
export const addInternalNoteUpdate = defineUpdate<MessageOutcome, [NoteInput]>('addInternalNote');
export const handBackUpdate = defineUpdate<TicketSnapshot, [HandBackInput]>('handBackToAssistant');
export const takeOverUpdate = defineUpdate<TicketSnapshot, [TakeOverInput]>('takeOver');

/**
 * What any activity's database write that retrying cannot fix fails with (non-retryable; see
 * src/worker/database-failures.ts): a value the database refuses (SQLSTATE class 22, or a model's
 * check of the same) or an integrity rule it breaks (class 23). The API maps them to 422 and 409.
 */
export const DATABASE_FAILURES = {
  refusedValue: 'DatabaseRefusedValue',
  integrityViolation: 'DatabaseIntegrityViolation',
} as const;

/** Failure types the ticket workflow raises for requests it refuses; the API maps them to statuses. */
export const TICKET_FAILURES = {
  /** The request does not fit the ticket's state (e.g. assigning a closed ticket): 409. */
  conflict: 'TicketConflict',
  /** The request itself is invalid (e.g. an empty reply, an outsider as assignee): 422. */
  invalid: 'TicketInvalid',
} as const;

/** The long-lived billing entity of one organization (see src/workflows/subscription.ts). */
export const subscriptionWorkflowId = (organizationId: string): string => `subscription-${organizationId}`;

export interface SubscriptionInput {
  organizationId: string;
  /** How long a subscription whose payment failed keeps its plan (BILLING_GRACE_DAYS). */
  graceMs: number;
  /** Continue as new past this many history events (default 2,000; tests lower it). */
  historyLimit?: number;
  /** Carried over by continue-as-new; a new workflow loads it from the database. */
  state?: BillingState;
  pending?: StripeEventNotice[];
}

/** A verified Stripe event for the organization; the workflow re-reads Stripe rather than trusting it. */
export interface StripeEventNotice {
  eventId: string;
  type: string;
  /** Epoch seconds, as Stripe stamps events. */
  created: number;
}

export interface CheckoutRequest {
  plan: PaidPlan;
  successUrl: string;
  cancelUrl: string;
}

export const stripeEventSignal = defineSignal<[StripeEventNotice]>('stripeEvent');
export const billingStateQuery = defineQuery<BillingState>('billingState');
export const checkoutUpdate = defineUpdate<{ sessionId: string; url: string }, [CheckoutRequest]>(
  'createCheckoutSession',
);
export const portalUpdate = defineUpdate<{ url: string }, [{ returnUrl: string }]>('createPortalSession');
export const cancelAtPeriodEndUpdate = defineUpdate<BillingState, [{ cancel: boolean }]>(
  'setCancelAtPeriodEnd',
);

/** One email (see src/workflows/email.ts); the delivery row's id is the business id. */
export const emailWorkflowId = (deliveryId: string): string => `email-${deliveryId}`;

export interface EmailDeliveryInput {
  organizationId: string;
  deliveryId: string;
  /** Attempts before the delivery is marked failed (SMTP_MAX_ATTEMPTS). */
  maxAttempts: number;
}

/** One delivery of an outbound webhook event to one endpoint (see src/workflows/webhooks.ts). */
export const webhookDeliveryWorkflowId = (deliveryId: string): string => `webhook-delivery-${deliveryId}`;
/** The dispatcher of a task queue, which starts the delivery workflows. */
export const webhookDispatcherWorkflowId = (taskQueue: string): string => `dispatch-webhooks-${taskQueue}`;

/** Which deliveries a dispatcher starts; tests narrow it to one organization. */
export interface WebhookDispatchScope {
  organizationId?: string;
}

export interface WebhookDeliveryInput {
  organizationId: string;
  deliveryId: string;
  retry: WebhookRetryPolicy;
}

export interface DeliveryAttempt {
  organizationId: string;
  deliveryId: string;
  /** 1-based; with the delivery, the attempt's idempotency key. */
  attempt: number;
  /** When the next attempt follows a failure of this one; null: this is the last. */
  retryInMs: number | null;
}

export interface DeliveryAttemptResult {
  /** `abandoned`: the endpoint was deleted or disabled meanwhile. */
  outcome: 'succeeded' | 'failed' | 'abandoned';
  /** This attempt's failure disabled the endpoint (its admins are to be told). */
  endpointDisabled: boolean;
}

/** What a ticket's members are told about (src/activities/notifications.ts). */
export type TicketNotice =
  { kind: 'escalation' | 'visitor_message'; messageId: string } | { kind: 'sla_breach'; sla: SlaKind };

export interface TicketNoticeInput {
  organizationId: string;
  ticketId: string;
  notice: TicketNotice;
}
/**
 * One test run at a time per organization and test set (#22): a second start while one runs joins it
 * (`USE_EXISTING`); a later start runs again.
 */
export const testRunWorkflowId = (organizationId: string, testSetId: string): string =>
  `test-run-${organizationId}-${testSetId}`;
/** The organization's debouncer: a burst of knowledge changes starts its test runs once, when it goes quiet. */
export const knowledgeChangeWorkflowId = (organizationId: string): string =>
  `test-runs-after-knowledge-change-${organizationId}`;

export interface TestRunInput {
  organizationId: string;
  testSetId: string;
  trigger: 'manual' | 'knowledge_change';
}

export interface TestRunSummary {
  runId: string;
  questionCount: number;
  passed: number;
  failed: number;
  missingDocuments: number;
}

export interface KnowledgeChangeInput {
  organizationId: string;
  /** Seconds without a further change before the runs start (TEST_RUN_QUIET_SECONDS). */
  quietSeconds: number;
}

/** A document went live or was deleted; the debouncer waits for the burst to end. */
export const knowledgeChangedSignal = defineSignal('knowledgeChanged');

/** Deleting an organization (see src/workflows/organization-deletion.ts); its deletion id is the business id. */
export const organizationDeletionWorkflowId = (deletionId: string): string =>
  `delete-organization-${deletionId}`;

export interface OrganizationDeletionInput {
  organizationId: string;
  deletionId: string;
}

/** The tenant tables the deletion empties, leaves first, a batch at a time; the rest go with the row. */
export const DELETED_TABLES = [
  'webhook_attempts',
  'webhook_deliveries',
  'webhook_messages',
  'notifications',
  'email_deliveries',
  'ticket_events',
  'tickets',
  'attachments',
  'messages',
  'conversations',
  'document_chunks',
  'document_files',
  'documents',
  'usage_events',
  'audit_log',
] as const;
export type DeletedTable = (typeof DELETED_TABLES)[number];

export interface OrganizationDeletionProgress {
  stage: 'stopping_workflows' | 'canceling_subscription' | 'deleting_rows' | 'deleting_indexes' | 'deleted';
  /** The table being emptied while `stage` is `deleting_rows`. */
  table: DeletedTable | null;
  tablesDone: Integer;
  tablesTotal: Integer;
  rowsDeleted: Integer;
  /** Workflows of the organization that were still running and were terminated. */
  workflowsStopped: Integer;
  /** The Stripe subscription that was canceled, if the organization had one running. */
  canceledSubscriptionId: string | null;
}

export const organizationDeletionProgressQuery = defineQuery<OrganizationDeletionProgress>(
  'organizationDeletionProgress',
);
