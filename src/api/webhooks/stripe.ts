import express, { type Router } from 'express';
import Stripe from 'stripe';
import { problems } from '../../lib/problem';
import type { ApiServices } from '../services';
import { receiveStripeEvent } from '../../services/billing';

/** Verifies signatures only; no request to Stripe is made with this client. */
const verifier = new Stripe('sk_webhook_verification_only');

/**
 * `POST /webhooks/stripe`: verifies the signature over the raw body (so this router is mounted before
 * the JSON parser), then records the event and hands it to the organization's subscription workflow.
 * Unsigned, forged or stale events get 400; duplicates, unknown types and unknown customers get 200 (a
 * 5xx would make Stripe retry for days).
 */
export function stripeWebhookRouter(services: ApiServices): Router {
  const router = express.Router();
  router.post(
    '/webhooks/stripe',
    // Stripe never compresses its events: a Content-Encoding is refused (415), not inflated.
    express.raw({ type: () => true, limit: services.config.http.bodyLimitBytes, inflate: false }),
    async (req, res) => {
      const { webhookSecret, webhookToleranceSeconds } = services.config.billing;
      if (!webhookSecret) throw problems.unavailable('Billing is not configured (STRIPE_WEBHOOK_SECRET).');
      let event: Stripe.Event;
      try {
        event = verifier.webhooks.constructEvent(
          Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
          req.header('stripe-signature') ?? '',
          webhookSecret,
          webhookToleranceSeconds,
        );
      } catch {
        req.log.warn('Stripe webhook with a missing, invalid or stale signature refused');
        throw problems.badRequest(
          'The Stripe-Signature header is missing, does not match the body, or is older than the tolerance.',
        );
      }
      const { outcome } = await receiveStripeEvent(services, event);
      res.status(200).json({ received: true, outcome });
    },
  );
  return router;
}
