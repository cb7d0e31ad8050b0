import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { EmailDeliveryInput } from './contracts';

/**
 * One workflow per email (id `email-<deliveryId>`): send it, retrying with backoff while the mail
 * server is down or answers "try again later" (4xx); when the attempts run out, or the server refuses
 * for good (5xx), the delivery is marked failed so the console can say so and offer to send again.
 */

const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30 seconds' },
});

export async function deliverEmail(input: EmailDeliveryInput): Promise<'sent' | 'failed'> {
  const smtp = proxyActivities<Activities>({
    startToCloseTimeout: '1 minute',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      maximumAttempts: input.maxAttempts,
    },
  });
  try {
    await smtp.sendEmailDelivery(input);
    return 'sent';
  } catch (error) {
    const cause = error instanceof ActivityFailure ? (error.cause ?? error) : error;
    await bookkeeping.markEmailFailed({
      ...input,
      error: cause instanceof Error ? cause.message : String(cause),
    });
    return 'failed';
  }
}
