import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { REPLY_STATUSES, SETTABLE_STATUSES, statusChangeProblem, type SlaKind } from '../domain/tickets';
import {
  addInternalNoteUpdate,
  assignTicketUpdate,
  handBackUpdate,
  replyToVisitorUpdate,
  setTicketStatusUpdate,
  takeOverUpdate,
  TICKET_FAILURES,
  ticketStateQuery,
  visitorActivitySignal,
  type AssignInput,
  type HandBackInput,
  type NoteInput,
  type ReplyInput,
  type StatusInput,
  type TakeOverInput,
  type TicketSnapshot,
  type VisitorActivity,
} from './contracts';

/**
 * One long-lived workflow per ticket (id `ticket-<ticketId>`): open → assigned (round-robin, or by
 * hand) → pending → resolved → closed after the organization's quiet period; a visitor writing again
 * reopens it. Durable timers watch the first-response and resolution targets; a missed target raises
 * the priority and is recorded. The escalation, the visitor writing on an assigned ticket and each
 * missed target notify the assignee, or the available members when nobody has it (a notification
 * each, and an email through its own delivery workflow). Agents' changes arrive as updates (validated
 * here, written by idempotent activities); the visitor's activity arrives as a signal. The database
 * row is the truth: the workflow starts from it and keeps what each activity returns.
 */

const work = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: Object.values(TICKET_FAILURES),
  },
});

/** Histories recorded before notifications replay the SLA email sent from this workflow, and no notices. */
const NOTIFICATIONS_PATCH = 'ticket-notifications';

/** Email is best effort: a mail server that stays down must not hold the ticket up (replay only). */
const email = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5s', maximumInterval: '5 minutes', maximumAttempts: 10 },
});

const MAX_CONTENT = 10_000;
const CLOSE_GRACE = '1 minute';

type Deadline = { kind: SlaKind | 'close'; at: number };

const time = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** The next thing a timer must do for this ticket, if any. */
export function nextDeadline(ticket: TicketSnapshot): Deadline | null {
  const deadlines: Deadline[] = [];
  const done = ticket.status === 'resolved' || ticket.status === 'closed';
  const firstResponseDue = time(ticket.firstResponseDueAt);
  if (!done && firstResponseDue !== null && !ticket.firstResponseAt && !ticket.firstResponseBreachedAt) {
    deadlines.push({ kind: 'first_response', at: firstResponseDue });
  }
  const resolutionDue = time(ticket.resolutionDueAt);
  if (!done && resolutionDue !== null && !ticket.resolutionBreachedAt) {
    deadlines.push({ kind: 'resolution', at: resolutionDue });
  }
  const resolvedAt = time(ticket.resolvedAt);
  if (ticket.status === 'resolved' && resolvedAt !== null) {
    deadlines.push({ kind: 'close', at: resolvedAt + ticket.autoCloseHours * 3_600_000 });
  }
  return deadlines.sort((a, b) => a.at - b.at)[0] ?? null;
}

const refuse = (type: string, message: string) =>
  ApplicationFailure.create({ type, message, nonRetryable: true });

function checkContent(content: string): void {
  const length = content.trim().length;
  if (length === 0) throw refuse(TICKET_FAILURES.invalid, 'The message is empty.');
  if (length > MAX_CONTENT)
    throw refuse(TICKET_FAILURES.invalid, `The message is longer than ${MAX_CONTENT} characters.`);
}

