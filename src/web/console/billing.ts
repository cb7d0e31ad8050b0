import { Router, type Request, type Response } from 'express';
import { problems } from '../../lib/problem';
import { servicesOf } from '../../api/services';
import { PAID_PLANS, PLAN_CATALOG, PLANS, type PaidPlan } from '../../domain/plans';
import {
  billingOverview,
  openBillingPortal,
  setCancelAtPeriodEnd,
  startCheckout,
} from '../../services/billing';
import { text } from '../forms';
import { html } from '../html';
import { contextOf, csrfField, sendPage, when } from '../layout';
import { consoleUser, requireRole } from './request';

/**
 * Billing: the plan, its status and period, usage against its limits, and the ways to change it —
 * Stripe Checkout to upgrade, the Billing Portal to manage, cancel or resume at the period's end. All
 * through the billing service (and so through the organization's subscription workflow).
 */

const NOTICES: Record<string, string> = {
  canceled: 'The checkout was cancelled; nothing changed.',
  unavailable: 'The checkout could not open just now. Your account is ready; choose the plan again below.',
};

export function billingRouter(): Router {
  const router = Router();

  router.get('/billing', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const { principal } = consoleUser(res);
    const overview = await billingOverview(servicesOf(req), principal.organizationId);
    const ctx = contextOf(req, res);
    // A Stripe subscription to manage; a paid plan without one was granted (the demo tenant, a deal
    // invoiced elsewhere): nothing to pay, cancel or manage in Stripe.
    const subscribed = overview.status !== 'free' && overview.status !== 'canceled';
    const granted = !subscribed && overview.plan !== 'free';
    // Back from Checkout: Stripe's webhook may not have arrived yet, so the page polls until it has.
    const paying = req.query.checkout === 'success' && !subscribed;
    const notice =
      req.query.checkout === 'success'
        ? paying
          ? 'Thank you! Waiting for Stripe to confirm the payment…'
          : `Thank you! You are on the ${overview.planName} plan.`
        : typeof req.query.checkout === 'string'
          ? NOTICES[req.query.checkout]
          : undefined;
    const view = html`<div
      id="billing"
      ${paying ? html`hx-get="/console/billing?checkout=success" hx-trigger="every 2s" hx-swap="outerHTML"` : ''}
    >
      <div class="page-header"><h1>Billing</h1></div>
      ${notice ? html`<div class="alert alert-info" role="status">${notice}</div>` : ''}
      ${
        overview.graceUntil
          ? html`<div class="alert alert-warning" role="alert">
              A payment failed. Update your payment method before ${when(overview.graceUntil)}, or the plan
              returns to Free.
            </div>`
          : ''
      }
      <div class="grid-2">
        <section class="card">
          <h2>${overview.planName} plan</h2>
          <dl class="facts">
            <dt>Status</dt>
            <dd><span class="badge">${granted ? 'granted' : overview.status.replace(/_/g, ' ')}</span></dd>
            <dt>Period</dt>
            <dd>
              ${overview.currentPeriodStart ? `${when(overview.currentPeriodStart)} – ${when(overview.currentPeriodEnd)}` : '—'}
            </dd>
            ${
              overview.cancelAtPeriodEnd
                ? html`<dt>Ends</dt>
                    <dd>at the end of the period (then Free)</dd>`
                : ''
            }
          </dl>
          ${
            granted
              ? html`<p class="muted">
                  Granted without a subscription: nothing to pay. Subscribing to a plan replaces it.
                </p>`
              : ''
          }
          ${
            subscribed
              ? html`<div class="actions">
                  <form method="post" action="/console/billing/portal" class="inline">
                    ${csrfField(ctx)}<button type="submit" class="button">Manage payment and invoices</button>
                  </form>
                  <form
                    method="post"
                    action="/console/billing/${overview.cancelAtPeriodEnd ? 'resume' : 'cancel'}"
                    class="inline"
                  >
                    ${csrfField(ctx)}
                    <button type="submit" class="button secondary">
                      ${overview.cancelAtPeriodEnd ? 'Keep the plan' : 'Cancel at the end of the period'}
                    </button>
                  </form>
                </div>`
              : ''
          }
        </section>
        <section class="card">
          <h2>Usage this month</h2>
          <p class="muted">${when(overview.usagePeriodStart)} – ${when(overview.usagePeriodEnd)}</p>
          ${overview.usage.map(
            (u) =>
              html`<p>
                <strong>${u.metric === 'messages' ? 'Answered messages' : 'Seats'}:</strong>
                ${u.used} ${u.limit === null ? '(unlimited)' : html`of ${u.limit}`}
                ${u.limit !== null ? html`<meter min="0" max="${u.limit}" value="${u.used}" aria-label="${u.metric} used">${u.used}</meter>` : ''}
              </p>`,
          )}
        </section>
      </div>
      <section class="card">
        <h2>Plans</h2>
        <div class="pricing-grid">
          ${PLANS.map((id) => {
            const plan = PLAN_CATALOG[id];
            return html`<article class="card plan${id === overview.plan ? ' featured' : ''}">
              <h3>${plan.name}</h3>
              <p class="price">
                <span class="amount">$${(plan.priceCents / 100).toFixed(0)}</span>
                <span class="muted">/ month</span>
              </p>
              <ul class="checklist">
                ${plan.features.map((f) => html`<li>${f}</li>`)}
              </ul>
              ${
                id === overview.plan
                  ? html`<p><strong>Your plan</strong></p>`
                  : subscribed
                    ? html`<p class="muted small">Change plans in the billing portal.</p>`
                    : (PAID_PLANS as readonly string[]).includes(id)
                      ? html`<form method="post" action="/console/billing/checkout">
                          ${csrfField(ctx)}<input type="hidden" name="plan" value="${id}" />
                          <button type="submit" class="button">
                            ${granted ? 'Subscribe to' : 'Upgrade to'} ${plan.name}
                          </button>
                        </form>`
                      : ''
              }
            </article>`;
          })}
        </div>
      </section>
    </div>`;
    sendPage(req, res, { title: 'Billing', main: view });
  });

  router.post('/billing/checkout', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const plan = text(req.body, 'plan');
    if (!(PAID_PLANS as readonly string[]).includes(plan)) {
      throw problems.validation([{ field: 'body.plan', message: 'is not a paid plan' }]);
    }
    const session = await startCheckout(
      servicesOf(req),
      consoleUser(res).principal.organizationId,
      plan as PaidPlan,
    );
    res.redirect(303, session.url);
  });

  router.post('/billing/portal', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const session = await openBillingPortal(servicesOf(req), consoleUser(res).principal.organizationId);
    res.redirect(303, session.url);
  });

  for (const action of ['cancel', 'resume'] as const) {
    router.post(`/billing/${action}`, async (req: Request, res: Response) => {
      requireRole(res, 'admin');
      await setCancelAtPeriodEnd(
        servicesOf(req),
        consoleUser(res).principal.organizationId,
        action === 'cancel',
      );
      res.redirect(303, '/console/billing');
    });
  }

  return router;
}
