import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { loadConfig } from '../../src/config';
import { TestResult, TestRun } from '../../src/db/models';
import { createLogger } from '../../src/lib/logger';
import { DocumentService } from '../../src/services/documents';
import { TestRunService } from '../../src/services/test-runs';
import { TestSetService } from '../../src/services/test-sets';
import { TemporalGateway } from '../../src/temporal/client';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { uploaded, waitForDocument } from '../helpers/knowledge';
import { startWorkerProcess, waitForExit } from '../helpers/worker-process';

const db = useTestDatabase();

const DEMO_DOCS = path.join(__dirname, '..', '..', 'seed', 'demo-docs');

describe('a worker killed with SIGKILL in the middle of a test run', () => {
  const children: ChildProcess[] = [];
  let temporal: TemporalGateway;
  const taskQueue = `crash-${randomUUID()}`;
  const logFile = path.join(__dirname, '..', '..', '.data', `test-run-crash-${taskQueue}.log`);

  beforeAll(() => {
    temporal = new TemporalGateway(
      { ...loadConfig().temporal, taskQueue },
      createLogger({ level: 'silent', name: 't' }),
    );
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await temporal.close();
  });

  it('finishes after a restart with every question answered once', async () => {
    const config = loadConfig();
    const organization = await buildOrganization({ plan: 'pro' });
    const knex = db();
    const documents = new DocumentService({ knex, temporal, config });
    const testSets = new TestSetService({ knex });
    const testRuns = new TestRunService({ knex, temporal });
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    children.push(startWorkerProcess(taskQueue, logFile));

    const name = 'billing-and-refunds.md';
    const document = await documents.upload(
      organization.id,
      uploaded(name, fs.readFileSync(path.join(DEMO_DOCS, name)), 'text/markdown'),
    );
    expect(await waitForDocument(organization.id, document.id, ['ready', 'failed'], 120_000)).toMatchObject({
      status: 'ready',
    });
    const set = await testSets.create(organization.id, { name: 'Many refunds' });
    const total = 80;
    await testSets.import(organization.id, set.id, {
      format: 'csv',
      content:
        'question,sources,phrases\n' +
        Array.from(
          { length: total },
          (_, i) => `How long do I have to ask for refund ${i}?,${document.id},30 days`,
        ).join('\n'),
    });

    const run = await testRuns.start(organization.id, set.id);
    const answered = () =>
      TestResult.query().forOrganization(organization.id).where('testRunId', run.id).resultSize();
    const deadline = Date.now() + 120_000;
    while ((await answered()) < total * 0.2) {
      if (Date.now() > deadline) throw new Error('the run did not progress');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    children[0]!.kill('SIGKILL');
    await waitForExit(children[0]!);
    const atKill = await answered();
    expect(atKill).toBeLessThan(total);

    children.push(startWorkerProcess(taskQueue, logFile));
    for (;;) {
      const row = await TestRun.query().forOrganization(organization.id).findById(run.id);
      if (row?.status === 'completed') break;
      if (Date.now() > deadline + 120_000) throw new Error('the run did not finish after the restart');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const results = await TestResult.query().forOrganization(organization.id).where('testRunId', run.id);
    expect(results).toHaveLength(total);
    expect(new Set(results.map((r) => r.questionId)).size).toBe(total);
    const finished = await TestRun.query().forOrganization(organization.id).findById(run.id);
    expect(finished).toMatchObject({ questionCount: total, passed: total, failed: 0 });
  }, 300_000);
});
