import { randomUUID } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { startStripeFront, type StripeFront } from '../../scripts/stripe-emulator-front';
import type { Config } from '../../src/config';
import { PASSWORD, uniqueEmail } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { screenshotPath, useBrowser } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { eventually } from '../helpers/stripe';
import { useTestWorker } from '../helpers/temporal';

/**
 * Paying for Parley in Chromium, end to end: the console's forms lead to the Stripe emulator's hosted
 * Checkout and Billing Portal pages (the console's CSP must allow them), the emulator sends its signed
 * events to this API's webhook, and the subscription workflow moves the organization to the plan.
 * Screenshots of each page at 1280 and 375 px go to artifacts/screenshots/billing-*.png.
 */

// A front of this file's own: its webhook endpoint (this API) is dropped when the file ends.
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

beforeAll(async () => {
  // localstripe's endpoints are shared by every front in front of it: an id of this run's own.
  const registered = await fetch(`${front.url}/_config/webhooks/browser-billing-${randomUUID()}`, {
    method: 'POST',
    body: new URLSearchParams({
      url: `${api().baseUrl}/webhooks/stripe`,
      secret: api().config.billing.webhookSecret!,
    }),
  });
  expect(registered.status).toBe(200);
});

const DESKTOP = { viewport: { width: 1280, height: 900 } };
const MOBILE = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true };

/** Full-page screenshots of what `page` shows at both widths; the 375 px one must not scroll sideways. */
async function shoot(page: Page, name: string): Promise<void> {
  const original = page.viewportSize()!;
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: screenshotPath(`billing-${name}-${width}`), fullPage: true });
    if (width === 375) {
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    }
  }
  await page.setViewportSize(original);
}

async function fillSignUp(page: Page, company: string): Promise<void> {
  await page.getByLabel('Company name').fill(company);
  await page.getByLabel('Your name').fill('Ines Duarte');
  await page.getByLabel('Work email').fill(uniqueEmail('billing'));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
}

async function payWithCard(page: Page, number: string): Promise<void> {
  await page.getByLabel('Email').fill('ines@example.com');
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiration (MM / YY)').fill('12 / 34');
  await page.getByLabel('CVC').fill('123');
  await page.getByLabel('Cardholder name').fill('Ines Duarte');
  await page.getByRole('button', { name: 'Subscribe' }).click();
}

/** Reloads the billing page until `text` shows: the change arrives by webhook, in the background. */
async function billingShows(page: Page, text: string): Promise<void> {
  await eventually(async () => {
    await page.goto(`${api().baseUrl}/console/billing`);
    await page.getByText(text).first().waitFor({ timeout: 500 });
  }, 30_000);
}

describe('billing in Chromium', () => {
  let context: BrowserContext | undefined;
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  it('carries a plan chosen on the landing page through sign-up to Checkout, and back to Pro', async () => {
    context = await browser().newContext(MOBILE);
    const page = await context.newPage();
    await page.goto(`${api().baseUrl}/`);
    await page.getByRole('link', { name: 'Choose Pro' }).click();
    await page.waitForURL('**/signup?plan=pro');
    await page.getByText('Pro plan, $49 a month').waitFor();
    await shoot(page, 'signup-pro');
    await fillSignUp(page, 'Harbour Lights');

    // Straight from sign-up to the emulator's hosted Checkout for the Pro price.
    await page.waitForURL(`${front.url}/checkout/cs_test_*`);
    await page.getByRole('heading', { name: 'Subscribe to Parley Pro' }).waitFor();
    expect(await page.getByText('$49.00').first().isVisible()).toBe(true);
    await shoot(page, 'checkout');
    await payWithCard(page, '4242 4242 4242 4242');

    await page.waitForURL('**/console/billing?checkout=success');
    // The page polls until Stripe's webhook has made the plan Pro.
    await page.getByText('Thank you! You are on the Pro plan.').waitFor({ timeout: 30_000 });
    await page.getByRole('heading', { name: 'Pro plan' }).waitFor();
    expect(await page.getByText('0 of 5000').count()).toBe(1);
    expect(await page.getByText('1 of 5').count()).toBe(1);
    await shoot(page, 'pro');
  });

  it('upgrades from Free: Upgrade, a declined card, a paid one, back to Pro and its limits; then the portal cancels and changes the plan', async () => {
    context = await browser().newContext(DESKTOP);
    const page = await context.newPage();
    await page.goto(`${api().baseUrl}/signup`);
    await fillSignUp(page, 'Quay Street Bikes');
    await page.waitForURL('**/console/**');
    await page.goto(`${api().baseUrl}/console/billing`);
    await page.getByRole('heading', { name: 'Free plan' }).waitFor();
    expect(await page.getByText('0 of 100').count()).toBe(1);
    await shoot(page, 'free');

    // The console's CSP lets the form's 303 go to the hosted Checkout page.
    const csp = (await page.request.get(`${api().baseUrl}/console/billing`)).headers()[
      'content-security-policy'
    ];
    expect(csp).toContain(`form-action 'self' ${front.url}`);
    await page.getByRole('button', { name: 'Upgrade to Pro' }).click();
    await page.waitForURL(`${front.url}/checkout/cs_test_*`);

    await payWithCard(page, '4000 0000 0000 0002');
    await page.getByRole('alert').getByText('Your card was declined.').waitFor();
    await shoot(page, 'checkout-declined');
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Subscribe' }).click();

    await page.waitForURL('**/console/billing?checkout=success');
    await page.getByText('Thank you! You are on the Pro plan.').waitFor({ timeout: 30_000 });
    expect(await page.getByText('0 of 5000').count()).toBe(1);
    expect(await page.getByText('1 of 5').count()).toBe(1);
    expect(await page.getByText('active', { exact: true }).count()).toBe(1);

    // The portal: cancel at the end of the period, then back to Parley.
    await page.getByRole('button', { name: 'Manage payment and invoices' }).click();
    await page.waitForURL(`${front.url}/portal/bps_*`);
    await page.getByText('Parley Pro').first().waitFor();
    await shoot(page, 'portal');
    await page.getByRole('button', { name: 'Cancel plan' }).click();
    await page.getByText('Your plan will be canceled at the end of the billing period.').waitFor();
    await page.getByRole('link', { name: 'Return to Parley' }).click();
    await page.waitForURL(`${api().baseUrl}/console**`);
    await billingShows(page, 'at the end of the period (then Free)');
    expect(await page.getByRole('button', { name: 'Keep the plan' }).count()).toBe(1);

    // The portal again: renew, and change to Enterprise.
    await page.getByRole('button', { name: 'Manage payment and invoices' }).click();
    await page.getByRole('button', { name: 'Renew plan' }).click();
    await page.getByText('Your plan will renew.').waitFor();
    await page.getByRole('button', { name: 'Switch to Parley Enterprise' }).click();
    await page.getByText('Your plan was updated.').waitFor();
    await page.getByRole('link', { name: 'Return to Parley' }).click();
    await billingShows(page, 'Enterprise plan');
    expect(await page.getByText('(unlimited)').count()).toBe(2);
    expect(await page.getByText('at the end of the period (then Free)').count()).toBe(0);
    await shoot(page, 'enterprise');
  });
});
