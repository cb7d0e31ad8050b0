import { createHmac } from 'node:crypto';
import type Stripe from 'stripe';

/**
 * Webhook endpoints of the Stripe emulator. localstripe keeps its own (registered with
 * `POST /_config/webhooks/<id>`) and delivers the events it makes; the front records the same
 * registrations and delivers the events only it makes (`checkout.session.completed`, `invoice.paid`,
 * `customer.subscription.updated`), signed as Stripe signs them: `Stripe-Signature: t=<time>,v1=<HMAC-SHA256
 * of "<time>.<body>" with the endpoint's secret>`. A failed delivery is retried a few times, as Stripe does.
 */

export interface Endpoint {
  url: string;
  secret: string;
  /** The event types it wants; null for all. */
  events: string[] | null;
}

const RETRY_DELAYS_MS = [500, 2_000, 5_000];

export function signature(payload: string, secret: string, timestamp: number): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

export class WebhookDeliveries {
  readonly endpoints = new Map<string, Endpoint>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  register(id: string, endpoint: Endpoint): void {
    this.endpoints.set(id, endpoint);
  }

  /** Sends `event` to every endpoint that wants it, in the background. */
  deliver(event: Stripe.Event): void {
    for (const endpoint of this.endpoints.values()) {
      if (endpoint.events && !endpoint.events.includes(event.type)) continue;
      const delivery = this.send(endpoint, event).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  private async send(endpoint: Endpoint, event: Stripe.Event): Promise<void> {
    const payload = JSON.stringify(event, null, 2);
    for (let attempt = 0; ; attempt++) {
      if (this.closed) return;
      const ok = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signature(payload, endpoint.secret, Math.floor(Date.now() / 1000)),
        },
        body: payload,
      })
        .then((response) => response.ok)
        .catch(() => false);
      const delay = RETRY_DELAYS_MS[attempt];
      if (ok || delay === undefined) return;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** Stops retrying and waits for the deliveries under way. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.inFlight]);
  }
}
