import type { Page } from 'playwright-core';
import { Organization } from '../../src/db/models';
import { useTestApi } from '../helpers/api';
import { addMember, signUp, uniqueEmail, type Account } from '../helpers/accounts';
import { consoleContext, screenshotPath, useBrowser, VIEWPORTS } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { uploaded, waitForDocument } from '../helpers/knowledge';
import { linkToken } from '../helpers/mailbox';
import { useTestSite } from '../helpers/site';
import { useTestWorker } from '../helpers/temporal';
import { eventually } from '../helpers/tickets';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const browser = useBrowser();
/** The customer's own site, on an origin of its own, where the snippet is pasted. */
let widgetKey = '';
const site = useTestSite((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(
    `<!doctype html><title>Kite shop</title><h1>Kite shop</h1>` +
      `<script src="${api().baseUrl}/widget.js" data-key="${widgetKey}" async></script>`,
  );
});

const RETURNS = `# Returns policy

You can return any kite within 30 days of delivery for a full refund, as long as it is unused.
Write to returns@kites.example with your order number and we send a prepaid label.
`;

/** The checklist's steps, each as done or to do. */
const steps = (page: Page): Promise<Record<string, boolean>> =>
  page
    .locator('ol.steps li')
    .evaluateAll((items) =>
      Object.fromEntries(
        items.map((li) => [li.getAttribute('data-step') ?? '', li.classList.contains('done')]),
      ),
    );

