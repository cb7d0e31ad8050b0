import { Organization } from '../../src/db/models';
import { replies } from '../../src/domain/replies';
import { useTestApi } from '../helpers/api';
import { signUp } from '../helpers/accounts';
import { screenshotPath, useBrowser } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';
import { eventually } from '../helpers/tickets';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const browser = useBrowser();

describe('the hand-off in the widget on the demo page (Chromium)', () => {
  it('shows the reply an agent sends through the API, live, and never their internal note', async () => {
    const owner = await signUp(api());
    const { widgetKey } = (await Organization.query().findById(owner.session.organization.id))!;
    const context = await browser().newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${api().baseUrl}/demo?key=${widgetKey}`);
    await page.locator('.launcher').click();
    const skip = page.getByRole('button', { name: 'Skip' });
    if (await skip.isVisible()) await skip.click();

    await page.getByRole('button', { name: 'Talk to a human' }).click();
    await page
      .locator('.msg.assistant')
      .filter({ hasText: replies.escalated.slice(0, 40) })
      .waitFor({ timeout: 30_000 });
    const tickets = await eventually(
      async () => (await owner.client.GET('/v1/tickets')).data!.items,
      (items) => items.length === 1,
      'the ticket',
    );

    await owner.client.POST('/v1/tickets/{id}/notes', {
      params: { path: { id: tickets[0]!.id } },
      body: { content: 'Internal: check the refund log first.' },
    });
    const sent = await owner.client.POST('/v1/tickets/{id}/replies', {
      params: { path: { id: tickets[0]!.id } },
      body: { content: 'Hi, this is Dana from support. I am looking at your account now.' },
    });
    expect(sent.response.status).toBe(201);

    const reply = page.locator('.msg.agent').filter({ hasText: 'this is Dana from support' });
    await reply.waitFor({ timeout: 15_000 });
    // The reply is signed by the agent who wrote it, with their initials as the avatar.
    await expect(reply.locator('.who').textContent()).resolves.toBe('OPOwner Person');
    await expect(reply.locator('.who .initials').textContent()).resolves.toBe('OP');
    expect(await page.locator('.log').textContent()).not.toContain('check the refund log');
    await page.screenshot({ path: screenshotPath('widget-agent-reply-desktop') });
    await page.setViewportSize({ width: 375, height: 812 });
    await page.screenshot({ path: screenshotPath('widget-agent-reply-mobile') });
    await context.close();
  });
});
