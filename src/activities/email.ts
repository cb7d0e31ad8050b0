import { ApplicationFailure } from '@temporalio/activity';
import type { Knex } from 'knex';
import { EmailDelivery } from '../db/models';
import type { Mailer } from '../lib/mailer';
import { composeEmail, type EmailLinks } from '../services/emails';
import type { EmailDeliveryInput } from '../workflows/contracts';

export interface EmailDependencies {
  knex: Knex;
  mailer: Mailer;
  emailLinks: EmailLinks;
}

/** What the SMTP server answered, when it answered (nodemailer puts the reply code on the error). */
const responseCodeOf = (error: unknown): number | undefined =>
  typeof (error as { responseCode?: unknown }).responseCode === 'number'
    ? (error as { responseCode: number }).responseCode
    : undefined;

const MAX_ERROR = 500;

export function createEmailActivities(deps: EmailDependencies) {
  const { knex } = deps;
  const deliveries = (organizationId: string) => EmailDelivery.query(knex).forOrganization(organizationId);

  return {
    /**
     * Sends one delivery and records that the server accepted it. Idempotent: a delivery already sent
     * is not sent again. Each attempt counts and keeps the server's last refusal, which the console
     * shows. A 5xx answer is final (the server will refuse again); anything else is retried.
     */
    async sendEmailDelivery(input: EmailDeliveryInput): Promise<void> {
      const delivery = await deliveries(input.organizationId).findById(input.deliveryId);
      if (!delivery || delivery.status === 'sent') return;
      await deliveries(input.organizationId).findById(delivery.id).increment('attempts', 1);
      const email = await composeEmail(knex, deps.emailLinks, delivery);
      if (!email) {
        throw ApplicationFailure.create({
          type: 'EmailWithdrawn',
          message:
            delivery.kind === 'notification'
              ? 'The ticket of the notification no longer exists.'
              : 'The invitation was accepted, withdrawn or has expired.',
          nonRetryable: true,
        });
      }
      try {
        // The delivery's id as Message-ID: a mail server that saw an attempt already can tell.
        await deps.mailer.send({ ...email, messageId: `<${delivery.id}@parley>` });
      } catch (error) {
        const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR);
        await deliveries(input.organizationId).findById(delivery.id).patch({ lastError: message });
        const code = responseCodeOf(error);
        if (code !== undefined && code >= 500) {
          throw ApplicationFailure.create({ type: 'EmailRefused', message, nonRetryable: true });
        }
        throw error;
      }
      await deliveries(input.organizationId)
        .findById(delivery.id)
        .patch({ status: 'sent', sentAt: new Date(), lastError: null });
    },

    /** The retries ran out: the delivery is failed, with the last reason. */
    async markEmailFailed(input: EmailDeliveryInput & { error: string }): Promise<void> {
      await deliveries(input.organizationId)
        .findById(input.deliveryId)
        .where('status', 'sending')
        .patch({ status: 'failed', lastError: input.error.slice(0, MAX_ERROR) });
    },
  };
}
