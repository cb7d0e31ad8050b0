import type { Page } from 'playwright-core';
import type { Organization } from '../../src/db/models';
import { useTestApi } from '../helpers/api';
import { openWidget, screenshotPath, useBrowser, VIEWPORTS } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { useKnowledgeServices, waitForDocument } from '../helpers/knowledge';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const services = useKnowledgeServices(db, worker);
const browser = useBrowser();

const RETURNS = `# Kite returns

Read this before you send a kite back.

## Flown kites

A kite you already flew can be returned within **30 days** if the sail is not torn.

## Refund timing

Refunds reach your card within five working days.
`;

const HANDBOOK = `# Warehouse handbook

## Damaged parcels

Staff open a damaged parcel claim with the carrier within 48 hours of delivery.
`;

const file = (name: string, text: string) => ({
  originalname: name,
  mimetype: 'text/markdown',
  buffer: Buffer.from(text),
  size: Buffer.byteLength(text),
});

describe('citations open article pages (Chromium)', () => {
  let organization: Organization;
  let returnsId: string;

  beforeAll(async () => {
    // The worker's public address is the API's, as in a deployment: citations link back to it.
    worker().dependencies.publicUrl = api().baseUrl;
    organization = await buildOrganization({ plan: 'pro' });
    const returns = await services().documents.upload(organization.id, file('returns.md', RETURNS));
    const handbook = await services().documents.upload(
      organization.id,
      file('handbook.md', HANDBOOK),
      undefined,
      'internal',
    );
    returnsId = returns.id;
    await waitForDocument(organization.id, returns.id, ['ready']);
    await waitForDocument(organization.id, handbook.id, ['ready']);
  });

  async function ask(page: Page, question: string) {
    await page.getByLabel('Your message').fill(question);
    await page.getByLabel('Your message').press('Enter');
  }

  it('opens the article of a public upload from its citation, and shows an internal one without a link', async () => {
    const context = await browser().newContext(VIEWPORTS.desktop);
    const page = await context.newPage();
    await openWidget(page, api(), organization.widgetKey);
    await ask(page, 'Can I return a kite I already flew?');
    const answer = page.locator('.msg.assistant').filter({ hasText: '30 days' });
    await answer.waitFor({ timeout: 30_000 });
    const source = answer.locator('.cites li').first();
    await expect(source.locator('summary').textContent()).resolves.toMatch(/^\[1\] Kite returns/);
    await source.locator('summary').click();
    await page.screenshot({ path: screenshotPath('articles-widget-desktop') });

    const [article] = await Promise.all([
      context.waitForEvent('page'),
      source.getByRole('link', { name: 'Open the article' }).click(),
    ]);
    await article.waitForLoadState();
    expect(new URL(article.url()).pathname).toBe(`/articles/${organization.id}/${returnsId}`);
    await expect(article.locator('h1').textContent()).resolves.toBe('Kite returns');
    await expect(article.getByRole('heading', { name: 'Flown kites' }).isVisible()).resolves.toBe(true);
    await expect(article.locator('strong').first().textContent()).resolves.toBe('30 days');
    // The article page itself: no console chrome and no widget.
    expect(await article.locator('nav, .launcher, script').count()).toBe(0);
    await article.screenshot({ path: screenshotPath('article-desktop'), fullPage: true });

    await ask(page, 'How soon must staff claim a damaged parcel?');
    const internal = page.locator('.msg.assistant').filter({ hasText: '48 hours' });
    await internal.waitFor({ timeout: 30_000 });
    const cited = internal.locator('.cites li').first();
    await expect(cited.textContent()).resolves.toMatch(/Warehouse handbook/);
    await cited.locator('summary').click();
    expect(await cited.locator('a').count()).toBe(0);
    await context.close();

    const phone = await browser().newContext(VIEWPORTS.mobile);
    const small = await phone.newPage();
    await small.goto(article.url());
    await expect(small.locator('h1').textContent()).resolves.toBe('Kite returns');
    // Readable on a phone: nothing wider than the screen.
    expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await small.screenshot({ path: screenshotPath('article-mobile'), fullPage: true });
    await phone.close();
  });
});
