import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Knex } from 'knex';
import { EmailDelivery, Membership, Message, Notification, Ticket, User } from '../db/models';
import { EMAIL_PREFERENCE } from '../domain/notifications';
import { emailWorkflowId, type TicketNotice, type TicketNoticeInput } from '../workflows/contracts';
import type { deliverEmail } from '../workflows/email';

export interface NotificationDependencies {
  knex: Knex;
  /** Attempts of each notification email before it is marked failed (SMTP_MAX_ATTEMPTS). */
  emailMaxAttempts: number;
}

const EXCERPT = 280;

const excerpt = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT ? `${flat.slice(0, EXCERPT - 1)}…` : flat;
};

/** The event's key: with the recipient, what makes a notification exactly-once. */
export function eventKeyOf(ticketId: string, notice: TicketNotice): string {
  return notice.kind === 'sla_breach'
    ? `sla_breach:${ticketId}:${notice.sla}`
    : `${notice.kind}:${notice.messageId}`;
}

async function describe(
  knex: Knex,
  ticket: Ticket,
  notice: TicketNotice,
): Promise<{ title: string; body: string }> {
  if (notice.kind === 'sla_breach') {
    const first = notice.sla === 'first_response';
    return {
      title: `Ticket #${ticket.number} missed its ${first ? 'first-response' : 'resolution'} target`,
      body: `Ticket #${ticket.number} ${first ? 'has had no reply from an agent' : 'is not resolved'} within its service-level target. Its priority is now ${ticket.priority}.`,
    };
  }
  const message = await Message.query(knex).forOrganization(ticket.organizationId).findById(notice.messageId);
  const said = message ? `\n\nThe visitor wrote: "${excerpt(message.content)}"` : '';
  return notice.kind === 'escalation'
    ? {
        title: `Ticket #${ticket.number}: a visitor asks for a person`,
        body: `A visitor was handed to the support team (${ticket.reason}).${said}`,
      }
    : {
        title: `Ticket #${ticket.number}: the visitor wrote again`,
        body: `The visitor wrote on ticket #${ticket.number}, which is assigned to you.${said}`,
      };
}

/**
 * Whom to tell: the assignee; on an unassigned ticket, the members marked available (every role takes
 * tickets), or every member when nobody is. A visitor's message tells only the assignee.
 */
async function recipientsOf(knex: Knex, ticket: Ticket, notice: TicketNotice): Promise<Membership[]> {
  const members = () => Membership.query(knex).forOrganization(ticket.organizationId);
  if (ticket.assigneeUserId) {
    const assignee = await members().findOne({ userId: ticket.assigneeUserId });
    if (assignee) return [assignee];
  }
  if (notice.kind === 'visitor_message') return [];
  const available = await members().where('available', true);
  return available.length > 0 ? available : await members();
}

export function createNotificationActivities(deps: NotificationDependencies) {
  const { knex } = deps;

  return {
    /**
     * Tells the ticket's people about an event: a notification each (the console's badge and list),
     * and an email each to those who want one for this kind of event, sent by its delivery workflow
     * (`email-<deliveryId>`, on this worker's task queue). Exactly once per event and recipient: the
     * rows are keyed by (event, recipient) and the email by the notification, so a retried activity
     * finds them and only starts a delivery that is not running yet.
     */
    async notifyTicketEvent(input: TicketNoticeInput): Promise<void> {
      const scope = input.organizationId;
      const eventKey = eventKeyOf(input.ticketId, input.notice);
      const deliveries = await knex.transaction(async (trx) => {
        const ticket = await Ticket.query(trx).forOrganization(scope).findById(input.ticketId);
        if (!ticket) return [];
        const recipients = await recipientsOf(trx, ticket, input.notice);
        if (recipients.length === 0) return [];
        const { title, body } = await describe(trx, ticket, input.notice);
        await Notification.query(trx)
          .forOrganization(scope)
          .insert(
            recipients.map((member) => ({
              userId: member.userId,
              ticketId: ticket.id,
              kind: input.notice.kind,
              eventKey,
              title,
              body,
            })),
          )
          .onConflict(['organization_id', 'event_key', 'user_id'])
          .ignore();
        const notifications = await Notification.query(trx)
          .forOrganization(scope)
          .where('eventKey', eventKey)
          .whereIn(
            'userId',
            recipients.map((member) => member.userId),
          );
        const wanted = new Set(
          recipients
            .filter((member) => member[EMAIL_PREFERENCE[input.notice.kind]])
            .map((member) => member.userId),
        );
        const emailed = notifications.filter((n) => wanted.has(n.userId));
        if (emailed.length > 0) {
          const users = await User.query(trx).whereIn(
            'id',
            emailed.map((n) => n.userId),
          );
          const emailOf = new Map(users.map((user) => [user.id, user.email]));
          await EmailDelivery.query(trx)
            .forOrganization(scope)
            .insert(
              emailed.map((n) => ({
                kind: 'notification' as const,
                recipient: emailOf.get(n.userId)!,
                userId: n.userId,
                notificationId: n.id,
              })),
            )
            .onConflict('notification_id')
            .ignore();
        }
        return EmailDelivery.query(trx)
          .forOrganization(scope)
          .whereIn(
            'notificationId',
            notifications.map((n) => n.id),
          )
          .where('status', 'sending');
      });

      const { client, info } = Context.current();
      for (const delivery of deliveries) {
        try {
          await client.workflow.start<typeof deliverEmail>('deliverEmail', {
            workflowId: emailWorkflowId(delivery.id),
            taskQueue: info.taskQueue,
            args: [{ organizationId: scope, deliveryId: delivery.id, maxAttempts: deps.emailMaxAttempts }],
          });
        } catch (error) {
          // Started by an earlier attempt of this activity: the delivery is on its way.
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        }
      }
    },
  };
}
