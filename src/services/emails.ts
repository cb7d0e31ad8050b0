import type { Knex } from 'knex';
import type { Config } from '../config';
import {
  EmailDelivery,
  Invitation,
  Notification,
  Organization,
  UserToken,
  type EmailKind,
} from '../db/models';
import type { Logger } from '../lib/logger';
import type { Email } from '../lib/mailer';
import { newSecret, sha256 } from '../lib/secrets';
import type { TemporalGateway } from '../temporal/client';
import { emailWorkflowId } from '../workflows/contracts';
import type { deliverEmail } from '../workflows/email';
import { notificationEmail } from './notifications';

/**
 * The transactional emails. Links point at the console pages that finish each flow. Each email is a
 * delivery (a row) sent by its own workflow, which retries while the mail server is unreachable; the
 * row tells the console whether the server accepted it.
 */

const hours = (seconds: number): string => {
  const h = Math.round(seconds / 3600);
  return h >= 48 ? `${Math.round(h / 24)} days` : `${h} hour${h === 1 ? '' : 's'}`;
};

export const passwordResetEmail = (to: string, link: string, ttlSeconds: number): Email => ({
  to,
  subject: 'Reset your Parley password',
  text: `Someone asked to reset the password of your Parley account.\n\nChoose a new password here (the link works once, for ${hours(ttlSeconds)}):\n${link}\n\nIf it was not you, ignore this email: your password stays as it is.\n`,
});

export const verificationEmail = (to: string, link: string, ttlSeconds: number): Email => ({
  to,
  subject: 'Confirm your email address for Parley',
  text: `Welcome to Parley!\n\nConfirm your email address here (the link works once, for ${hours(ttlSeconds)}):\n${link}\n`,
});

export const invitationEmail = (
  to: string,
  organizationName: string,
  role: string,
  link: string,
  ttlSeconds: number,
): Email => ({
  to,
  subject: `You are invited to ${organizationName} on Parley`,
  text: `You are invited to join ${organizationName} on Parley as ${role === 'agent' ? 'an agent' : `an ${role}`}.\n\nAccept here (the link works once, for ${hours(ttlSeconds)}):\n${link}\n`,
});

export const slaBreachEmail = (
  to: string,
  ticket: { number: number; priority: string; link: string },
  kind: 'first_response' | 'resolution',
): Email => ({
  to,
  subject: `Ticket #${ticket.number} missed its ${kind === 'first_response' ? 'first-response' : 'resolution'} target`,
  text: `Ticket #${ticket.number} ${kind === 'first_response' ? 'has had no reply from an agent' : 'is not resolved'} within its service-level target. Its priority is now ${ticket.priority}.\n\nOpen it here:\n${ticket.link}\n`,
});

/** What queueing an email needs from the process. */
export interface EmailQueueDeps {
  config: Config;
  knex: Knex;
  logger: Logger;
  temporal: TemporalGateway;
}

export interface EmailRequest {
  organizationId: string;
  kind: EmailKind;
  recipient: string;
  userId?: string;
  invitationId?: string;
}

/**
 * Records the email and starts its delivery workflow (`email-<deliveryId>`). When Temporal cannot
 * take the start, the delivery is marked failed at once, so the page says it was not sent and offers
 * to send it again, rather than "sent" for an email nothing will send.
 */
export async function queueEmail(deps: EmailQueueDeps, request: EmailRequest): Promise<EmailDelivery> {
  const scope = request.organizationId;
  const delivery = await EmailDelivery.query(deps.knex)
    .forOrganization(scope)
    .insert({
      kind: request.kind,
      recipient: request.recipient,
      userId: request.userId ?? null,
      invitationId: request.invitationId ?? null,
    })
    .returning('*');
  try {
    const client = await deps.temporal.getClient();
    await client.workflow.start<typeof deliverEmail>('deliverEmail', {
      workflowId: emailWorkflowId(delivery.id),
      taskQueue: deps.temporal.emailTaskQueue,
      args: [{ organizationId: scope, deliveryId: delivery.id, maxAttempts: deps.config.smtp.maxAttempts }],
    });
    return delivery;
  } catch (error) {
    deps.logger.error({ err: error, deliveryId: delivery.id }, 'email delivery could not be started');
    const lastError = 'Parley could not start sending it: its workflow service is unreachable.';
    await EmailDelivery.query(deps.knex)
      .forOrganization(scope)
      .findById(delivery.id)
      .patch({ status: 'failed', lastError });
    return Object.assign(delivery, { status: 'failed', lastError });
  }
}

