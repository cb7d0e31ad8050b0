import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Stripe from 'stripe';
import {
  LOOKUP_KEY,
  newId,
  now,
  toCheckoutSession,
  toEvent,
  toLineItem,
  toList,
  toPortalSession,
  toPrice,
  withItemPrices,
  type CheckoutRecord,
  type PlanObject,
  type PortalRecord,
} from './lib/stripe-emulator-shapes';
import { checkoutPage, closedPage, portalPage, type CardValues } from './lib/stripe-emulator-pages';
import { WebhookDeliveries } from './lib/stripe-emulator-webhooks';

/**
 * The Stripe emulator's front door. localstripe (PyPI) emulates customers, subscriptions, invoices and
 * signed webhooks, but not Prices, Checkout Sessions or the Billing Portal, and speaks older shapes.
 * This server answers what Parley uses the way Stripe does and forwards everything else to localstripe,
 * so Parley's production code talks to one Stripe base URL:
 *
 * - Prices are stored as localstripe Plans with the same id (in Stripe every Plan is also a Price), the
 *   lookup key kept in the plan's metadata. Subscriptions gain each item's `price`, and accept
 *   `items[][price]`.
 * - Checkout sessions: `line_items` only when expanded (or from `/line_items`), as full line items
 *   with price objects. Their `url` is a hosted card form (`/checkout/<id>`) that completes the session
 *   as Stripe does: a customer card, the subscription, then `checkout.session.completed` and
 *   `invoice.paid` to the webhook endpoints, and a redirect to `success_url`.
 * - Billing portal sessions: their `url` is a portal page (`/portal/<id>`) that cancels at the period
 *   end, renews, or changes the plan; each change sends `customer.subscription.updated`.
 * - Webhook endpoints are registered as localstripe's are (`POST /_config/webhooks/<id>`, url and
 *   secret); the registration reaches localstripe too, which delivers its own events.
 *
 * Sessions live in memory. tests/billing/stripe-emulator-contract.test.ts holds the answers to the
 * `stripe` package's types and Stripe's documented expand semantics.
 *
 * Run: `node --import tsx scripts/stripe-emulator-front.ts <port> <localstripe url>` (scripts/stripe-emulator.sh).
 */

type Form = Record<string, unknown>;
interface Answer {
  status: number;
  body: unknown;
  /** An HTML page or a redirect instead of JSON. */
  html?: boolean;
  location?: string;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Parses Stripe's bracketed form encoding (`a[b][0][c]=1`, `a[]=1`) into nested objects. */
export function parseForm(body: string): Form {
  const root: Form = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const head = /^[^[]*/.exec(rawKey)![0];
    const path = [head, ...[...rawKey.slice(head.length).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!)];
    let node: Record<string, unknown> = root;
    path.forEach((part, i) => {
      const key = part === '' ? String(Object.keys(node).length) : part;
      if (i === path.length - 1) node[key] = value;
      else node = (node[key] ??= {}) as Record<string, unknown>;
    });
  }
  return root;
}

/** Objects keyed 0, 1, 2… (form-encoded arrays) back into arrays. */
function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') return Object.values(value);
  return value === undefined ? [] : [value];
}

function encodeForm(data: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(data).flatMap(([key, value]) => {
    const name = prefix ? `${prefix}[${key}]` : key;
    if (value === undefined || value === null) return [];
    if (typeof value === 'object') return encodeForm(value as Record<string, unknown>, name);
    const scalar = typeof value === 'string' ? value : JSON.stringify(value);
    return [`${encodeURIComponent(name)}=${encodeURIComponent(scalar)}`];
  });
}

const json = (status: number, body: unknown): Answer => ({ status, body });
const page = (status: number, body: string): Answer => ({ status, body, html: true });
const redirect = (location: string): Answer => ({ status: 303, body: '', location });

const error = (status: number, message: string, param?: string, code?: string): Answer =>
  json(status, {
    error: {
      type: status === 402 ? 'card_error' : 'invalid_request_error',
      message,
      ...(param ? { param } : {}),
      ...(code ? { code } : {}),
    },
  });

