import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The Stripe emulator's front door. localstripe (PyPI) emulates customers, subscriptions, invoices and
 * signed webhooks, but not Prices, Checkout Sessions or the Billing Portal. This server answers those
 * three endpoints itself and forwards every other request to localstripe unchanged, so Parley's
 * production code talks to one Stripe base URL.
 *
 * - Prices are stored as localstripe Plans with the same id (as in Stripe, where every Plan is also a
 *   Price), the lookup key kept in the plan's metadata, so subscriptions created in localstripe refer to
 *   them and nothing lives only in this process.
 * - Checkout and portal sessions are kept in memory and can be read back (`GET /v1/checkout/sessions/:id`).
 *
 * Run: `node --import tsx scripts/stripe-emulator-front.ts <port> <localstripe url>` (scripts/stripe-emulator.sh).
 */

type Form = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

interface PlanObject {
  id: string;
  product: string;
  amount: number;
  currency: string;
  interval: string;
  interval_count: number;
  active: boolean;
  nickname: string | null;
  metadata: Record<string, string>;
  created: number;
}

const LOOKUP_KEY = 'lookup_key';

/** Parses Stripe's bracketed form encoding (`a[b][0][c]=1`) into nested objects and arrays. */
export function parseForm(body: string): Form {
  const root: Form = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const parts = rawKey.split(/\[|\]\[|\]/).filter((p, i) => p !== '' || i === 0);
    let node: Record<string, unknown> = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const key = part === '' ? String(Object.keys(node).length) : part;
      if (last) node[key] = value;
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

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

function toPrice(plan: PlanObject) {
  const { [LOOKUP_KEY]: lookupKey, ...metadata } = plan.metadata ?? {};
  return {
    id: plan.id,
    object: 'price',
    active: plan.active,
    currency: plan.currency,
    unit_amount: plan.amount,
    product: plan.product,
    lookup_key: lookupKey || null,
    nickname: plan.nickname,
    metadata,
    recurring: { interval: plan.interval, interval_count: plan.interval_count, usage_type: 'licensed' },
    type: 'recurring',
    billing_scheme: 'per_unit',
    created: plan.created,
    livemode: false,
  };
}

export interface StripeFront {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startStripeFront(options: { port: number; upstream: string }): Promise<StripeFront> {
  const upstream = options.upstream.replace(/\/$/, '');
  const sessions = new Map<string, Record<string, unknown>>();
  let baseUrl = '';

  async function call(
    method: string,
    path: string,
    auth: string | undefined,
    form?: Record<string, unknown>,
  ): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${upstream}${path}`, {
      method,
      headers: {
        ...(auth ? { authorization: auth } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? encodeForm(form).join('&') : undefined,
    });
    return { status: response.status, body: await response.json() };
  }

  async function allPlans(auth: string | undefined): Promise<PlanObject[]> {
    const plans: PlanObject[] = [];
    let after: string | undefined;
    for (;;) {
      const query = `limit=100${after ? `&starting_after=${after}` : ''}`;
      const { body } = await call('GET', `/v1/plans?${query}`, auth);
      const page = body as { data: PlanObject[]; has_more: boolean };
      plans.push(...page.data);
      if (!page.has_more || page.data.length === 0) return plans;
      after = page.data[page.data.length - 1]!.id;
    }
  }

  const error = (status: number, message: string, param?: string) => ({
    status,
    body: { error: { type: 'invalid_request_error', message, ...(param ? { param } : {}) } },
  });

  async function handle(
    method: string,
    url: URL,
    auth: string | undefined,
    form: Form,
  ): Promise<{ status: number; body: unknown } | undefined> {
    const path = url.pathname;
    if (path === '/v1/prices' && method === 'GET') {
      const keys = asArray(parseForm(url.search.slice(1)).lookup_keys).map(String);
      const active = url.searchParams.get('active');
      const prices = (await allPlans(auth))
        .map(toPrice)
        .filter((p) => keys.length === 0 || (p.lookup_key !== null && keys.includes(p.lookup_key)))
        .filter((p) => active === null || String(p.active) === active);
      return { status: 200, body: { object: 'list', url: '/v1/prices', has_more: false, data: prices } };
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
      const created = await call('POST', '/v1/plans', auth, {
        id: newId('price'),
        product: form.product,
        currency: form.currency,
        amount: form.unit_amount,
        interval: recurring.interval,
        interval_count: recurring.interval_count ?? 1,
        nickname: form.nickname,
        metadata: { ...(form.metadata ?? {}), ...(lookupKey ? { [LOOKUP_KEY]: lookupKey } : {}) },
      });
      if (created.status !== 200) return created;
      return { status: 200, body: toPrice(created.body as PlanObject) };
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
          if (updated.status !== 200) return updated;
        }
      }
      const plan = await call('GET', `/v1/plans/${id}`, auth);
      if (plan.status !== 200) return error(404, `No such price: '${id}'`);
      return { status: 200, body: toPrice(plan.body as PlanObject) };
    }

    if (path === '/v1/checkout/sessions' && method === 'POST') {
      if (form.mode !== 'subscription' && form.mode !== 'payment' && form.mode !== 'setup') {
        return error(400, 'mode must be subscription, payment or setup', 'mode');
      }
      if (!form.success_url) return error(400, 'Missing required param: success_url.', 'success_url');
      if (form.customer) {
        const customer = await call('GET', `/v1/customers/${text(form.customer)}`, auth);
        if (customer.status !== 200) return error(400, `No such customer: '${text(form.customer)}'`);
      }
      const lineItems = asArray(form.line_items) as { price?: string; quantity?: string }[];
      for (const item of lineItems) {
        const plan = await call('GET', `/v1/plans/${item.price ?? ''}`, auth);
        if (plan.status !== 200) return error(400, `No such price: '${item.price}'`, 'line_items');
      }
      const id = newId('cs_test');
      const session = {
        id,
        object: 'checkout.session',
        mode: form.mode,
        status: 'open',
        payment_status: 'unpaid',
        customer: form.customer ?? null,
        client_reference_id: form.client_reference_id ?? null,
        success_url: form.success_url,
        cancel_url: form.cancel_url ?? null,
        metadata: form.metadata ?? {},
        subscription: null,
        line_items: {
          object: 'list',
          data: lineItems.map((item) => ({
            object: 'item',
            price: { id: item.price },
            quantity: Number(item.quantity ?? 1),
          })),
        },
        subscription_data: form.subscription_data ?? null,
        url: `${baseUrl}/checkout/${id}`,
        created: Math.floor(Date.now() / 1000),
        livemode: false,
      };
      sessions.set(id, session);
      return { status: 200, body: session };
    }
    const sessionMatch = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (sessionMatch && method === 'GET') {
      const session = sessions.get(sessionMatch[1]!);
      return session ? { status: 200, body: session } : error(404, 'No such checkout session');
    }
    if (path === '/v1/billing_portal/sessions' && method === 'POST') {
      if (!form.customer) return error(400, 'Missing required param: customer.', 'customer');
      const customer = await call('GET', `/v1/customers/${text(form.customer)}`, auth);
      if (customer.status !== 200) return error(400, `No such customer: '${text(form.customer)}'`);
      const id = newId('bps');
      return {
        status: 200,
        body: {
          id,
          object: 'billing_portal.session',
          customer: form.customer,
          return_url: form.return_url ?? null,
          url: `${baseUrl}/portal/${id}`,
          created: Math.floor(Date.now() / 1000),
          livemode: false,
        },
      };
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
      handle(method, url, req.headers.authorization, method === 'GET' ? {} : parseForm(body.toString('utf8')))
        .then(async (answer) => {
          if (!answer) return forward(req, res, body);
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer.body));
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
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
