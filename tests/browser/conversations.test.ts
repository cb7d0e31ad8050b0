import type { BrowserContext, Page } from 'playwright-core';
import { Organization } from '../../src/db/models';
import { useTestApi } from '../helpers/api';
import { signUp, type Account } from '../helpers/accounts';
import { consoleContext, openWidget, screenshotPath, useBrowser, VIEWPORTS } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const browser = useBrowser();

describe('conversations in the console (Chromium)', () => {
  let owner: Account;
  let context: BrowserContext;
  let page: Page;
  let widget: Page;

  beforeAll(async () => {
    owner = await signUp(api());
    context = await consoleContext(browser(), api(), owner);
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    widget = await (await browser().newContext(VIEWPORTS.desktop)).newPage();
  });
  afterAll(async () => {
    await widget.context().close();
    await context.close();
  });

  it('counts no conversation for a page that loaded the widget without a message', async () => {
    const { widgetKey } = (await Organization.query().findById(owner.session.organization.id))!;
    await openWidget(widget, api(), widgetKey);
    await widget.getByLabel('Your message').waitFor();

    await page.goto(`${api().baseUrl}/console/conversations`);
    await page.getByText('No conversations match').waitFor();
    await page.goto(`${api().baseUrl}/console/overview`);
    // The new organization's checklist: nobody has asked the assistant yet.
    expect(await page.locator('[data-step="test_chat"]').getAttribute('class')).toBe('step');
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await page.waitForURL(/\/console\/overview$/);
    const kpi = page.locator('figure.kpi').filter({ hasText: 'Conversations' });
    expect(await kpi.locator('.value').textContent()).toBe('0');
    const { data } = await owner.client.GET('/v1/analytics', {});
    expect(data!.conversations).toBe(0);
  });

  it('lists the conversation from the first message, with a preview of its last message', async () => {
    await widget.getByLabel('Your message').fill('Where is my parcel? It was due on Monday.');
    await widget.getByLabel('Your message').press('Enter');
    await widget.locator('.msg.assistant').first().waitFor({ timeout: 30_000 });
    const reply = ((await widget.locator('.msg.assistant .text').last().textContent()) ?? '').trim();

    await page.goto(`${api().baseUrl}/console/conversations`);
    const rows = page.locator('#conversations tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('td.preview').textContent()).toContain(
      `Assistant: ${reply.replace(/\s+/g, ' ').slice(0, 30)}`,
    );
    await page.goto(`${api().baseUrl}/console/overview`);
    const kpi = page.locator('figure.kpi').filter({ hasText: 'Conversations' });
    expect(await kpi.locator('.value').textContent()).toBe('1');
    await page.goto(`${api().baseUrl}/console/conversations`);
    await page.screenshot({ path: screenshotPath('conversations-list-desktop'), fullPage: true });
  });

  it('takes over and replies from the conversation view; the visitor sees the reply live', async () => {
    await page.locator('#conversations tbody tr a').first().click();
    await page.getByRole('heading', { name: 'Reply to the visitor' }).waitFor();
    await page.getByRole('textbox', { name: 'Reply' }).fill('Hello, I am checking the courier for you now.');
    await page.getByRole('button', { name: 'Take over and reply' }).click();
    await page.getByText('Reply sent: the visitor sees it now.').waitFor();
    await page.getByText('your team (the assistant is paused)').waitFor();
    await page.locator('#transcript .message.agent').filter({ hasText: 'checking the courier' }).waitFor();
    // The agent now handles it: the next reply keeps the same ticket.
    expect(await page.getByRole('button', { name: 'Take over and reply' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Send reply' }).waitFor();

    await widget
      .locator('.msg.agent')
      .filter({ hasText: 'checking the courier' })
      .waitFor({ timeout: 15_000 });
    const { data: tickets } = await owner.client.GET('/v1/tickets', {});
    expect(tickets!.items).toHaveLength(1);
    expect(tickets!.items[0]!.assigneeUserId).toBe(owner.session.user.id);

    await page.screenshot({ path: screenshotPath('conversation-reply-desktop'), fullPage: true });
    const mobile = await consoleContext(browser(), api(), owner, VIEWPORTS.mobile);
    const small = await mobile.newPage();
    await small.goto(page.url());
    await small.screenshot({ path: screenshotPath('conversation-reply-mobile'), fullPage: true });
    await small.goto(`${api().baseUrl}/console/conversations`);
    await small.screenshot({ path: screenshotPath('conversations-list-mobile'), fullPage: true });
    await mobile.close();
  });

  it('refuses an empty reply with the field named, and sends nothing', async () => {
    await page.getByRole('textbox', { name: 'Reply' }).fill('   ');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.locator('#f-reply[aria-invalid="true"]').waitFor();
    expect(await page.locator('#transcript .message.agent').count()).toBe(1);
  });

  it('shows another organization neither the conversation nor a way to reply to it', async () => {
    const other = await signUp(api());
    const otherContext = await consoleContext(browser(), api(), other);
    const stranger = await otherContext.newPage();
    const url = page.url().replace(/\?.*$/, '');
    const response = await stranger.goto(url);
    expect(response!.status()).toBe(404);
    await stranger.goto(`${api().baseUrl}/console/conversations`);
    await stranger.getByText('No conversations match').waitFor();
    const status = await stranger.evaluate(async (target) => {
      const token = document.body.getAttribute('hx-headers') ?? '{}';
      const csrf = (JSON.parse(token) as Record<string, string>)['X-CSRF-Token'] ?? '';
      const res = await fetch(`${target}/replies`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, content: 'Not yours' }).toString(),
      });
      return res.status;
    }, url);
    expect(status).toBe(404);
    expect(await page.locator('#transcript .message.agent').count()).toBe(1);
    await otherContext.close();
  });
});