export async function ticketLifecycle(start: TicketSnapshot): Promise<TicketSnapshot> {
  let ticket = start;
  const ref = () => ({
    organizationId: ticket.organizationId,
    ticketId: ticket.ticketId,
    requestId: uuid4(),
    at: new Date().toISOString(), // workflow time: deterministic, and the clock the timers run on
  });
  const visitorActivity: VisitorActivity[] = [];
  let version = 0;

  // Changes run one at a time, each on the ticket the previous one left.
  let busy = false;
  async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => !busy);
    busy = true;
    try {
      return await fn();
    } finally {
      busy = false;
      version++;
    }
  }
  const keep = (next: TicketSnapshot): TicketSnapshot => (ticket = next);

  const refuseWhenClosed = (): void => {
    if (ticket.status === 'closed') {
      throw refuse(TICKET_FAILURES.conflict, 'The ticket is closed; reply to the visitor to reopen it.');
    }
  };

  setHandler(ticketStateQuery, () => ticket);
  setHandler(visitorActivitySignal, (activity) => {
    visitorActivity.push(activity);
    version++;
  });
  setHandler(
    assignTicketUpdate,
    (input) =>
      exclusive(async () =>
        keep(
          await work.assignTicket({ ...ref(), userId: input.userId ?? null, actorUserId: input.actorUserId }),
        ),
      ),
    {
      validator: (_input: AssignInput) => refuseWhenClosed(),
    },
  );
  setHandler(
    setTicketStatusUpdate,
    (input) =>
      exclusive(async () =>
        keep(await work.setTicketStatus({ ...ref(), status: input.status, actorUserId: input.actorUserId })),
      ),
    {
      validator: (input: StatusInput) => {
        if (!SETTABLE_STATUSES.includes(input.status)) {
          throw refuse(TICKET_FAILURES.invalid, `The status must be one of ${SETTABLE_STATUSES.join(', ')}.`);
        }
        const problem = statusChangeProblem(ticket.status, input.status, ticket.assigneeUserId);
        if (problem) throw refuse(TICKET_FAILURES.conflict, problem);
      },
    },
  );
  setHandler(
    replyToVisitorUpdate,
    (input) =>
      exclusive(async () => {
        const outcome = await work.replyToVisitor({ ...ref(), ...input });
        keep(outcome.ticket);
        return outcome;
      }),
    {
      validator: (input: ReplyInput) => {
        checkContent(input.content);
        if (input.status !== undefined && !REPLY_STATUSES.includes(input.status)) {
          throw refuse(TICKET_FAILURES.invalid, `The status must be one of ${REPLY_STATUSES.join(', ')}.`);
        }
      },
    },
  );
  setHandler(
    addInternalNoteUpdate,
    (input) =>
      exclusive(async () => {
        const outcome = await work.addInternalNote({ ...ref(), ...input });
        keep(outcome.ticket);
        return outcome;
      }),
    { validator: (input: NoteInput) => checkContent(input.content) },
  );
  setHandler(
    handBackUpdate,
    (input) =>
      exclusive(async () =>
        keep(await work.handBackToAssistant({ ...ref(), actorUserId: input.actorUserId })),
      ),
    {
      validator: (_input: HandBackInput) => refuseWhenClosed(),
    },
  );

  setHandler(
    takeOverUpdate,
    (input) =>
      exclusive(async () => keep(await work.takeOverConversation({ ...ref(), userId: input.userId }))),
    {
      validator: (_input: TakeOverInput) => refuseWhenClosed(),
    },
  );

  // A new ticket goes to the next available agent.
  if (ticket.status === 'open' && !ticket.assigneeUserId) {
    await exclusive(async () => keep(await work.assignTicket({ ...ref(), userId: null, actorUserId: null })));
  }

  for (;;) {
    const activity = visitorActivity.shift();
    if (activity) {
      // Waiting on the visitor, or done: the visitor writing again puts it back in the agents' hands.
      await exclusive(async () => {
        if (ticket.status !== 'pending' && ticket.status !== 'resolved') return;
        keep(
          await work.setTicketStatus({
            ...ref(),
            status: 'open',
            actorUserId: null,
            cause: { type: activity.kind, messageId: activity.messageId },
            expect: { status: ticket.status },
          }),
        );
      });
      if (patched(NOTIFICATIONS_PATCH)) {
        await work.notifyTicketEvent({
          organizationId: ticket.organizationId,
          ticketId: ticket.ticketId,
          notice: {
            kind: activity.kind === 'escalated' ? 'escalation' : 'visitor_message',
            messageId: activity.messageId,
          },
        });
      }
      continue;
    }

    if (ticket.status === 'closed') {
      // Linger a moment, so a reply that reopens the ticket (or arrived with the start of this run)
      // is served here, and let running handlers finish before the workflow does.
      await condition(() => ticket.status !== 'closed' || visitorActivity.length > 0, CLOSE_GRACE);
      await condition(() => allHandlersFinished() && !busy);
      if (ticket.status === 'closed' && visitorActivity.length === 0) return ticket;
      continue;
    }

    if (workflowInfo().continueAsNewSuggested) {
      await condition(() => allHandlersFinished() && !busy);
      return continueAsNew<typeof ticketLifecycle>(ticket);
    }

    const deadline = nextDeadline(ticket);
    const seen = version;
    if (!deadline) {
      await condition(() => version !== seen);
      continue;
    }
    const wait = deadline.at - Date.now();
    if (wait > 0 && (await condition(() => version !== seen, wait))) continue;
    await exclusive(() => fire(deadline));
  }

  async function fire(deadline: Deadline): Promise<void> {
    if (deadline.kind === 'close') {
      keep(
        await work.setTicketStatus({
          ...ref(),
          status: 'closed',
          actorUserId: null,
          cause: { type: 'quiet_period' },
          expect: { status: 'resolved', resolvedAt: ticket.resolvedAt },
        }),
      );
      return;
    }
    const breach = await work.recordSlaBreach({ ...ref(), kind: deadline.kind });
    keep(breach.ticket);
    if (patched(NOTIFICATIONS_PATCH)) {
      const breachedAt =
        deadline.kind === 'first_response' ? ticket.firstResponseBreachedAt : ticket.resolutionBreachedAt;
      if (breachedAt !== null) {
        await work.notifyTicketEvent({
          organizationId: ticket.organizationId,
          ticketId: ticket.ticketId,
          notice: { kind: 'sla_breach', sla: deadline.kind },
        });
      }
      return;
    }
    for (const to of breach.notify) {
      try {
        await email.sendSlaBreachEmail({ to, ticket, kind: deadline.kind });
      } catch (error) {
        log.warn('SLA breach email not sent', { to, error: String(error) });
      }
    }
  }
}
