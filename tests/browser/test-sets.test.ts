import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { PASSWORD, signUp, upgrade, type Account } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { screenshotPath, useBrowser } from '../helpers/browser';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });
const browser = useBrowser();

const DEMO_DOCS = path.join(__dirname, '..', '..', 'seed', 'demo-docs');

/** An admin writes a test set in the console, imports questions, runs it and reads the pass rate. */
describe('answer tests in the console', () => {
  let context: BrowserContext;
  let page: Page;
  let owner: Account;

  beforeAll(async () => {
    owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const form = new FormData();
    const name = 'billing-and-refunds.md';
    form.append('file', new Blob([new Uint8Array(fs.readFileSync(path.join(DEMO_DOCS, name)))]), name);
    const { data } = await owner.client.POST('/v1/documents/upload', {
      body: { file: name },
      bodySerializer: () => form,
    });
    for (let i = 0; i < 600; i++) {
      const { data: document } = await owner.client.GET('/v1/documents/{id}', {
        params: { path: { id: data!.id } },
      });
      if (document?.status === 'ready') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    context = await browser().newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context.close();
  });

  it('creates a set, adds and imports questions (a bad row is named), runs it and shows the pass rate', async () => {
    await page.goto(`${api().baseUrl}/login`);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/console/overview');

    await page.getByRole('link', { name: 'Answer tests' }).click();
    await page.getByLabel('Name').fill('Refunds and security');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/console\/test-sets\/[0-9a-f-]{36}$/);
    await page.getByText('Not run yet.').waitFor();

    const add = page.locator('section', { has: page.getByRole('heading', { name: 'Add a question' }) });
    await add.getByLabel('Question').fill('How long do I have to ask for a refund?');
    await add.getByLabel('Expected sources').fill('Billing, plans and refunds');
    await add.getByLabel('Phrases the reply must contain').fill('30 days');
    await add.getByRole('button', { name: 'Add the question' }).click();
    await page.getByRole('cell', { name: 'How long do I have to ask for a refund?' }).waitFor();

    const importer = page.locator('section', {
      has: page.getByRole('heading', { name: 'Import questions' }),
    });
    await importer
      .getByLabel('Or paste it')
      .fill(
        'question,expectation,phrases\nHow do I turn on two-factor authentication?,answer,authenticator app\nWho are you?,perhaps,\n',
      );
    await importer.getByRole('button', { name: 'Import' }).click();
    await page.getByText('Nothing was imported: correct the rows below.').waitFor();
    await page.getByText('row 2 expectation: must be one of answer, abstain, escalate').waitFor();

    await importer
      .getByLabel('Or paste it')
      .fill(
        'question,expectation,phrases\nHow do I turn on two-factor authentication?,answer,authenticator app\n',
      );
    await importer.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('heading', { name: 'Questions (2 of at most 200)' }).waitFor();

    await page.getByRole('button', { name: 'Run now' }).click();
    // The panel polls itself while the run goes, then shows the figures.
    await page.locator('#last-run[data-run-status="completed"]').waitFor({ timeout: 60_000 });
    await page.locator('[data-pass-rate]').getByText('50%').waitFor();
    await page
      .locator('tr[data-result="passed"]', { hasText: 'How long do I have to ask for a refund?' })
      .waitFor();
    const failed = page.locator('tr[data-result="failed"]', { hasText: 'two-factor authentication' });
    await failed.waitFor();
    await failed.getByRole('link', { name: 'The run in the Temporal UI' }).waitFor();

    // The chart is drawn from the completed run (reload: the chart script loads with the page).
    await page.reload();
    await page.locator('canvas[data-chart="pass-rate-data"][data-ready="1"]').waitFor();
    await page.screenshot({ path: screenshotPath('test-sets'), fullPage: true });
  });
});