export interface StripeFront {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startStripeFront(options: {
  port: number;
  upstream: string;
  /** The business name the portal shows ("Return to …"). */
  businessName?: string;
}): Promise<StripeFront> {
  const upstream = options.upstream.replace(/\/$/, '');
  const businessName = options.businessName ?? 'Parley';
  const checkouts = new Map<string, CheckoutRecord>();
  const portals = new Map<string, PortalRecord>();
  const webhooks = new WebhookDeliveries();
  let baseUrl = '';

  async function call<T = unknown>(
    method: string,
    path: string,
    auth: string | undefined,
    form?: Record<string, unknown>,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${upstream}${path}`, {
      method,
      headers: {
        ...(auth ? { authorization: auth } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? encodeForm(form).join('&') : undefined,
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  async function allPlans(auth: string | undefined): Promise<PlanObject[]> {
    const plans: PlanObject[] = [];
    let after: string | undefined;
    for (;;) {
      const query = `limit=100${after ? `&starting_after=${after}` : ''}`;
      const { body } = await call<{ data: PlanObject[]; has_more: boolean }>(
        'GET',
        `/v1/plans?${query}`,
        auth,
      );
      plans.push(...body.data);
      if (!body.has_more || body.data.length === 0) return plans;
      after = body.data[body.data.length - 1]!.id;
    }
  }

  async function productName(auth: string, productId: string): Promise<string> {
    const product = await call<{ name?: string }>('GET', `/v1/products/${productId}`, auth);
    return product.status === 200 && product.body.name ? product.body.name : productId;
  }

  /** Expands what a caller asked for, refusing what Stripe cannot expand (as Stripe does). */
  async function expandSession(
    session: Stripe.Checkout.Session,
    record: CheckoutRecord,
    expand: string[],
  ): Promise<Answer> {
    const out: Record<string, unknown> = { ...session };
    for (const field of expand) {
      if (field === 'line_items') {
        out.line_items = toList(`/v1/checkout/sessions/${record.id}/line_items`, record.lineItems);
      } else if ((field === 'customer' || field === 'subscription' || field === 'invoice') && out[field]) {
        const path = `/v1/${field}s/${text(out[field])}`;
        const object = await call<Record<string, unknown>>('GET', path, record.auth);
        out[field] = field === 'subscription' ? withItemPrices(object.body) : object.body;
      } else if (!['customer', 'subscription', 'invoice'].includes(field)) {
        return error(400, `This property cannot be expanded (${field}).`, 'expand');
      }
    }
    return json(200, out);
  }

  /** Applies a change to a subscription and tells the webhook endpoints, as Stripe does. */
  async function updateSubscription(auth: string, id: string, form: Form): Promise<Answer> {
    const before = await call<Record<string, unknown>>('GET', `/v1/subscriptions/${id}`, auth);
    if (before.status !== 200) return json(before.status, before.body);
    const items = asArray(form.items).map((item) => {
      const { price, ...rest } = item as Record<string, unknown>;
      return price ? { ...rest, plan: price } : rest;
    });
    const updated = await call<Record<string, unknown>>('POST', `/v1/subscriptions/${id}`, auth, {
      ...form,
      ...(form.items ? { items } : {}),
    });
    if (updated.status !== 200) return json(updated.status, updated.body);
    const subscription = withItemPrices(updated.body);
    const previous = withItemPrices(before.body);
    const changed = Object.fromEntries(
      Object.entries(previous).filter(
        ([key, value]) => JSON.stringify(subscription[key]) !== JSON.stringify(value),
      ),
    );
    if (Object.keys(changed).length > 0) {
      webhooks.deliver(toEvent('customer.subscription.updated', subscription as { object: string }, changed));
    }
    return json(200, subscription);
  }

  async function createCheckout(auth: string, form: Form): Promise<Answer> {
    const mode = form.mode;
    if (mode !== 'subscription' && mode !== 'payment' && mode !== 'setup') {
      return error(400, 'Missing required param: mode.', 'mode');
    }
    if (!form.success_url) return error(400, 'Missing required param: success_url.', 'success_url');
    if (form.customer && form.customer_email) {
      return error(
        400,
        'You may only specify one of these parameters: customer, customer_email.',
        'customer',
      );
    }
    if (form.customer) {
      const customer = await call('GET', `/v1/customers/${text(form.customer)}`, auth);
      if (customer.status !== 200)
        return error(400, `No such customer: '${text(form.customer)}'`, 'customer');
    }
    const requested = asArray(form.line_items) as { price?: string; quantity?: string }[];
    if (mode !== 'setup' && requested.length === 0) {
      return error(400, 'Missing required param: line_items.', 'line_items');
    }
    const lineItems: Stripe.LineItem[] = [];
    for (const item of requested) {
      const plan = await call<PlanObject>('GET', `/v1/plans/${encodeURIComponent(item.price ?? '')}`, auth);
      if (plan.status !== 200) return error(400, `No such price: '${item.price ?? ''}'`, 'line_items');
      if (!plan.body.active) return error(400, `The price ${plan.body.id} is not active.`, 'line_items');
      const price = toPrice(plan.body);
      const name = await productName(auth, plan.body.product);
      lineItems.push(toLineItem(newId('li'), price, Number(item.quantity ?? 1), name));
    }
    const id = newId('cs_test');
    const created = now();
    const record: CheckoutRecord = {
      id,
      auth,
      mode,
      status: 'open',
      paymentStatus: 'unpaid',
      customer: text(form.customer) || null,
      customerEmail: text(form.customer_email) || null,
      customerDetails: null,
      clientReferenceId: text(form.client_reference_id) || null,
      successUrl: text(form.success_url),
      cancelUrl: text(form.cancel_url) || null,
      metadata: (form.metadata ?? {}) as Record<string, string>,
      subscriptionMetadata: ((form.subscription_data as Form | undefined)?.metadata ?? {}) as Record<
        string,
        string
      >,
      lineItems,
      subscription: null,
      invoice: null,
      created,
      expiresAt: created + 24 * 3600,
      url: `${baseUrl}/checkout/${id}`,
    };
    checkouts.set(id, record);
    return expandSession(toCheckoutSession(record), record, asArray(form.expand).map(String));
  }

  /** What paying on the hosted page does: a card on the customer, the subscription, the events. */
  async function payCheckout(record: CheckoutRecord, values: CardValues): Promise<Answer> {
    const session = toCheckoutSession(record);
    const again = (status: number, message: string) =>
      page(status, checkoutPage(session, record.lineItems, values, message));
    const number = (values.number ?? '').replace(/\s+/g, '');
    const expiry = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(values.expiry ?? '');
    if (!/^\d{16}$/.test(number)) return again(422, 'Your card number is incomplete.');
    if (!expiry) return again(422, "Your card's expiration date is incomplete.");
    if (!/^\d{3}$/.test(values.cvc ?? '')) return again(422, "Your card's security code is incomplete.");
    if (!values.email) return again(422, 'Enter your email address.');
    const { auth } = record;

    let customer = record.customer;
    if (!customer) {
      const created = await call<{ id: string }>('POST', '/v1/customers', auth, {
        email: values.email,
        name: values.name,
      });
      customer = created.body.id;
    }
    const token = await call<{ id?: string; error?: { message: string } }>('POST', '/v1/tokens', auth, {
      card: { number, exp_month: expiry[1], exp_year: expiry[2], cvc: values.cvc, name: values.name },
    });
    if (!token.body.id) return again(402, token.body.error?.message ?? 'Your card could not be used.');
    const source = await call<{ id?: string; error?: { message: string } }>(
      'POST',
      `/v1/customers/${customer}/sources`,
      auth,
      { source: token.body.id },
    );
    if (!source.body.id) return again(402, source.body.error?.message ?? 'Your card was declined.');
    await call('POST', `/v1/customers/${customer}`, auth, { default_source: source.body.id });

    if (record.mode === 'subscription') {
      const subscription = await call<{ id?: string; latest_invoice?: string; error?: { message: string } }>(
        'POST',
        '/v1/subscriptions',
        auth,
        {
          customer,
          items: record.lineItems.map((item) => ({ plan: item.price!.id, quantity: item.quantity })),
          metadata: record.subscriptionMetadata,
          // Declined: no subscription is left behind, the customer may try another card.
          payment_behavior: 'error_if_incomplete',
        },
      );
      if (!subscription.body.id) {
        return again(402, subscription.body.error?.message ?? 'Your card was declined.');
      }
      record.subscription = subscription.body.id;
      record.invoice = subscription.body.latest_invoice ?? null;
    }
    Object.assign(record, {
      customer,
      status: 'complete',
      paymentStatus: 'paid',
      customerDetails: { email: values.email, name: values.name ?? null },
    } satisfies Partial<CheckoutRecord>);

    webhooks.deliver(toEvent('checkout.session.completed', toCheckoutSession(record)));
    if (record.invoice) {
      const invoice = await call<{ object: string; status?: string }>(
        'GET',
        `/v1/invoices/${record.invoice}`,
        auth,
      );
      if (invoice.body.status === 'paid') webhooks.deliver(toEvent('invoice.paid', invoice.body));
    }
    return redirect(record.successUrl.replace('{CHECKOUT_SESSION_ID}', record.id));
  }

  async function portalView(record: PortalRecord, notice?: string): Promise<string> {
    const list = await call<{ data: Record<string, unknown>[] }>(
      'GET',
      `/v1/subscriptions?customer=${record.customer}&status=all&limit=100`,
      record.auth,
    );
    const live = list.body.data
      .map((s) => withItemPrices(s) as unknown as Stripe.Subscription)
      .filter((s) => ['active', 'trialing', 'past_due'].includes(s.status))
      .sort((a, b) => b.created - a.created)[0];
    const price = live?.items.data[0]?.price;
    const prices = (await allPlans(record.auth))
      .map(toPrice)
      .filter((p) => p.active && p.lookup_key && p.recurring && p.id !== price?.id);
    const names = new Map<string, string>();
    for (const p of [...prices, ...(price ? [price] : [])]) {
      const product = text(p.product);
      if (!names.has(product)) names.set(product, await productName(record.auth, product));
    }
    return portalPage({
      sessionId: record.id,
      returnUrl: record.returnUrl,
      businessName,
      notice,
      subscription:
        live && price
          ? {
              status: live.status,
              cancelAtPeriodEnd: live.cancel_at_period_end,
              currentPeriodEnd: live.current_period_end,
              price,
              productName: names.get(text(price.product)) ?? text(price.product),
            }
          : null,
      choices: prices
        .sort((a, b) => (a.unit_amount ?? 0) - (b.unit_amount ?? 0))
        .map((p) => ({ price: p, productName: names.get(text(p.product)) ?? text(p.product) })),
    });
  }

  async function portalAction(record: PortalRecord, action: string, form: Form): Promise<Answer> {
    const list = await call<{ data: Stripe.Subscription[] }>(
      'GET',
      `/v1/subscriptions?customer=${record.customer}&status=active&limit=1`,
      record.auth,
    );
    const subscription = list.body.data[0];
    if (!subscription)
      return page(409, await portalView(record, 'There is no active subscription to change.'));
    let change: Form;
    let notice: string;
    if (action === 'cancel') {
      change = { cancel_at_period_end: 'true' };
      notice = 'Your plan will be canceled at the end of the billing period.';
    } else if (action === 'renew') {
      change = { cancel_at_period_end: 'false' };
      notice = 'Your plan will renew.';
    } else if (action === 'update' && text(form.price)) {
      const item = subscription.items.data[0]!;
      change = { items: [{ id: item.id, price: text(form.price) }] };
      notice = 'Your plan was updated.';
    } else {
      return page(400, await portalView(record, 'Choose a plan.'));
    }
    const answer = await updateSubscription(record.auth, subscription.id, change);
    if (answer.status !== 200)
      return page(answer.status, await portalView(record, 'The change was refused.'));
    return redirect(`/portal/${record.id}?notice=${encodeURIComponent(notice)}`);
  }

  async function handle(
    method: string,
    url: URL,
    auth: string | undefined,
    form: Form,
  ): Promise<Answer | undefined> {
    const path = url.pathname;
    const query = parseForm(url.search.slice(1));
    const key = auth ?? '';

    // The hosted pages (no API key: they act for the account that made the session).
    const checkoutPageMatch = /^\/checkout\/([^/]+)$/.exec(path);
    if (checkoutPageMatch) {
      const record = checkouts.get(checkoutPageMatch[1]!);
      if (!record) return page(404, closedPage('Checkout not found', 'This checkout link is not valid.'));
      if (record.status !== 'open' || record.expiresAt < now()) {
        return page(410, closedPage('Checkout closed', 'This checkout session is no longer available.'));
      }
      if (method === 'POST') return payCheckout(record, form);
      return page(200, checkoutPage(toCheckoutSession(record), record.lineItems));
    }
    const portalPageMatch = /^\/portal\/([^/]+)(?:\/(cancel|renew|update))?$/.exec(path);
    if (portalPageMatch) {
      const record = portals.get(portalPageMatch[1]!);
      if (!record) return page(404, closedPage('Portal not found', 'This billing portal link is not valid.'));
      if (method === 'POST' && portalPageMatch[2]) return portalAction(record, portalPageMatch[2], form);
      return page(200, await portalView(record, text(query.notice) || undefined));
    }

    const webhookMatch = /^\/_config\/webhooks\/([^/]+)$/.exec(path);
    if (webhookMatch && method === 'POST') {
      if (!text(form.url).startsWith('http') || !text(form.secret))
        return error(400, 'url and secret are required');
      const events = form.events === undefined ? null : asArray(form.events).map(String);
      webhooks.register(webhookMatch[1]!, { url: text(form.url), secret: text(form.secret), events });
      // localstripe delivers the events it makes itself; it reads a JSON body as well as a form.
      await fetch(`${upstream}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: form.url, secret: form.secret, ...(events ? { events } : {}) }),
      });
      return json(200, {});
    }

    if (path === '/v1/prices' && method === 'GET') {
      const keys = asArray(query.lookup_keys).map(String);
      const active = url.searchParams.get('active');
      const prices = (await allPlans(auth))
        .map(toPrice)
        .filter((p) => keys.length === 0 || (p.lookup_key !== null && keys.includes(p.lookup_key)))
        .filter((p) => active === null || String(p.active) === active);
      return json(200, toList('/v1/prices', prices));
    }
    if (path === '/v1/prices' && method === 'POST') {
      const recurring = (form.recurring ?? {}) as Record<string, string>;
      if (!form.product || !form.currency || form.unit_amount === undefined || !recurring.interval) {
        return error(400, 'product, currency, unit_amount and recurring[interval] are required');
      }
      const lookupKey = form.lookup_key as string | undefined;
      if (lookupKey) {
        const holder = (await allPlans(auth)).find((p) => p.metadata?.[LOOKUP_KEY] === lookupKey);
        if (holder && form.transfer_lookup_key !== 'true') {
          return error(400, `A price (${holder.id}) already uses the lookup key ${lookupKey}`, 'lookup_key');
        }
        if (holder) await call('POST', `/v1/plans/${holder.id}`, auth, { metadata: { [LOOKUP_KEY]: '' } });
      }
      const created = await call<PlanObject>('POST', '/v1/plans', auth, {
        id: newId('price'),
        product: form.product,
        currency: form.currency,
        amount: form.unit_amount,
        interval: recurring.interval,
        interval_count: recurring.interval_count ?? 1,
        nickname: form.nickname,
        metadata: {
          ...(form.metadata ?? {}),
          ...(lookupKey ? { [LOOKUP_KEY]: lookupKey } : {}),
        },
      });
      if (created.status !== 200) return json(created.status, created.body);
      return json(200, toPrice(created.body));
    }
    const priceMatch = /^\/v1\/prices\/([^/]+)$/.exec(path);
    if (priceMatch) {
      const id = priceMatch[1]!;
      if (method === 'POST') {
        const update: Record<string, unknown> = {};
        if (form.active !== undefined) update.active = form.active;
        if (form.nickname !== undefined) update.nickname = form.nickname;
        if (form.metadata !== undefined) update.metadata = form.metadata;
        if (Object.keys(update).length) {
          const updated = await call('POST', `/v1/plans/${id}`, auth, update);
          if (updated.status !== 200) return json(updated.status, updated.body);
        }
      }
      const plan = await call<PlanObject>('GET', `/v1/plans/${id}`, auth);
      if (plan.status !== 200) return error(404, `No such price: '${id}'`);
      return json(200, toPrice(plan.body));
    }

    if (path === '/v1/checkout/sessions' && method === 'POST') return createCheckout(key, form);
    const sessionMatch = /^\/v1\/checkout\/sessions\/([^/]+)(\/line_items)?$/.exec(path);
    if (sessionMatch && method === 'GET') {
      const record = checkouts.get(sessionMatch[1]!);
      if (!record) return error(404, `No such checkout.session: '${sessionMatch[1]!}'`);
      if (sessionMatch[2]) {
        return json(200, toList(`/v1/checkout/sessions/${record.id}/line_items`, record.lineItems));
      }
      return expandSession(toCheckoutSession(record), record, asArray(query.expand).map(String));
    }

    if (path === '/v1/billing_portal/sessions' && method === 'POST') {
      if (!form.customer) return error(400, 'Missing required param: customer.', 'customer');
      const customer = await call('GET', `/v1/customers/${text(form.customer)}`, auth);
      if (customer.status !== 200)
        return error(400, `No such customer: '${text(form.customer)}'`, 'customer');
      const id = newId('bps');
      const record: PortalRecord = {
        id,
        auth: key,
        customer: text(form.customer),
        returnUrl: text(form.return_url) || null,
        created: now(),
        url: `${baseUrl}/portal/${id}`,
      };
      portals.set(id, record);
      return json(200, toPortalSession(record));
    }

    // Subscriptions: Stripe's shapes (items carry `price`, `items[][price]` accepted), and updates
    // announced to the webhook endpoints.
    const subscriptionMatch = /^\/v1\/subscriptions(?:\/([^/]+))?$/.exec(path);
    if (subscriptionMatch) {
      const id = subscriptionMatch[1];
      if (id && method === 'POST') return updateSubscription(key, id, form);
      if (!id && method === 'POST') {
        const items = asArray(form.items).map((item) => {
          const { price, ...rest } = item as Record<string, unknown>;
          return price ? { ...rest, plan: price } : rest;
        });
        const created = await call<Record<string, unknown>>('POST', '/v1/subscriptions', auth, {
          ...form,
          items,
        });
        return json(created.status, created.status === 200 ? withItemPrices(created.body) : created.body);
      }
      const answer = await call<Record<string, unknown>>(method, `${path}${url.search}`, auth);
      if (answer.status !== 200) return json(answer.status, answer.body);
      if (answer.body.object === 'list') {
        const list = answer.body as { data: Record<string, unknown>[] };
        return json(200, { ...list, data: list.data.map(withItemPrices) });
      }
      return json(200, withItemPrices(answer.body));
    }
    return undefined;
  }

  async function forward(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) {
        headers[name] = value;
      }
    }
    const response = await fetch(`${upstream}${req.url}`, {
      method: req.method,
      headers,
      body: ['GET', 'HEAD'].includes(req.method ?? 'GET') ? undefined : new Uint8Array(body),
    });
    res.writeHead(response.status, {
      'content-type': response.headers.get('content-type') ?? 'application/json',
    });
    res.end(Buffer.from(await response.arrayBuffer()));
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://front');
      const method = req.method ?? 'GET';
      const form = method === 'GET' ? {} : parseForm(body.toString('utf8'));
      handle(method, url, req.headers.authorization, form)
        .then(async (answer) => {
          if (!answer) return forward(req, res, body);
          if (answer.location) {
            res.writeHead(answer.status, { location: answer.location });
            res.end();
          } else if (answer.html) {
            res.writeHead(answer.status, { 'content-type': 'text/html; charset=utf-8' });
            res.end(answer.body as string);
          } else {
            res.writeHead(answer.status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(answer.body));
          }
        })
        .catch((err: unknown) => {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { type: 'api_error', message: String(err) } }));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    server,
    close: async () => {
      await webhooks.close();
      // localstripe cannot forget an endpoint: one it delivers nothing to is the closest.
      for (const [id, endpoint] of webhooks.endpoints) {
        await fetch(`${upstream}/_config/webhooks/${id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            url: endpoint.url,
            secret: endpoint.secret,
            events: ['emulator.endpoint_closed'],
          }),
        }).catch(() => undefined);
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (require.main === module) {
  const port = Number(process.argv[2] ?? 8421);
  const upstream = process.argv[3] ?? 'http://127.0.0.1:8420';
  startStripeFront({ port, upstream })
    .then((front) => console.log(`Stripe emulator front on ${front.url}, forwarding to ${upstream}`))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
