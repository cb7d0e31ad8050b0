import { Conversation, Message, Organization } from '../../src/db/models';
import { useTestApi } from '../helpers/api';
import { signUp } from '../helpers/accounts';
import { screenshotPath, useBrowser, VIEWPORTS } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';
import { eventually } from '../helpers/tickets';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const browser = useBrowser();

describe('the widget’s pre-chat, rating and hand-off (Chromium)', () => {
  it('styles "Start chatting", asks for a rating once the talk goes quiet and thanks, asks for a person once', async () => {
    const owner = await signUp(api());
    const organizationId = owner.session.organization.id;
    const { widgetKey } = (await Organization.query().findById(organizationId))!;
    for (const [size, options] of Object.entries(VIEWPORTS)) {
      const context = await browser().newContext(options);
      const page = await context.newPage();
      await page.clock.install();
      await page.goto(`${api().baseUrl}/demo?key=${widgetKey}`);
      await page.locator('.launcher').click();
      const start = page.getByRole('button', { name: 'Start chatting' });
      // The accent colour, like the composer's Send, not the browser's grey default.
      await expect(start.evaluate((b) => getComputedStyle(b).backgroundColor)).resolves.toBe(
        'rgb(79, 70, 229)',
      );
      await page.screenshot({ path: screenshotPath(`widget-prechat-${size}`) });
      if (size === 'mobile') {
        await context.close();
        continue;
      }
      await page.getByLabel('Your name (optional)').fill('Ada');
      await start.click();

      await page.getByLabel('Your message').fill('Do you ship kites to Norway?');
      await page.getByLabel('Your message').press('Enter');
      await page.locator('.msg.assistant').first().waitFor({ timeout: 30_000 });
      const csat = page.getByRole('group', { name: 'Rate this conversation' });
      expect(await csat.isVisible()).toBe(false);
      // Two quiet minutes after the reply: the rating is asked for.
      await page.clock.fastForward(121_000);
      await csat.waitFor();
      await page.getByRole('button', { name: '4 out of 5' }).click();
      await page.getByRole('status').filter({ hasText: 'Thank you for your rating!' }).waitFor();
      expect(await csat.isVisible()).toBe(false);
      await eventually(
        async () => (await Conversation.query().forOrganization(organizationId).first())?.csatRating,
        (rating) => rating === 4,
        'the rating stored',
      );

      // One request for a person: the button goes away once pressed.
      const human = page.getByRole('button', { name: 'Talk to a human' });
      await human.click();
      expect(await human.isVisible()).toBe(false);
      await eventually(
        () => owner.client.GET('/v1/tickets').then((r) => r.data!.items),
        (items) => items.length === 1,
        'the ticket',
      );
      const conversation = (await Conversation.query().forOrganization(organizationId).first())!;
      await owner.client.POST('/v1/conversations/{id}/take-over', {
        params: { path: { id: conversation.id } },
      });
      await page.locator('.msg.system').filter({ hasText: 'joined the conversation' }).waitFor();
      // Back later, a person still handles it: no button to ask again.
      await page.reload();
      await page.locator('.launcher').click();
      await page.locator('.msg.system').filter({ hasText: 'joined the conversation' }).waitFor();
      expect(await page.getByRole('button', { name: 'Talk to a human' }).isVisible()).toBe(false);
      expect(
        await Message.query()
          .forOrganization(organizationId)
          .where({ conversationId: conversation.id, content: "I'd like to talk to a person, please." })
          .resultSize(),
      ).toBe(1);
      await page.screenshot({ path: screenshotPath('widget-handed-over-desktop') });
      await page.setViewportSize(VIEWPORTS.mobile.viewport);
      await page.screenshot({ path: screenshotPath('widget-handed-over-mobile') });
      await context.close();
    }
  });
});