/** The newest delivery of a kind to a member or for an invitation, if any. */
export async function latestDelivery(
  knex: Knex,
  organizationId: string,
  about: { kind: EmailKind; userId?: string; invitationId?: string },
): Promise<EmailDelivery | undefined> {
  const query = EmailDelivery.query(knex).forOrganization(organizationId).where('kind', about.kind);
  if (about.userId) query.where('userId', about.userId);
  if (about.invitationId) query.where('invitationId', about.invitationId);
  return query.orderBy('createdAt', 'desc').orderBy('id', 'desc').first();
}

export async function findDelivery(
  knex: Knex,
  organizationId: string,
  id: string,
): Promise<EmailDelivery | undefined> {
  return EmailDelivery.query(knex).forOrganization(organizationId).findById(id);
}

/** The newest delivery of each of these invitations. */
export async function invitationDeliveries(
  knex: Knex,
  organizationId: string,
  invitationIds: string[],
): Promise<Map<string, EmailDelivery>> {
  const rows = await EmailDelivery.query(knex)
    .forOrganization(organizationId)
    .whereIn('invitationId', invitationIds)
    .orderBy('createdAt', 'asc')
    .orderBy('id', 'asc');
  return new Map(rows.map((row) => [row.invitationId!, row]));
}

/** Where the links of emails point and how long they work. */
export interface EmailLinks {
  publicUrl: string;
  auth: Pick<
    Config['auth'],
    'passwordResetTtlSeconds' | 'emailVerificationTtlSeconds' | 'invitationTtlSeconds'
  >;
}

const link = (links: EmailLinks, page: string, token: string): string =>
  `${links.publicUrl.replace(/\/+$/, '')}/${page}?token=${encodeURIComponent(token)}`;

/**
 * The email of a delivery, with a link minted now (only its hash is stored): each attempt mints its
 * own, and an invitation's link replaces the one sent before. Undefined when there is nothing to send
 * any more (the invitation was accepted, withdrawn or has expired; the notification's ticket was
 * deleted). A notification's email carries no secret: its link opens the ticket for a signed-in member.
 */
export async function composeEmail(
  knex: Knex,
  links: EmailLinks,
  delivery: EmailDelivery,
): Promise<Email | undefined> {
  if (delivery.kind === 'notification') {
    const notification = await Notification.query(knex)
      .forOrganization(delivery.organizationId)
      .findById(delivery.notificationId!);
    return notification && notificationEmail(delivery.recipient, notification, links.publicUrl);
  }
  const token = newSecret('lt_');
  if (delivery.kind === 'invitation') {
    const invitation = await Invitation.query(knex)
      .forOrganization(delivery.organizationId)
      .findById(delivery.invitationId!)
      .whereNull('acceptedAt')
      .where('expiresAt', '>', new Date());
    if (!invitation) return undefined;
    await Invitation.query(knex)
      .forOrganization(delivery.organizationId)
      .findById(invitation.id)
      .patch({ tokenHash: sha256(token) });
    const organization = await Organization.query(knex).findById(delivery.organizationId);
    const remaining = Math.max(60, Math.round((invitation.expiresAt.getTime() - Date.now()) / 1000));
    return invitationEmail(
      delivery.recipient,
      organization!.name,
      invitation.role,
      link(links, 'accept-invitation', token),
      remaining,
    );
  }
  const reset = delivery.kind === 'password_reset';
  const ttl = reset ? links.auth.passwordResetTtlSeconds : links.auth.emailVerificationTtlSeconds;
  await UserToken.query(knex).insert({
    userId: delivery.userId!,
    purpose: delivery.kind,
    tokenHash: sha256(token),
    expiresAt: new Date(Date.now() + ttl * 1000),
  });
  return reset
    ? passwordResetEmail(delivery.recipient, link(links, 'reset-password', token), ttl)
    : verificationEmail(delivery.recipient, link(links, 'verify-email', token), ttl);
}
export const webhookEndpointDisabledEmail = (
  to: string,
  endpoint: { url: string; reason: string; link: string },
): Email => ({
  to,
  subject: 'A webhook endpoint was disabled',
  text: `Parley stopped sending events to ${endpoint.url}: ${endpoint.reason}\n\nEvents are not queued for it while it is disabled. Once the receiver works again, enable it and replay the deliveries you need here:\n${endpoint.link}\n`,
});
