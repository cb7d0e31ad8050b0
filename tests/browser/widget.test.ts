import type { Page } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import { Conversation, Ticket, type Organization } from '../../src/db/models';
import { publish } from '../../src/lib/events';
import { replies } from '../../src/domain/replies';
import { useTestApi } from '../helpers/api';
import { screenshotPath, useBrowser } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { waitForDocument } from '../helpers/knowledge';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const browser = useBrowser();

/** Records every frame the widget receives, so the test can see what streamed and in what order. */
const RECORD_FRAMES = `
  window.__frames = [];
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => window.__frames.push(JSON.parse(e.data)));
    }
  };`;

interface Frame {
  type: string;
  who?: string;
  active?: boolean;
  message?: { role: string };
}

describe('the widget on the demo page (Chromium)', () => {
  let organization: Organization;
  let demoUrl: string;

  beforeAll(async () => {
    organization = await buildOrganization({ plan: 'pro' });
    const sitemap = await api().services.documents.addUrl(organization.id, {
      url: `${api().baseUrl}/demo/sitemap.xml`,
      type: 'sitemap',
    });
    await waitForDocument(organization.id, sitemap.id, ['ready'], 120_000);
    demoUrl = `${api().baseUrl}/demo?key=${organization.widgetKey}`;
  });

  async function openWidget(page: Page): Promise<void> {
    await page.goto(demoUrl);
    await page.locator('.launcher').click();
    const skip = page.getByRole('button', { name: 'Skip' });
    if (await skip.isVisible()) await skip.click();
  }

  async function ask(page: Page, question: string): Promise<void> {
    await page.getByLabel('Your message').fill(question);
    await page.getByLabel('Your message').press('Enter');
  }

  it('answers with a typing indicator, a streamed reply and a citation link; restores history; escalates', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(RECORD_FRAMES);
    const page = await context.newPage();
    await openWidget(page);
    await ask(page, 'How long do I have to ask for a refund?');

    const answer = page.locator('.msg.assistant').filter({ hasText: '30 days' });
    await answer.waitFor({ timeout: 30_000 });
    // Sources are numbered as the reply's markers; one opens to the words quoted from it and its link.
    const source = answer.locator('.cites li').first();
    await expect(source.locator('summary').textContent()).resolves.toMatch(
      /^\[1\] Billing, plans and refunds/,
    );
    expect(await source.locator('blockquote').isVisible()).toBe(false);
    await source.locator('summary').click();
    await expect(source.locator('blockquote').textContent()).resolves.toMatch(/30 days/);
    expect(await source.locator('a').getAttribute('href')).toMatch(/\/demo\/help\/billing-and-refunds$/);

    const frames = await page.evaluate<Frame[]>('window.__frames');
    const typingAt = frames.findIndex((f) => f.type === 'typing' && f.who === 'assistant' && f.active);
    const firstToken = frames.findIndex((f) => f.type === 'token');
    expect(typingAt).toBeGreaterThanOrEqual(0);
    expect(firstToken).toBeGreaterThan(typingAt);
    expect(frames.filter((f) => f.type === 'token').length).toBeGreaterThan(3);
    await page.screenshot({ path: screenshotPath('widget-desktop-answer') });

    await page.reload();
    await page.locator('.launcher').click();
    await page
      .locator('.msg.visitor')
      .filter({ hasText: 'How long do I have to ask for a refund?' })
      .waitFor();
    await page.locator('.msg.assistant').filter({ hasText: '30 days' }).waitFor();

    await page.getByRole('button', { name: 'Talk to a human' }).click();
    await page
      .locator('.msg.assistant')
      .filter({ hasText: replies.escalated.slice(0, 40) })
      .waitFor({ timeout: 30_000 });
    // The reply is stored a moment before the ticket is opened.
    let tickets: Ticket[] = [];
    for (let i = 0; i < 100 && tickets.length === 0; i++) {
      tickets = await Ticket.query().forOrganization(organization.id);
      if (tickets.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(tickets).toHaveLength(1);
    expect(tickets[0]!.reason).toBe('visitor asked for a human');
    await page.screenshot({ path: screenshotPath('widget-desktop-escalated') });
    await context.close();
  });

  it('shows markup in a message as text, never as HTML', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await openWidget(page);
    const payload = '<img src=x onerror="window.__xss = 1"><b>bold</b>';
    await ask(page, payload);
    const bubble = page.locator('.msg.visitor .text').filter({ hasText: '<img src=x' });
    await bubble.waitFor();
    expect(await bubble.textContent()).toBe(payload);
    await page.locator('.msg.assistant').first().waitFor({ timeout: 30_000 });
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('.log img').count()).toBe(0);
    expect(await page.locator('.log b').count()).toBe(0);
    await context.close();
  });

  it('starts a streamed reply over when its generation is retried from the first token', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await openWidget(page);
    await ask(page, 'Hello there');
    // Stored once the server acknowledges it: the conversation exists.
    await page.locator('.msg.visitor:not(.pending)').waitFor();
    const conversation = await Conversation.query()
      .forOrganization(organization.id)
      .orderBy('createdAt', 'desc')
      .first();
    const replyTo = randomUUID();
    // The first attempt streams two pieces and dies; the retry streams from seq 0 again.
    const pieces: [number, string][] = [
      [0, 'Your order '],
      [1, 'is lost'],
      [0, 'Orders ship '],
      [1, 'within two days'],
    ];
    for (const [seq, delta] of pieces) {
      await publish(db(), {
        type: 'token',
        organizationId: organization.id,
        conversationId: conversation!.id,
        replyTo,
        seq,
        delta,
      });
    }
    const streamed = page.locator('.msg.assistant .text').filter({ hasText: 'within two days' });
    await streamed.waitFor();
    expect(await streamed.textContent()).toBe('Orders ship within two days');
    await context.close();
  });

  it('fills the screen on a phone', async () => {
    const context = await browser().newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await openWidget(page);
    const panel = await page.locator('.panel').boundingBox();
    expect(panel).toMatchObject({ x: 0, y: 0, width: 390, height: 844 });
    await ask(page, 'How do I export my notes?');
    await page.locator('.msg.assistant .cites li').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('widget-mobile-answer') });
    await context.close();
  });
});
