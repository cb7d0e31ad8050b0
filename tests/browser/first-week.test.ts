import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { startStripeFront, type StripeFront } from '../../scripts/stripe-emulator-front';
import type { Config } from '../../src/config';
import { Membership, Organization, User } from '../../src/db/models';
import { PASSWORD, uniqueEmail } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { screenshotPath, useBrowser, VIEWPORTS } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { useTestSite } from '../helpers/site';
import { useTestWorker } from '../helpers/temporal';
import { eventually } from '../helpers/tickets';

/**
 * A new customer's first week as one journey in Chromium, against the real stack (PostgreSQL,
 * Temporal, SMTP peers, the Stripe emulator): sign up with ?plan=pro and pay on the hosted Checkout
 * page → confirm the email from the inbox → the getting-started checklist → upload → a test chat →
 * the widget on the customer's own site → a visitor asks for a person → the agent is told (email and
 * badge) → replies from the conversation view → the visitor sees the reply and rates → Billing shows
 * Pro and its limits. Each step is screenshotted at 1280 and 375 px (artifacts/screenshots/first-week-*).
 */

let front: StripeFront;
beforeAll(async () => {
  front = await startStripeFront({ port: 0, upstream: process.env.LOCALSTRIPE_URL! });
});
afterAll(async () => {
  await front?.close();
});
const viaFront = (config: Config): Config => ({
  ...config,
  billing: {
    ...config.billing,
    stripe: { ...config.billing.stripe!, apiBase: front.url, hostedPageOrigins: [front.url] },
  },
});

const db = useTestDatabase();
const worker = useTestWorker(db, { configure: viaFront });
const api = useTestApi(db, { taskQueue: () => worker().taskQueue, configure: viaFront });
const browser = useBrowser();

