import fs from 'node:fs';
import path from 'node:path';
import type { ParleyClient } from '../../src/client';
import { Conversation, Message, UsageEvent } from '../../src/db/models';
import { useTestApi } from '../helpers/api';
import { signUp, upgrade, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';

/**
 * Test runs against the real stack: a worker with the real models, PostgreSQL and Temporal. Knowledge
 * changes start runs after one quiet second here (TEST_RUN_QUIET_SECONDS).
 */

const quiet = <C extends { testRuns: { quietSeconds: number } }>(config: C): C => ({
  ...config,
  testRuns: { quietSeconds: 1 },
});
const db = useTestDatabase();
const worker = useTestWorker(db, { configure: quiet });
const api = useTestApi(db, { taskQueue: () => worker().taskQueue, configure: quiet });

const DEMO_DOCS = path.join(__dirname, '..', '..', 'seed', 'demo-docs');

async function upload(client: ParleyClient, name: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(fs.readFileSync(path.join(DEMO_DOCS, name)))]), name);
  const { data, response } = await client.POST('/v1/documents/upload', {
    body: { file: name },
    bodySerializer: () => form,
  });
  if (!data) throw new Error(`upload failed: ${response.status}`);
  for (let i = 0; i < 600; i++) {
    const { data: document } = await client.GET('/v1/documents/{id}', { params: { path: { id: data.id } } });
    if (document?.status === 'ready') return data.id;
    if (document?.status === 'failed') throw new Error(`ingestion failed: ${document.error}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('ingestion did not finish');
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function finished(client: ParleyClient, setId: string, runId: string) {
  return until('the run to complete', async () => {
    const { data } = await client.GET('/v1/test-sets/{id}/runs/{runId}', {
      params: { path: { id: setId, runId } },
    });
    return data?.status === 'completed' ? data : undefined;
  });
}

/** The newest run a knowledge change started after `after`, once it has completed. */
async function automaticRun(client: ParleyClient, setId: string, after: Set<string>) {
  const run = await until('an automatic run', async () => {
    const { data } = await client.GET('/v1/test-sets/{id}/runs', { params: { path: { id: setId } } });
    return data!.items.find((r) => !after.has(r.id) && r.trigger === 'knowledge_change');
  });
  return finished(client, setId, run.id);
}

/** The organization's pass-rate sample on the API's /metrics; undefined when it has none. */
async function metricPassRate(organizationId: string): Promise<number | undefined> {
  const text = await (await fetch(`${api().baseUrl}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`parley_answer_test_pass_rate{organization_id="${organizationId}"`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

async function runIds(client: ParleyClient, setId: string): Promise<Set<string>> {
  const { data } = await client.GET('/v1/test-sets/{id}/runs', {
    params: { path: { id: setId }, query: { limit: 100 } },
  });
  return new Set(data!.items.map((r) => r.id));
}

describe('test runs', () => {
  let owner: Account;
  let billingId: string;
  let setId: string;
  let refundQuestionId: string;
  let twoFactorQuestionId: string;

  beforeAll(async () => {
    owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    billingId = await upload(owner.client, 'billing-and-refunds.md');
    await upload(owner.client, 'getting-started.md');
    const { data: set } = await owner.client.POST('/v1/test-sets', { body: { name: 'Support questions' } });
    setId = set!.id;
    const { data: imported } = await owner.client.POST('/v1/test-sets/{id}/questions/import', {
      params: { path: { id: setId } },
      body: {
        format: 'json',
        content: JSON.stringify([
          {
            question: 'How long do I have to ask for a refund?',
            sources: ['Billing, plans and refunds'],
            phrases: ['30 days'],
          },
          // Not covered until account-security.md is uploaded (below).
          { question: 'How do I turn on two-factor authentication?', phrases: ['authenticator app'] },
        ]),
      },
    });
    refundQuestionId = imported!.questions[0]!.id;
    twoFactorQuestionId = imported!.questions[1]!.id;
  });

  it('asks every question through the chat path and records pass, fail, rank, reply and trace', async () => {
    const { data: started, response } = await owner.client.POST('/v1/test-sets/{id}/runs', {
      params: { path: { id: setId } },
    });
    expect(response.status).toBe(202);
    expect(started).toMatchObject({ trigger: 'manual', status: 'running', questionCount: 2 });
    const run = await finished(owner.client, setId, started!.id);

    expect(run).toMatchObject({ passed: 1, failed: 1, missingDocuments: 0, passRate: 0.5 });
    expect(run.workflowId).toBe(`test-run-${owner.session.organization.id}-${setId}`);
    const refund = run.results.find((r) => r.questionId === refundQuestionId)!;
    expect(refund).toMatchObject({ status: 'passed', outcome: 'answer', expectedRank: 1, failures: [] });
    expect(refund.reply).toContain('30 days');
    expect(refund.citations[0]).toMatchObject({ documentId: billingId });
    expect(refund.retrievalTrace!.hits[0]).toMatchObject({ documentId: billingId });
    const twoFactor = run.results.find((r) => r.questionId === twoFactorQuestionId)!;
    expect(twoFactor.status).toBe('failed');
    expect(twoFactor.failures.length).toBeGreaterThan(0);
    expect(twoFactor.retrievalTrace).not.toBeNull();

    // Nothing of a run is a conversation, a message or a metered message.
    const scope = owner.session.organization.id;
    expect(await Conversation.query().forOrganization(scope).resultSize()).toBe(0);
    expect(await Message.query().forOrganization(scope).resultSize()).toBe(0);
    expect(await UsageEvent.query().forOrganization(scope).resultSize()).toBe(0);

    const detail = await owner.client.GET('/v1/test-sets/{id}', { params: { path: { id: setId } } });
    expect(detail.data!.lastRun).toMatchObject({ id: run.id, passRate: 0.5 });
    expect(await metricPassRate(scope)).toBe(0.5);
    expect(detail.data!.passRateHistory).toEqual([
      { runId: run.id, finishedAt: expect.any(String) as string, passRate: 0.5 },
    ]);
  });

  it('joins a run already going instead of starting a second one', async () => {
    const before = await runIds(owner.client, setId);
    const starts = await Promise.all(
      [1, 2, 3].map(() => owner.client.POST('/v1/test-sets/{id}/runs', { params: { path: { id: setId } } })),
    );
    const ids = new Set(starts.map((s) => s.data!.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(before.has(id!)).toBe(false);
    const run = await finished(owner.client, setId, id!);
    // Each question answered once.
    expect(run.results.map((r) => r.questionId).sort()).toEqual(
      [refundQuestionId, twoFactorQuestionId].sort(),
    );
    expect(await runIds(owner.client, setId)).toEqual(new Set([...before, id!]));
  });

  it('runs by itself after a document becomes ready and shows the question newly passing', async () => {
    const before = await runIds(owner.client, setId);
    await upload(owner.client, 'account-security.md');
    const run = await automaticRun(owner.client, setId, before);
    expect(run).toMatchObject({ passed: 2, failed: 0, passRate: 1 });
    expect(await metricPassRate(owner.session.organization.id)).toBe(1);

    const { data: changes } = await owner.client.GET('/v1/test-sets/{id}/runs/{runId}/changes', {
      params: { path: { id: setId, runId: run.id } },
    });
    expect(changes!.previousRunId).toEqual(expect.any(String));
    expect(changes!.newlyFailing).toEqual([]);
    expect(changes!.newlyPassing).toHaveLength(1);
    const [change] = changes!.newlyPassing;
    expect(change).toMatchObject({
      questionId: twoFactorQuestionId,
      before: { status: 'failed' },
      after: { status: 'passed' },
    });
    expect(change!.after.reply).toContain('authenticator app');
    expect(change!.before.reply).not.toBe(change!.after.reply);
  });

  it('reports a question whose expected document was deleted, in the run the deletion starts', async () => {
    const other = await signUp(api());
    await upgrade(other.session.organization.id);
    const privacyId = await upload(other.client, 'data-export-and-privacy.md');
    const { data: set } = await other.client.POST('/v1/test-sets', { body: { name: 'Privacy' } });
    await other.client.POST('/v1/test-sets/{id}/questions', {
      params: { path: { id: set!.id } },
      body: { question: 'How do I export my data?', sources: [privacyId] },
    });
    const before = await runIds(other.client, set!.id);
    const deleted = await other.client.DELETE('/v1/documents/{id}', { params: { path: { id: privacyId } } });
    expect(deleted.response.status).toBe(204);

    const run = await automaticRun(other.client, set!.id, before);
    expect(run).toMatchObject({ passed: 0, failed: 0, missingDocuments: 1, passRate: null });
    // Nothing judged, no rate: the organization has no sample rather than a made-up one.
    expect(await metricPassRate(other.session.organization.id)).toBeUndefined();
    expect(run.results[0]).toMatchObject({
      status: 'document_missing',
      failures: ['the expected document "Data export, deletion and privacy" was deleted'],
    });
  });
});
