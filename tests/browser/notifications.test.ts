import { Organization } from '../../src/db/models';
import { replies } from '../../src/domain/replies';
import { PASSWORD, signUp } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { screenshotPath, useBrowser } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const browser = useBrowser();

declare global {
  interface Window {
    /** Titles of the browser notifications the page showed (recorded by the test's init script). */
    shownNotifications?: string[];
  }
}

describe('notifications in the console (Chromium)', () => {
  it('shows the badge and a browser notification in the agent’s console when a visitor asks for a person in the widget', async () => {
    const owner = await signUp(api());
    const { widgetKey } = (await Organization.query().findById(owner.session.organization.id))!;

    const agentContext = await browser().newContext({ viewport: { width: 1280, height: 900 } });
    await agentContext.grantPermissions(['notifications'], { origin: api().baseUrl });
    // Records each Notification the console script creates (the real one still runs).
    await agentContext.addInitScript(() => {
      const Original = window.Notification;
      window.shownNotifications = [];
      class Recorded extends Original {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          window.shownNotifications!.push(title);
        }
      }
      window.Notification = Recorded;
    });
    const page = await agentContext.newPage();
    await page.goto(`${api().baseUrl}/login`);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/overview/);

    // Preferences: browser notifications and the sound on; permission is asked from the button.
    await page.getByRole('link', { name: 'Notifications', exact: true }).click();
    await page.waitForURL(/\/console\/notifications$/);
    await page.getByRole('button', { name: 'Allow browser notifications' }).click();
    await page.getByText('Allowed.').waitFor();
    await page.getByLabel('Show a browser notification while the console is open').check();
    await page.getByLabel('Play a short sound with it').check();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.getByText('Preferences saved.').waitFor();

    await page.goto(`${api().baseUrl}/console/overview`);
    const badge = page.locator('#notification-badge');
    await page.locator('#notification-badge[data-unread="0"]').waitFor();
    expect(await badge.locator('.notification-count').count()).toBe(0);

    // The visitor asks for a person in the widget on the demo page.
    const visitor = await browser().newContext({ viewport: { width: 1280, height: 800 } });
    const widget = await visitor.newPage();
    await widget.goto(`${api().baseUrl}/demo?key=${widgetKey}`);
    await widget.locator('.launcher').click();
    const skip = widget.getByRole('button', { name: 'Skip' });
    if (await skip.isVisible()) await skip.click();
    await widget.getByRole('button', { name: 'Talk to a human' }).click();
    await widget
      .locator('.msg.assistant')
      .filter({ hasText: replies.escalated.slice(0, 40) })
      .waitFor({ timeout: 30_000 });

    // Without a reload, the badge counts it and the browser shows the notification.
    await badge.locator('.notification-count').filter({ hasText: '1' }).waitFor({ timeout: 30_000 });
    await expect(badge.getAttribute('aria-label')).resolves.toBe('Notifications, 1 unread');
    await page.waitForFunction(() => (window.shownNotifications ?? []).length > 0, undefined, {
      timeout: 10_000,
    });
    const shown = await page.evaluate(() => window.shownNotifications ?? []);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(/^Ticket #\d+: a visitor asks for a person$/);
    await page.screenshot({ path: screenshotPath('console-notification-badge-desktop') });

    await badge.click();
    await page.waitForURL(/\/console\/notifications$/);
    await page
      .getByText(/a visitor asks for a person/)
      .first()
      .waitFor();
    await page.screenshot({ path: screenshotPath('console-notifications-desktop'), fullPage: true });

    // At 375 px: the badge is on screen, and the page reflows rather than scrolling sideways.
    const mobile = await browser().newContext({
      viewport: { width: 375, height: 812 },
      isMobile: true,
      hasTouch: true,
      storageState: await agentContext.storageState(),
    });
    const small = await mobile.newPage();
    await small.goto(`${api().baseUrl}/console/overview`);
    const smallBadge = small.locator('#notification-badge .notification-count');
    await smallBadge.filter({ hasText: '1' }).waitFor();
    expect(await smallBadge.isVisible()).toBe(true);
    await small.screenshot({ path: screenshotPath('console-notification-badge-mobile') });
    await small.goto(`${api().baseUrl}/console/notifications`);
    await small.screenshot({ path: screenshotPath('console-notifications-mobile'), fullPage: true });
    expect(
      await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(1);

    // Marking all read clears the badge.
    await small.getByRole('button', { name: 'Mark all read' }).click();
    await small.locator('#notification-badge[data-unread="0"]').waitFor();

    await Promise.all([agentContext.close(), visitor.close(), mobile.close()]);
  });
});