/** The customer's own site, on an origin of its own, with the snippet pasted in. */
let snippet = '';
const site = useTestSite((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><title>Kite shop</title><h1>Noordwind Kites</h1>${snippet}`);
});

beforeAll(async () => {
  const registered = await fetch(`${front.url}/_config/webhooks/first-week-${randomUUID()}`, {
    method: 'POST',
    body: new URLSearchParams({
      url: `${api().baseUrl}/webhooks/stripe`,
      secret: api().config.billing.webhookSecret!,
    }),
  });
  expect(registered.status).toBe(200);
});

const RETURNS = `# Returns policy

You can return any unused kite within 30 days of delivery for a full refund.
Write to returns@kites.example with your order number and we send a prepaid label.
`;

/** Screenshots of what `page` shows at 1280 and 375 px; at 375 px nothing scrolls sideways. */
async function shoot(page: Page, name: string): Promise<void> {
  const original = page.viewportSize()!;
  for (const [size, { viewport }] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: screenshotPath(`first-week-${name}-${size}`), fullPage: true });
    if (size === 'mobile') {
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(1);
    }
  }
  await page.setViewportSize(original);
}

describe('a customer’s first week (Chromium)', () => {
  it('signs up on Pro, sets up, answers a visitor, hands over to a person who is told, and is rated', async () => {
    const email = uniqueEmail('first-week');
    const context = await browser().newContext(VIEWPORTS.desktop);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: api().baseUrl });
    const page = await context.newPage();

    // Sign up from the landing page with the Pro plan, and pay on the hosted Checkout page.
    await page.goto(`${api().baseUrl}/`);
    await page.getByRole('link', { name: 'Choose Pro' }).click();
    await page.waitForURL('**/signup?plan=pro');
    await page.getByLabel('Company name').fill('Noordwind Kites');
    await page.getByLabel('Your name').fill('Nora Visser');
    await page.getByLabel('Work email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${front.url}/checkout/cs_test_*`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByLabel('Expiration (MM / YY)').fill('12 / 34');
    await page.getByLabel('CVC').fill('123');
    await page.getByLabel('Cardholder name').fill('Nora Visser');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL('**/console/billing?checkout=success');
    await page.getByText('Thank you! You are on the Pro plan.').waitFor({ timeout: 30_000 });
    await shoot(page, 'pro');

    // The verification email arrives; its link confirms the address.
    const verification = await api().mailbox.waitFor(email, /Confirm your email/);
    const link = new URL(/https?:\/\/\S+/.exec(verification.text)![0]);
    await page.goto(`${api().baseUrl}${link.pathname}${link.search}`);
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await page.getByText('your email address is confirmed').waitFor();

    // The overview guides: a checklist, the email step already done.
    await page.goto(`${api().baseUrl}/console/overview`);
    await page.locator('.getting-started').waitFor();
    await page.locator('[data-step="email"].done').waitFor();
    await page.locator('[data-step="documents"]:not(.done)').waitFor();
    await shoot(page, 'checklist');

    // Upload the returns policy and watch it become ready.
    await page.goto(`${api().baseUrl}/console/documents`);
    const dataTransfer = await page.evaluateHandle((text) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], 'returns.md', { type: 'text/markdown' }));
      return transfer;
    }, RETURNS);
    await page.dispatchEvent('[data-dropzone]', 'drop', { dataTransfer });
    const row = page.locator('#documents tr').filter({ hasText: 'Returns policy' });
    await row.locator('[data-status="ready"]').waitFor({ timeout: 120_000 });
    await shoot(page, 'documents');

    // A test chat in the console answers from it.
    await page.goto(`${api().baseUrl}/console/overview`);
    await page.getByRole('link', { name: 'Open a test chat' }).click();
    await page.waitForURL(/\/console\/try$/);
    await page.locator('.launcher').click();
    const skipHere = page.getByRole('button', { name: 'Skip' });
    if (await skipHere.isVisible()) await skipHere.click();
    await page.getByLabel('Your message').fill('How long do I have to return a kite?');
    await page.getByLabel('Your message').press('Enter');
    await page.locator('.msg.assistant').filter({ hasText: '30 days' }).waitFor({ timeout: 60_000 });
    await shoot(page, 'test-chat');

    // Install: the snippet copied from the checklist goes on the shop's own page.
    await page.goto(`${api().baseUrl}/console/overview`);
    await page.locator('[data-step="widget"]').getByRole('button', { name: 'Copy snippet' }).click();
    snippet = await page.evaluate(() => navigator.clipboard.readText());
    expect(snippet).toContain('/widget.js');

    // A visitor on the shop asks, then asks for a person.
    const visitorContext = await browser().newContext(VIEWPORTS.mobile);
    const shop = await visitorContext.newPage();
    await shop.clock.install();
    await shop.goto(site());
    await shop.locator('.launcher').click();
    const skip = shop.getByRole('button', { name: 'Skip' });
    if (await skip.isVisible()) await skip.click();
    await shop.getByLabel('Your message').fill('Can I send back a kite I never used?');
    await shop.getByLabel('Your message').press('Enter');
    await shop.locator('.msg.assistant').filter({ hasText: '30 days' }).waitFor({ timeout: 60_000 });
    await shop.getByRole('button', { name: 'Talk to a human' }).click();
    expect(await shop.getByRole('button', { name: 'Talk to a human' }).isVisible()).toBe(false);

    // The agent (the owner, the only member) is told: an email with a link, and the console's badge.
    const told = await worker().mailbox.waitFor(email, /^Ticket #\d+/, 60_000);
    expect(told.text).toMatch(/\/console\/tickets\/[0-9a-f-]{36}/);
    await page.goto(`${api().baseUrl}/console/overview`);
    await page
      .locator('#notification-badge .notification-count')
      .filter({ hasText: '1' })
      .waitFor({ timeout: 30_000 });
    await shoot(page, 'notified');

    // The agent replies from the conversation view; the visitor sees it live, with the agent's name.
    await page.goto(`${api().baseUrl}/console/conversations`);
    await page.locator('a[href^="/console/conversations/"]').first().click();
    await page.getByRole('heading', { name: 'Reply to the visitor' }).waitFor();
    await page
      .getByRole('textbox', { name: 'Reply' })
      .fill('Hi, Nora here: yes, within 30 days. I will send you the label.');
    await page.getByRole('button', { name: /^(Take over and reply|Send reply)$/ }).click();
    await page.getByText('Reply sent: the visitor sees it now.').waitFor();
    await shoot(page, 'reply');
    await shop.locator('.msg').filter({ hasText: 'I will send you the label' }).waitFor({ timeout: 30_000 });
    await shop.getByText('Nora Visser').first().waitFor();

    // The talk goes quiet: the visitor is asked to rate it, rates, and is thanked.
    await shop.clock.fastForward(121_000);
    await shop.getByRole('group', { name: 'Rate this conversation' }).waitFor();
    await shop.getByRole('button', { name: '5 out of 5' }).click();
    await shop.getByRole('status').filter({ hasText: 'Thank you for your rating!' }).waitFor();
    await shop.screenshot({ path: screenshotPath('first-week-visitor-mobile'), fullPage: true });

    // Billing shows the upgrade complete: Pro and its limits.
    const user = (await User.query().where({ email }).first())!;
    const membership = (await Membership.query()
      .unscoped('the test finds the organization its sign-up made')
      .where({ userId: user.id })
      .first())!;
    await eventually(
      async () => Organization.query().findById(membership.organizationId),
      (organization) => organization?.plan === 'pro',
      'the organization on Pro',
    );
    await page.goto(`${api().baseUrl}/console/billing`);
    await page.getByRole('heading', { name: 'Pro plan' }).waitFor();
    expect(await page.getByText('of 5000').count()).toBe(1);
    expect(await page.getByText('1 of 5').count()).toBe(1);
    await shoot(page, 'billing');

    await Promise.all([context.close(), visitorContext.close()]);
  });
});
