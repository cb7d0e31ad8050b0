import { useTestApi } from '../helpers/api';
import { useBrowser } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';

const db = useTestDatabase();
// No worker serves this API's task queue: the visitor's question is stored and its turn waits.
const api = useTestApi(db);
const browser = useBrowser();

describe('the widget while no worker answers (Chromium)', () => {
  it('tells the visitor the question is saved instead of showing "typing" without end', async () => {
    const organization = await buildOrganization({ plan: 'pro' });
    const page = await browser().newPage();
    await page.clock.install();
    await page.goto(`${api().baseUrl}/demo?key=${organization.widgetKey}`);
    await page.locator('.launcher').click();
    const skip = page.getByRole('button', { name: 'Skip' });
    if (await skip.isVisible()) await skip.click();
    await page.getByLabel('Your message').fill('Do you have a Linux app?');
    await page.getByLabel('Your message').press('Enter');

    const typing = page.locator('.typing');
    await typing.filter({ hasText: 'The assistant is typing…' }).waitFor({ timeout: 15_000 });
    await page.clock.fastForward(16_000);
    await typing.filter({ hasText: 'Your question is saved' }).waitFor();
    await page.close();
  });
});
