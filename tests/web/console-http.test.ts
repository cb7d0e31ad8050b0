import { randomUUID } from 'node:crypto';
import { Document } from '../../src/db/models';
import { PLAN_CATALOG } from '../../src/domain/plans';
import { PASSWORD, signUp, uniqueEmail } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { consoleAgent } from '../helpers/console';
import { useTestDatabase } from '../helpers/db';

const db = useTestDatabase();
const api = useTestApi(db);
// A server without Stripe: billing answers 503 there.
const unbilled = useTestApi(db, {
  configure: (config) => ({ ...config, billing: { ...config.billing, stripe: undefined } }),
});

async function signedIn() {
  const account = await signUp(api());
  const agent = consoleAgent(api());
  await agent.signIn(account.email, PASSWORD);
  return { account, agent };
}

describe('public pages', () => {
  it('shows the landing page with the plan catalog’s prices, varying on HX-Request', async () => {
    const agent = consoleAgent(api());
    const { status, body, response } = await agent.page('/');
    expect(status).toBe(200);
    expect(response.headers.get('vary')).toMatch(/HX-Request/i);
    for (const plan of Object.values(PLAN_CATALOG)) {
      expect(body).toContain(plan.name);
      for (const feature of plan.features) expect(body).toContain(feature);
    }
    expect(body).toContain('$49');
    expect(body).toContain('<script src="/assets/htmx.min.js"');
  });

  it('shows the demo site with the embed a customer would paste, and every in-page link has its target', async () => {
    const { status, body } = await consoleAgent(api()).page('/demo?key=pk_some_other_key');
    expect(status).toBe(200);
    expect(body).toContain(
      `&lt;script src="${api().config.http.publicUrl}/widget.js" data-key="pk_some_other_key" async&gt;`,
    );
    expect(body).toContain('<script src="/widget.js" data-key="pk_some_other_key" async>');
    const anchors = [...body.matchAll(/href="\/demo#([\w-]+)"/g)].map((m) => m[1]);
    expect(anchors.length).toBeGreaterThan(0);
    for (const anchor of anchors) expect(body).toContain(`id="${anchor}"`);
  });

  it('serves htmx and Chart.js from their npm packages', async () => {
    const agent = consoleAgent(api());
    for (const asset of [
      '/assets/htmx.min.js',
      '/assets/chart.umd.min.js',
      '/assets/console.css',
      '/assets/console.js',
    ]) {
      const response = await agent.request(asset);
      expect(response.status).toBe(200);
    }
  });

  it('signs up through the form: invalid fields come back next to the inputs, then the owner lands in the console', async () => {
    const agent = consoleAgent(api());
    await agent.page('/signup');
    const invalid = await agent.post('/signup', {
      organizationName: '',
      name: 'Dana',
      email: 'not-an-email',
      password: 'short',
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toContain('Work email must be an email address like dana@example.com.');
    expect(invalid.body).toContain('Password must be at least 8 characters.');
    expect(invalid.body).toContain('Company name is required.');
    expect(invalid.body).toContain('value="Dana"');

    const email = uniqueEmail('form');
    const created = await agent.post('/signup', {
      organizationName: 'Form Co',
      name: 'Dana',
      email,
      password: PASSWORD,
    });
    expect(created.status).toBe(303);
    expect(created.location).toBe('/console');
    const cookies = created.response.headers.getSetCookie();
    for (const name of ['parley_access', 'parley_refresh']) {
      const cookie = cookies.find((c) => c.startsWith(`${name}=`));
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      expect(cookie).not.toMatch(/; Secure/); // outside production, over plain http
    }
    const console = await agent.page('/console/documents');
    expect(console.status).toBe(200);
    expect(console.body).toContain('Form Co');
    expect(console.body).toContain('Please confirm your email address');

    const again = consoleAgent(api());
    await again.page('/signup');
    const taken = await again.post('/signup', {
      organizationName: 'Other',
      name: 'Dana',
      email,
      password: PASSWORD,
    });
    expect(taken.status).toBe(422);
    expect(taken.body).toContain('already has an account');
  });

  it('carries a paid plan from /signup?plan= through the form; when Checkout cannot open, the owner lands on billing, told so', async () => {
    const agent = consoleAgent(unbilled());
    const chosen = await agent.page('/signup?plan=pro');
    expect(chosen.body).toContain('<input type="hidden" name="plan" value="pro" />');
    expect(chosen.body).toContain('Pro plan, $49 a month');
    for (const plan of ['free', 'gold', '<b>pro</b>']) {
      const page = await agent.page(`/signup?plan=${encodeURIComponent(plan)}`);
      expect(page.body).not.toContain('name="plan"');
      expect(page.body).toContain('No card needed.');
    }

    await agent.page('/signup?plan=enterprise');
    const invalid = await agent.post('/signup', {
      organizationName: '',
      name: 'Dana',
      email: 'x',
      password: 'short',
      plan: 'enterprise',
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toContain('<input type="hidden" name="plan" value="enterprise" />');

    const created = await agent.post('/signup', {
      organizationName: 'Plan Co',
      name: 'Dana',
      email: uniqueEmail('plan'),
      password: PASSWORD,
      plan: 'enterprise',
    });
    expect(created.status).toBe(303);
    expect(created.location).toBe('/console/billing?checkout=unavailable');
    const billing = await agent.page(created.location!);
    expect(billing.body).toContain('The checkout could not open just now.');
    expect(billing.body).toContain('Upgrade to Enterprise');
  });

  it('rejects a wrong password with one message for email and password alike', async () => {
    const { account } = await signedIn();
    const agent = consoleAgent(api());
    await agent.page('/login');
    const wrong = await agent.post('/login', { email: account.email, password: 'not the password' });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toContain('The email or password is incorrect.');
    expect(agent.cookies.has('parley_access')).toBe(false);
  });
});

describe('console sessions', () => {
  it('sends a request without a session to the login page and back to where it was going', async () => {
    const { account } = await signedIn();
    const agent = consoleAgent(api());
    const first = await agent.request('/console/documents?q=refund');
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/login?next=%2Fconsole%2Fdocuments%3Fq%3Drefund');

    const login = await agent.page(first.headers.get('location')!);
    expect(login.body).toContain('name="next" value="/console/documents?q=refund"');
    const signedInAgain = await agent.post('/login', {
      email: account.email,
      password: PASSWORD,
      next: '/console/documents?q=refund',
    });
    expect(signedInAgain.location).toBe('/console/documents?q=refund');
  });

  it('tells htmx to go to the login page, returning to the page the request came from', async () => {
    const agent = consoleAgent(api());
    const response = await agent.request('/console/documents', {
      htmx: true,
      headers: { 'HX-Current-URL': `${api().baseUrl}/console/documents?status=failed` },
    });
    expect(response.headers.get('hx-redirect')).toBe('/login?next=%2Fconsole%2Fdocuments%3Fstatus%3Dfailed');
  });

  it('never redirects after sign-in to another site', async () => {
    const { account } = await signedIn();
    const agent = consoleAgent(api());
    await agent.page('/login');
    const result = await agent.post('/login', {
      email: account.email,
      password: PASSWORD,
      next: '//evil.example/x',
    });
    expect(result.location).toBe('/console');
  });

  it('renews an expired access token with the refresh token, once, even for concurrent requests', async () => {
    const { agent } = await signedIn();
    const refresh = agent.cookies.get('parley_refresh');
    agent.cookies.delete('parley_access'); // as when the short-lived cookie has expired
    const responses = await Promise.all([
      agent.request('/console/documents'),
      agent.request('/console/documents', { htmx: true }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(agent.cookies.get('parley_refresh')).not.toBe(refresh);
    expect(agent.cookies.has('parley_access')).toBe(true);
    // The rotated session still works afterwards (a reused token would have revoked it).
    expect((await agent.request('/console/documents')).status).toBe(200);
  });

  it('signs out: the session cookies stop working', async () => {
    const { agent } = await signedIn();
    const cookies = new Map(agent.cookies);
    await agent.page('/console/documents');
    const out = await agent.post('/logout', {});
    expect(out.location).toBe('/login?notice=signed-out');
    for (const [name, value] of cookies) agent.cookies.set(name, value);
    expect((await agent.request('/console/documents')).status).toBe(303);
  });
});

describe('pages and fragments', () => {
  it('returns the whole page normally and only the fragment to htmx, varying on HX-Request', async () => {
    const { agent } = await signedIn();
    const page = await agent.page('/console/documents');
    expect(page.body).toMatch(/^<!doctype html>/);
    expect(page.body).toContain('id="documents"');
    expect(page.response.headers.get('vary')).toMatch(/HX-Request/i);
    const fragment = await agent.page('/console/documents', true);
    expect(fragment.body).not.toContain('<html');
    expect(fragment.body.trim()).toMatch(/^<div id="documents"/);
    expect(fragment.response.headers.get('vary')).toMatch(/HX-Request/i);
  });
});

describe('CSRF protection', () => {
  it('rejects a state-changing request without the token, and accepts it with the header or the field', async () => {
    const { agent } = await signedIn();
    await agent.page('/console/documents');
    const url = `${api().baseUrl}/demo/help/getting-started`;
    const without = await agent.post('/console/documents', { url, type: 'url' }, { csrf: false });
    expect(without.status).toBe(403);
    expect(without.body).toContain('did not come from this site');
    const forged = await agent.post(
      '/console/documents',
      { url, type: 'url', _csrf: 'x'.repeat(43) },
      { csrf: false },
    );
    expect(forged.status).toBe(403);

    const withField = await agent.post('/console/documents', { url, type: 'url' });
    expect(withField.status).toBe(303);
    const withHeader = await agent.request('/console/documents', {
      method: 'POST',
      body: new URLSearchParams({ url, type: 'url' }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': agent.csrf },
    });
    expect(withHeader.status).toBe(303);
  });

  it('protects the public forms too', async () => {
    const agent = consoleAgent(api());
    await agent.page('/login');
    const result = await agent.post(
      '/login',
      { email: 'a@example.com', password: PASSWORD },
      { csrf: false },
    );
    expect(result.status).toBe(403);
  });
});

describe('tenancy', () => {
  it('shows the not-found page for another organization’s document, and for ids that are not ids', async () => {
    const { agent } = await signedIn();
    const other = await signUp(api());
    const theirs = await Document.query()
      .forOrganization(other.session.organization.id)
      .insert({ title: 'Their secret', sourceType: 'url', sourceUrl: 'https://example.com/' })
      .returning('*');
    for (const path of [
      `/console/documents/${theirs.id}`,
      `/console/documents/${randomUUID()}`,
      '/console/documents/not-an-id',
    ]) {
      const { status, body } = await agent.page(path);
      expect(status).toBe(404);
      expect(body).toContain('Page not found');
      expect(body).not.toContain('Their secret');
    }
    const resync = await agent.post(`/console/documents/${theirs.id}/resync`, {});
    expect(resync.status).toBe(404);
  });
});
