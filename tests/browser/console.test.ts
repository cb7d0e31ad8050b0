import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { projectRoot } from '../../src/lib/paths';
import { uniqueEmail } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { screenshotPath, useBrowser } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const browser = useBrowser();

const PASSWORD = 'correct horse battery staple';
const XSS_TITLE = '<img src=x onerror="window.__xss=1">Refunds';
const XSS_MESSAGE = '<script>window.__xss=2</script><b>bold</b> is this HTML?';
const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 900 } },
  mobile: { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true },
};

/** Everything one person does, in order: the state of each step feeds the next. */
describe('the console in Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  const email = uniqueEmail('journey');
  let widgetKey = '';
  let widget: Page;

  beforeAll(async () => {
    context = await browser().newContext(VIEWPORTS.desktop);
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  });
  afterAll(async () => {
    await context.close();
  });

  async function askInWidget(widget: Page, question: string): Promise<void> {
    await widget.getByLabel('Your message').fill(question);
    await widget.getByLabel('Your message').press('Enter');
  }

  it('signs up from the landing page and confirms the email from the local SMTP server', async () => {
    await page.goto(`${api().baseUrl}/`);
    await page.getByRole('link', { name: 'Start free' }).first().click();
    await page.getByLabel('Company name').fill('Lumen Notes');
    await page.getByLabel('Your name').fill('Maya Okafor');
    await page.getByLabel('Work email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/console/overview');
    await page.getByText('Please confirm your email address').waitFor();
    // The banner says "sent" once the SMTP server took the email (it polls while sending).
    await page.locator('#verification-email[data-status="sent"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('#verification-email').textContent()).toContain(`Email sent to ${email}`);

    const mail = await api().mailbox.waitFor(email, /Confirm your email/);
    const link = /https?:\/\/\S+/.exec(mail.text)![0];
    await page.goto(`${api().baseUrl}${new URL(link).pathname}${new URL(link).search}`);
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await page.getByText('your email address is confirmed').waitFor();
    await page.goto(`${api().baseUrl}/console/documents`);
    expect(await page.getByText('Please confirm your email address').count()).toBe(0);
    // The embed snippet on the settings page names this organization's widget.
    await page.goto(`${api().baseUrl}/console/settings`);
    const snippet = (await page.locator('#embed-snippet').textContent()) ?? '';
    widgetKey = /data-key="([^"]+)"/.exec(snippet)![1]!;
    expect(snippet).toContain(`<script src="${api().config.http.publicUrl}/widget.js"`);
  });

  it('uploads a document by drag and drop and watches its progress reach ready', async () => {
    await page.goto(`${api().baseUrl}/console/documents`);
    await page.locator('#upload-form').getByLabel('Title (optional)').fill(XSS_TITLE);
    const content = fs.readFileSync(
      path.join(projectRoot, 'seed', 'demo-docs', 'billing-and-refunds.md'),
      'utf8',
    );
    const dataTransfer = await page.evaluateHandle((text) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], 'billing-and-refunds.md', { type: 'text/markdown' }));
      return transfer;
    }, content);
    await page.dispatchEvent('[data-dropzone]', 'drop', { dataTransfer });

    const row = page.locator('#documents tr').filter({ hasText: 'Refunds' });
    await row.waitFor();
    // The title shows as text until ingestion replaces it with the document's heading.
    expect(await row.locator('td').first().textContent()).toBe(XSS_TITLE);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('#documents img').count()).toBe(0);
    // The form is ready for the next file.
    expect(await page.locator('#upload-form').getByLabel('Title (optional)').inputValue()).toBe('');
    await row.locator('[data-status="ready"]').waitFor({ timeout: 120_000 });
    await row.locator('td', { hasText: 'v1' }).waitFor();
    // A title given at upload stays the title (as text, its markup inert) once ingested.
    expect(await row.locator('td').first().textContent()).toBe(XSS_TITLE);
    await page.screenshot({ path: screenshotPath('console-documents-ready-desktop'), fullPage: true });
  });

  it('shows a widget conversation in the console, live, with citations and inert markup', async () => {
    widget = await context.newPage();
    await widget.goto(`${api().baseUrl}/demo?key=${widgetKey}`);
    await widget.locator('.launcher').click();
    const skip = widget.getByRole('button', { name: 'Skip' });
    if (await skip.isVisible()) await skip.click();
    await askInWidget(widget, 'How long do I have to ask for a refund?');
    await widget.locator('.msg.assistant').filter({ hasText: '30 days' }).waitFor({ timeout: 30_000 });

    await page.goto(`${api().baseUrl}/console/conversations`);
    await page.locator('#conversations tbody tr').first().locator('a').click();
    const transcript = page.locator('#transcript');
    await transcript.locator('.message.assistant').filter({ hasText: '30 days' }).waitFor();
    // A citation names the page by its given title, then its own heading and the section it quotes.
    expect(await transcript.locator('.message.assistant .citations a').first().textContent()).toBe(
      `${XSS_TITLE} › Billing, plans and refunds › Refund policy`,
    );

    // The console page stays open; the next messages arrive without a reload.
    await askInWidget(widget, XSS_MESSAGE);
    await transcript
      .locator('.message.visitor')
      .filter({ hasText: 'is this HTML?' })
      .waitFor({ timeout: 15_000 });
    expect(await transcript.locator('.message.visitor .content').last().textContent()).toBe(XSS_MESSAGE);
    expect(await transcript.locator('.message b, .message script').count()).toBe(0);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    await transcript.locator('.message.assistant').nth(1).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('console-conversation-live-desktop'), fullPage: true });
  });

  it('escalates from the widget, replies from the ticket, and the visitor sees the reply live', async () => {
    await widget.getByRole('button', { name: 'Talk to a human' }).click();
    await page.goto(`${api().baseUrl}/console/tickets`);
    const ticketLink = page.locator('#tickets tbody tr a').first();
    for (let i = 0; i < 60 && (await ticketLink.count()) === 0; i++) {
      await page.waitForTimeout(500);
      await page.reload();
    }
    await ticketLink.click();
    await page.getByText('visitor asked for a human').first().waitFor();
    await page.getByLabel('Reply', { exact: true }).fill('Hello, this is Maya from support.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page
      .locator('#transcript .message.agent')
      .filter({ hasText: 'this is Maya' })
      .waitFor({ timeout: 30_000 });
    await widget
      .locator('.msg.agent')
      .filter({ hasText: 'this is Maya from support' })
      .waitFor({ timeout: 30_000 });

    await page.getByLabel('Note for colleagues').fill('Refund approved, waiting on billing.');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page
      .locator('#transcript .message')
      .filter({ hasText: 'Refund approved' })
      .waitFor({ timeout: 30_000 });
    expect(await widget.locator('.msg').filter({ hasText: 'Refund approved' }).count()).toBe(0);
    await page.screenshot({ path: screenshotPath('console-ticket-desktop'), fullPage: true });

    // A reply that asks the visitor for something leaves the ticket waiting on them.
    await page.getByLabel('Reply', { exact: true }).fill('Could you send me the order number?');
    await page.getByRole('button', { name: 'Send and wait for the visitor' }).click();
    await page.locator('.page-header .badge', { hasText: 'pending' }).waitFor({ timeout: 30_000 });
    await page.getByText('Status assigned → pending with a reply').waitFor();
    expect(await page.getByRole('status').textContent()).toBe(
      'Reply sent. The ticket waits for the visitor; their next message reopens it.',
    );
    await widget.locator('.msg.agent').filter({ hasText: 'order number' }).waitFor({ timeout: 30_000 });
    // The note is still not shown once later messages have arrived (a re-render or a replay of the
    // conversation must not bring it in).
    expect(await widget.locator('.msg').filter({ hasText: 'Refund approved' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Hand back to the assistant' }).click();
    await page.locator('.page-header .badge', { hasText: 'resolved' }).waitFor({ timeout: 30_000 });

    // Taken over again from the conversation's page: the ticket is the agent's, the visitor is told.
    await page.goto(`${api().baseUrl}/console/conversations`);
    await page.locator('#conversations tbody tr').first().locator('a').click();
    await page.getByRole('button', { name: 'Take over', exact: true }).click();
    await page.locator('.page-header .badge', { hasText: 'assigned' }).waitFor({ timeout: 30_000 });
    await widget
      .locator('.msg.system')
      .filter({ hasText: 'joined the conversation' })
      .waitFor({ timeout: 30_000 });
    await widget.close();
  });

  it('changes the widget colour and sees it in the preview before and after saving', async () => {
    await page.goto(`${api().baseUrl}/console/settings`);
    await page.getByLabel('Accent colour').fill('#0f766e');
    await page.locator('#widget-preview[data-color="#0f766e"]').waitFor();
    const background = await page
      .locator('#widget-preview .launcher')
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(background).toBe('rgb(15, 118, 110)');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    expect(await page.locator('#widget-preview').getAttribute('data-color')).toBe('#0f766e');
  });

  it('rejects a POST without the CSRF token', async () => {
    const status = await page.evaluate(async () => {
      const response = await fetch('/console/documents', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'url=https%3A%2F%2Fexample.com%2F&type=url',
      });
      return response.status;
    });
    expect(status).toBe(403);
  });

  it('screenshots every page at desktop and mobile sizes', async () => {
    const signedIn = await context.storageState();
    const pages = {
      public: [
        '/',
        '/signup',
        '/login',
        '/forgot-password',
        '/reset-password?token=x',
        '/verify-email?token=x',
        '/accept-invitation?token=x',
      ],
      console: [
        '/console/overview',
        '/console/tickets',
        '/console/billing',
        '/console/conversations',
        '/console/documents',
        '/console/knowledge-gaps',
        '/console/team',
        '/console/settings',
        '/console/api-keys',
        '/console/documents/00000000-0000-4000-8000-000000000000',
      ],
    };
    for (const [size, options] of Object.entries(VIEWPORTS)) {
      const anonymous = await browser().newContext(options);
      const member = await browser().newContext({ ...options, storageState: signedIn });
      for (const [kind, urls] of Object.entries(pages)) {
        const shot = await (kind === 'public' ? anonymous : member).newPage();
        for (const url of urls) {
          await shot.goto(`${api().baseUrl}${url}`);
          const name = url
            .replace(/\?.*$/, '')
            .replace(/^\/$/, '/landing')
            .replace(/[^a-z0-9]+/gi, '-')
            .replace(/^-|-$/g, '');
          await shot.screenshot({ path: screenshotPath(`${name}-${size}`), fullPage: true });
          // Nothing is wider than the screen: the layout reflows instead of scrolling sideways.
          const overflow = await shot.evaluate(
            () => document.documentElement.scrollWidth - window.innerWidth,
          );
          expect({ url, size, overflow: overflow <= 1 }).toEqual({ url, size, overflow: true });
        }
        await shot.close();
      }
      await anonymous.close();
      await member.close();
    }
  });
});
