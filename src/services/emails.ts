import type { Logger } from '../lib/logger';
import type { Email, Mailer } from '../lib/mailer';

/** The transactional emails. Links point at the console pages that finish each flow. */

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

/**
 * Sends after the response: the caller never waits on the mail server, and a request for an
 * unknown address takes as long as one for a known address. Failures are logged, not thrown.
 */
export function sendInBackground(mailer: Mailer, logger: Logger, email: Email): void {
  mailer.send(email).catch((error: unknown) => {
    logger.error({ err: error, subject: email.subject }, 'email could not be sent');
  });
}

export const slaBreachEmail = (
  to: string,
  ticket: { number: number; priority: string; link: string },
  kind: 'first_response' | 'resolution',
): Email => ({
  to,
  subject: `Ticket #${ticket.number} missed its ${kind === 'first_response' ? 'first-response' : 'resolution'} target`,
  text: `Ticket #${ticket.number} ${kind === 'first_response' ? 'has had no reply from an agent' : 'is not resolved'} within its service-level target. Its priority is now ${ticket.priority}.\n\nOpen it here:\n${ticket.link}\n`,
});

export const webhookEndpointDisabledEmail = (
  to: string,
  endpoint: { url: string; reason: string; link: string },
): Email => ({
  to,
  subject: 'A webhook endpoint was disabled',
  text: `Parley stopped sending events to ${endpoint.url}: ${endpoint.reason}\n\nEvents are not queued for it while it is disabled. Once the receiver works again, enable it and replay the deliveries you need here:\n${endpoint.link}\n`,
});
