import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TestApi } from './api';
import { PASSWORD, type Account } from './accounts';

/** Screenshots and other test artifacts (git-ignored; CI keeps them). */
export const ARTIFACTS = path.join(__dirname, '..', '..', 'artifacts');

/**
 * Debian's Chromium driven by playwright-core, headless, with no background network. playwright's
 * launch() gives every run a fresh temporary profile.
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('useBrowser: available inside tests only');
    return browser;
  };
}

export function screenshotPath(name: string): string {
  const dir = path.join(ARTIFACTS, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}

/** The two sizes every browser journey is seen at: a laptop and a small phone. */
export const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 900 } },
  mobile: { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true },
};

/** A browser context signed in to the console as `account`. */
export async function consoleContext(
  browser: Browser,
  api: TestApi,
  account: Account,
  options: (typeof VIEWPORTS)[keyof typeof VIEWPORTS] = VIEWPORTS.desktop,
): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(`${api.baseUrl}/login`);
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/console/overview');
  await page.close();
  return context;
}

/** Opens the widget on the demo page, past the optional pre-chat form. */
export async function openWidget(page: Page, api: TestApi, widgetKey: string): Promise<void> {
  await page.goto(`${api.baseUrl}/demo?key=${widgetKey}`);
  await page.locator('.launcher').click();
  const skip = page.getByRole('button', { name: 'Skip' });
  if (await skip.isVisible()) await skip.click();
}
