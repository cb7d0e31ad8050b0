import type { Page } from 'playwright-core';
import { Conversation, Message } from '../../src/db/models';
import { useTestApi } from '../helpers/api';
import { signUp, type Account } from '../helpers/accounts';
import { consoleContext, screenshotPath, useBrowser, VIEWPORTS } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const browser = useBrowser();

/** The top of an element in page coordinates (not the viewport's). */
const pageTop = (page: Page, selector: string): Promise<number> =>
  page.locator(selector).evaluate((el) => el.getBoundingClientRect().top + window.scrollY);

describe('the console at phone and laptop sizes (Chromium)', () => {
  let owner: Account;

  beforeAll(async () => {
    owner = await signUp(api());
  });

  it('keeps every navigation link in sight at 375 px, and the page no wider than the screen', async () => {
    const context = await consoleContext(browser(), api(), owner, VIEWPORTS.mobile);
    const page = await context.newPage();
    await page.goto(`${api().baseUrl}/console/documents`);
    const links = page.locator('nav.console-nav a');
    expect(await links.count()).toBeGreaterThan(5);
    for (const link of await links.all()) {
      const box = (await link.boundingBox())!;
      expect({ link: await link.textContent(), inside: box.x >= 0 && box.x + box.width <= 375 }).toEqual({
        link: await link.textContent(),
        inside: true,
      });
    }
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(1);
    await page.screenshot({ path: screenshotPath('console-nav-mobile') });
    await context.close();
  });

  it('shows the whole widget preview, header included, with a long greeting', async () => {
    for (const [size, options] of Object.entries(VIEWPORTS)) {
      const context = await consoleContext(browser(), api(), owner, options);
      const page = await context.newPage();
      await page.goto(`${api().baseUrl}/console/settings`);
      await page
        .getByLabel('Greeting')
        .fill(
          'Welcome to our help desk! Ask us anything about orders, deliveries, returns, refunds, ' +
            'accounts and invoices. We answer from our help centre and a person takes over whenever you wish.',
        );
      await page
        .locator('#widget-preview .bubble.assistant')
        .filter({ hasText: 'Welcome to our help desk' })
        .waitFor();
      const preview = (await page.locator('#widget-preview').boundingBox())!;
      const header = (await page.locator('#widget-preview .panel header').boundingBox())!;
      expect(header.y).toBeGreaterThanOrEqual(preview.y);
      expect(header.y + header.height).toBeLessThanOrEqual(preview.y + preview.height);
      await page.locator('#widget-preview').screenshot({ path: screenshotPath(`settings-preview-${size}`) });
      await context.close();
    }
  });

  it('copies the embed snippet and a new API key to the clipboard', async () => {
    const context = await consoleContext(browser(), api(), owner, VIEWPORTS.desktop);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: api().baseUrl });
    const page = await context.newPage();
    await page.goto(`${api().baseUrl}/console/settings`);
    const snippet = await page.locator('#embed-snippet').textContent();
    await page.getByRole('button', { name: 'Copy snippet' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet);
    expect(snippet).toMatch(/^<script src="[^"]+\/widget\.js" data-key="[^"]+" async><\/script>$/);

    await page.goto(`${api().baseUrl}/console/api-keys`);
    await page.getByLabel('Name').fill('Help-centre sync');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.locator('#new-api-key').textContent();
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    // The copied key works.
    expect((await api().client(key!).GET('/v1/documents', {})).response.status).toBe(200);
    await page.screenshot({ path: screenshotPath('api-key-copied-desktop') });
    await context.close();
  });

  it('puts a long ticket’s reply box within reach at 375 px, the transcript opened at its end', async () => {
    const organizationId = owner.session.organization.id;
    const conversation = await Conversation.query()
      .forOrganization(organizationId)
      .insert({ visitorId: 'visitor-long-talk', visitorName: 'Lena' })
      .returning('*');
    for (let i = 0; i < 30; i++) {
      await Message.query()
        .forOrganization(organizationId)
        .insert({
          conversationId: conversation.id,
          role: i % 2 ? 'assistant' : 'visitor',
          content: `Message ${i}: ${'a fairly long line of conversation to fill the screen '.repeat(3)}`,
          createdAt: new Date(Date.now() - (60 - i) * 1000),
        });
    }
    const { data: ticket } = await owner.client.POST('/v1/conversations/{id}/take-over', {
      params: { path: { id: conversation.id } },
    });

    for (const [size, options] of Object.entries(VIEWPORTS)) {
      const context = await consoleContext(browser(), api(), owner, options);
      const page = await context.newPage();
      await page.goto(`${api().baseUrl}/console/tickets/${ticket!.id}`);
      const transcript = await pageTop(page, '#transcript');
      const reply = await pageTop(page, '#f-reply');
      if (size === 'mobile') {
        // The transcript scrolls within its card (60% of the screen) and opens at the latest message.
        expect(reply - transcript).toBeLessThan(812);
        const left = await page.locator('#transcript').evaluate((el) => ({
          hidden: el.scrollHeight - el.clientHeight,
          below: el.scrollHeight - el.scrollTop - el.clientHeight,
        }));
        expect(left.hidden).toBeGreaterThan(0);
        expect(left.below).toBeLessThanOrEqual(2);
      }
      await page.screenshot({ path: screenshotPath(`ticket-long-${size}`), fullPage: true });
      await context.close();
    }
  });
});
