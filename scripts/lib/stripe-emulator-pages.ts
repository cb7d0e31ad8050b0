import type Stripe from 'stripe';
import { html, safeUrl, type SafeHtml } from '../../src/web/html';

/**
 * The Stripe emulator's hosted pages, standing in for checkout.stripe.com and billing.stripe.com: a card
 * form that completes a Checkout session, and a customer portal that cancels, renews or changes the
 * plan. Plain HTML forms (no script), readable at 375 px.
 */

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1a1f36;background:#f6f9fc}
main{max-width:960px;margin:0 auto;padding:24px 16px;display:grid;gap:24px}
@media(min-width:760px){main.split{grid-template-columns:1fr 1fr;padding-top:64px}}
.test{background:#ffde92;color:#5c3b00;font-size:13px;text-align:center;padding:4px}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:0 0 12px}
.card{background:#fff;border-radius:8px;box-shadow:0 2px 5px rgba(60,66,87,.12);padding:20px}
.amount{font-size:32px;font-weight:600}.muted{color:#697386}
label{display:block;font-size:14px;margin:12px 0 4px}
input{width:100%;font:inherit;padding:10px;border:1px solid #cfd7df;border-radius:6px}
.row{display:grid;grid-template-columns:1fr 1fr;gap:12px}
button{font:inherit;font-weight:600;border:0;border-radius:6px;padding:12px 16px;cursor:pointer;background:#635bff;color:#fff}
button.full{width:100%;margin-top:20px}button.secondary{background:#fff;color:#1a1f36;border:1px solid #cfd7df}
.error{background:#fde8e8;color:#a41c1c;border-radius:6px;padding:10px;margin-top:12px}
.notice{background:#e3f7ec;color:#0e6245;border-radius:6px;padding:10px}
.plans{list-style:none;padding:0;margin:0;display:grid;gap:12px}
.plans li{display:flex;justify-content:space-between;align-items:center;gap:12px;border:1px solid #e3e8ee;border-radius:6px;padding:12px}
a{color:#635bff}
`;

function page(title: string, body: SafeHtml, split = false): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <style>
          ${STYLE}
        </style>
      </head>
      <body>
        <div class="test" role="note">Test mode: the Stripe emulator. No real card is charged.</div>
        <main class="${split ? 'split' : ''}">${body}</main>
      </body>
    </html>`.toString();
}

export function money(amount: number | null, currency: string): string {
  const value = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
  return value.format((amount ?? 0) / 100);
}

const perInterval = (price: Stripe.Price): string =>
  price.recurring ? ` per ${price.recurring.interval}` : '';

const date = (seconds: number): string =>
  new Date(seconds * 1000).toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric' });

export interface CardValues {
  email?: string;
  name?: string;
  number?: string;
  expiry?: string;
  cvc?: string;
}

export function checkoutPage(
  session: Stripe.Checkout.Session,
  lineItems: Stripe.LineItem[],
  values: CardValues = {},
  error?: string,
): string {
  const first = lineItems[0];
  const subscription = session.mode === 'subscription';
  return page(
    'Checkout',
    html`<section aria-label="Order summary">
        ${session.cancel_url ? html`<p><a href="${safeUrl(session.cancel_url)}">← Back</a></p>` : ''}
        <h1>${subscription ? 'Subscribe to' : 'Pay'} ${first?.description ?? 'your order'}</h1>
        <p class="amount">${money(session.amount_total, session.currency ?? 'usd')}</p>
        ${first?.price ? html`<p class="muted">${perInterval(first.price)}</p>` : ''}
        ${lineItems.map(
          (item) =>
            html`<p>
              ${item.description} × ${item.quantity ?? 1}: ${money(item.amount_total, item.currency)}
            </p>`,
        )}
      </section>
      <section class="card" aria-label="Payment">
        <h2>Pay with card</h2>
        <form method="post" action="/checkout/${session.id}">
          <label for="email">Email</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="email"
            required
            value="${values.email ?? ''}"
          />
          <label for="number">Card number</label>
          <input
            id="number"
            name="number"
            inputmode="numeric"
            autocomplete="cc-number"
            placeholder="4242 4242 4242 4242"
            required
            value="${values.number ?? ''}"
          />
          <div class="row">
            <div>
              <label for="expiry">Expiration (MM / YY)</label>
              <input
                id="expiry"
                name="expiry"
                autocomplete="cc-exp"
                placeholder="MM / YY"
                required
                value="${values.expiry ?? ''}"
              />
            </div>
            <div>
              <label for="cvc">CVC</label>
              <input
                id="cvc"
                name="cvc"
                inputmode="numeric"
                autocomplete="cc-csc"
                placeholder="123"
                required
                value="${values.cvc ?? ''}"
              />
            </div>
          </div>
          <label for="name">Cardholder name</label>
          <input id="name" name="name" autocomplete="cc-name" required value="${values.name ?? ''}" />
          ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
          <button type="submit" class="full">${subscription ? 'Subscribe' : 'Pay'}</button>
        </form>
      </section>`,
    true,
  );
}

export function closedPage(title: string, message: string): string {
  return page(
    title,
    html`<section class="card">
      <h1>${title}</h1>
      <p>${message}</p>
    </section>`,
  );
}

export interface PortalView {
  sessionId: string;
  returnUrl: string | null;
  businessName: string;
  subscription: {
    status: string;
    cancelAtPeriodEnd: boolean;
    currentPeriodEnd: number;
    price: Stripe.Price;
    productName: string;
  } | null;
  /** Prices the customer may switch to, with their product names. */
  choices: { price: Stripe.Price; productName: string }[];
  notice?: string;
}

export function portalPage(view: PortalView): string {
  const { subscription } = view;
  const action = (name: string) => `/portal/${view.sessionId}/${name}`;
  return page(
    'Billing portal',
    html`<section>
        ${view.returnUrl ? html`<p><a href="${safeUrl(view.returnUrl)}">← Return to ${view.businessName}</a></p>` : ''}
        <h1>${view.businessName} billing</h1>
        ${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
      </section>
      <section class="card" aria-label="Current plan">
        <h2>Current plan</h2>
        ${
          subscription
            ? html`<p><strong>${subscription.productName}</strong></p>
                <p class="amount">
                  ${money(subscription.price.unit_amount, subscription.price.currency)}${perInterval(subscription.price)}
                </p>
                <p class="muted">
                  ${
                    subscription.cancelAtPeriodEnd
                      ? `Your plan will be canceled on ${date(subscription.currentPeriodEnd)}.`
                      : `Your plan renews on ${date(subscription.currentPeriodEnd)}.`
                  }
                </p>
                <form method="post" action="${action(subscription.cancelAtPeriodEnd ? 'renew' : 'cancel')}">
                  <button type="submit" class="${subscription.cancelAtPeriodEnd ? '' : 'secondary'}">
                    ${subscription.cancelAtPeriodEnd ? 'Renew plan' : 'Cancel plan'}
                  </button>
                </form>`
            : html`<p>No active subscription.</p>`
        }
      </section>
      ${
        subscription && view.choices.length > 0
          ? html`<section class="card" aria-label="Update plan">
              <h2>Update plan</h2>
              <ul class="plans">
                ${view.choices.map(
                  (choice) =>
                    html`<li>
                      <span
                        ><strong>${choice.productName}</strong><br /><span class="muted"
                          >${money(choice.price.unit_amount, choice.price.currency)}${perInterval(choice.price)}</span
                        ></span
                      >
                      <form method="post" action="${action('update')}">
                        <input type="hidden" name="price" value="${choice.price.id}" />
                        <button type="submit" aria-label="Switch to ${choice.productName}">Select</button>
                      </form>
                    </li>`,
                )}
              </ul>
            </section>`
          : ''
      }`,
  );
}