describe('the getting-started checklist on a new organization’s overview (Chromium)', () => {
  let owner: Account;

  beforeAll(async () => {
    owner = await signUp(api());
    widgetKey = (await Organization.query().findById(owner.session.organization.id))!.widgetKey;
  });

  it('guides a new organization step by step, each step ticking itself from what was done', async () => {
    const organizationId = owner.session.organization.id;
    const context = await consoleContext(browser(), api(), owner, VIEWPORTS.desktop);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: api().baseUrl });
    const page = await context.newPage();
    await page.goto(`${api().baseUrl}/console/overview`);

    // A checklist with progress instead of zeros and empty charts.
    await expect(page.locator('.getting-started-progress').textContent()).resolves.toContain('0 of 5 done');
    expect(await steps(page)).toEqual({
      documents: false,
      test_chat: false,
      widget: false,
      teammate: false,
      email: false,
    });
    expect(await page.locator('.kpis').count()).toBe(0);
    expect(await page.locator('canvas[data-chart]').count()).toBe(0);
    // One seat of one on Free is information, not an error.
    const seats = page.locator('.field').filter({ hasText: 'Seats' });
    await expect(seats.locator('p').textContent()).resolves.toMatch(/^\s*1 of 1 — every seat is taken/);
    expect(await seats.locator('p.error').count()).toBe(0);
    expect(await page.getByText('the limit is reached').count()).toBe(0);
    await page.screenshot({ path: screenshotPath('onboarding-new-desktop'), fullPage: true });
    await page.setViewportSize(VIEWPORTS.mobile.viewport);
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(1);
    await page.screenshot({ path: screenshotPath('onboarding-new-mobile'), fullPage: true });
    await page.setViewportSize(VIEWPORTS.desktop.viewport);

    // The snippet has a copy button in the checklist.
    const snippet = await page.locator('#checklist-snippet').textContent();
    expect(snippet).toBe(`<script src="${api().baseUrl}/widget.js" data-key="${widgetKey}" async></script>`);
    await page.locator('[data-step="widget"]').getByRole('button', { name: 'Copy snippet' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet);

    // 1. Documents.
    const returns = await api().services.documents.upload(
      organizationId,
      uploaded('returns.md', Buffer.from(RETURNS), 'text/markdown'),
      'Returns policy',
    );
    await waitForDocument(organizationId, returns.id, ['ready'], 120_000);

    // 2. A test chat in the console, answered through the turn path visitors use.
    await page.goto(`${api().baseUrl}/console/overview`);
    await page.getByRole('link', { name: 'Open a test chat' }).click();
    await page.waitForURL(/\/console\/try$/);
    await page.locator('.launcher').click();
    const skip = page.getByRole('button', { name: 'Skip' });
    if (await skip.isVisible()) await skip.click();
    await page.getByLabel('Your message').fill('How long do I have to return a kite?');
    await page.getByLabel('Your message').press('Enter');
    await page.locator('.msg.assistant').filter({ hasText: '30 days' }).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: screenshotPath('onboarding-test-chat-desktop') });

    // 3. The widget on the customer's own site (another origin).
    const shop = await context.newPage();
    await shop.goto(site());
    await shop.locator('.launcher').waitFor();
    await eventually(
      async () => (await Organization.query().findById(organizationId))!.widgetInstalledAt,
      (at) => at !== null,
      'the widget seen on the site',
    );
    await shop.close();

    // 4. A teammate invited (on Pro: Free has one seat).
    await Organization.query().findById(organizationId).patch({ plan: 'pro' });
    const invited = await owner.client.POST('/v1/invitations', {
      body: { email: uniqueEmail('agent'), role: 'agent' },
    });
    expect(invited.response.status).toBe(201);

    await page.goto(`${api().baseUrl}/console/overview`);
    await expect(page.locator('.getting-started-progress').textContent()).resolves.toContain('4 of 5 done');
    expect(await steps(page)).toEqual({
      documents: true,
      test_chat: true,
      widget: true,
      teammate: true,
      email: false,
    });
    // The test chat is a conversation like a visitor's (the site's unused widget is none), so the
    // figures show again.
    await expect(page.locator('.kpi').first().textContent()).resolves.toMatch(/Conversations\s+1\b/);
    await page.screenshot({ path: screenshotPath('onboarding-progress-desktop'), fullPage: true });
    await page.setViewportSize(VIEWPORTS.mobile.viewport);
    await page.screenshot({ path: screenshotPath('onboarding-progress-mobile'), fullPage: true });

    // 5. The email confirmed: the checklist is done and goes away.
    const mail = await api().mailbox.waitFor(owner.email, /Confirm your email/);
    const verified = await api()
      .client()
      .POST('/v1/auth/verify-email', { body: { token: linkToken(mail) } });
    expect(verified.response.status).toBe(204);
    await page.goto(`${api().baseUrl}/console/overview`);
    await page.locator('.kpis').waitFor();
    expect(await page.locator('.getting-started').count()).toBe(0);
    await context.close();
  });

  it('stays dismissed for the organization that dismissed it, and only for that one', async () => {
    const first = await signUp(api());
    const second = await signUp(api());
    for (const [size, options] of Object.entries(VIEWPORTS)) {
      const context = await consoleContext(browser(), api(), first, options);
      const page = await context.newPage();
      await page.goto(`${api().baseUrl}/console/overview`);
      if (size === 'mobile') {
        await page.getByRole('button', { name: 'Dismiss' }).click();
        await page.waitForURL(/\/console\/overview$/);
        expect(await page.locator('.getting-started').count()).toBe(0);
        // The figures take its place, zeros and all: the admin chose them.
        await page.locator('.kpis').waitFor();
        await page.reload();
        expect(await page.locator('.getting-started').count()).toBe(0);
      } else {
        await page.locator('.getting-started').waitFor();
      }
      await context.close();
    }
    const other = await consoleContext(browser(), api(), second, VIEWPORTS.desktop);
    const page = await other.newPage();
    await page.goto(`${api().baseUrl}/console/overview`);
    await page.locator('.getting-started').waitFor();
    await other.close();
  });

  it('refuses a dismissal from an agent', async () => {
    await Organization.query().findById(owner.session.organization.id).patch({ plan: 'pro' });
    const agent = await addMember(api(), owner, 'agent');
    const context = await consoleContext(browser(), api(), agent, VIEWPORTS.desktop);
    const page = await context.newPage();
    await page.goto(`${api().baseUrl}/console/overview`);
    expect(await page.locator('.getting-started').count()).toBe(0);
    const csrf = await page.locator('body').getAttribute('hx-headers');
    const response = await page.request.post(`${api().baseUrl}/console/overview/checklist/dismiss`, {
      headers: JSON.parse(csrf!) as Record<string, string>,
      form: {},
    });
    expect(response.status()).toBe(403);
    expect(
      (await Organization.query().findById(owner.session.organization.id))!.onboardingDismissedAt,
    ).toBeNull();
    await context.close();
  });
});
