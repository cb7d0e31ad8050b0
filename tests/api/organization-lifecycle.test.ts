import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { createWorker } from '../../src/worker/create-worker';
import { loadConfig } from '../../src/config';
import { NativeConnection } from '@temporalio/worker';
import type { ParleyClient } from '../../src/client';
import { Subscription, TicketEvent, UsageEvent } from '../../src/db/models';
import {
  organizationDeletionProgressQuery,
  organizationDeletionWorkflowId,
  type OrganizationDeletionProgress,
} from '../../src/workflows/contracts';
import type { deleteOrganization } from '../../src/workflows/organization-deletion';
import { useTestApi } from '../helpers/api';
import { addMember, signUp, upgrade, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { documentFixture } from '../helpers/documents';
import { subscribe, testStripe } from '../helpers/stripe';
import { eventually, HUMAN_PLEASE, visitorSays } from '../helpers/tickets';
import { useTestWorker } from '../helpers/temporal';

/**
 * Organization lifecycle (issue 19, item 9): the NDJSON export holds the organization's data and
 * nothing of another's or any secret; deletion is owner-only and confirmed, runs as a workflow that
 * cancels the Stripe subscription, leaves no row of the organization in any table, drops its
 * indexes, leaves other organizations intact, and finishes across a worker restart.
 */

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });

type Line = { type: string } & Record<string, unknown>;

async function exportOf(
  token: string,
): Promise<{ status: number; contentType: string | null; lines: Line[] }> {
  const res = await fetch(`${api().baseUrl}/v1/organization/export`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await res.text();
  const lines =
    res.status === 200
      ? body
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Line)
      : [];
  return { status: res.status, contentType: res.headers.get('content-type'), lines };
}

async function uploadAndWait(client: ParleyClient, name: string, bytes: Buffer): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  const { data } = await client.POST('/v1/documents/upload', {
    body: { file: name },
    bodySerializer: () => form,
  });
  const id = data!.id;
  await eventually(
    async () => (await client.GET('/v1/documents/{id}', { params: { path: { id } } })).data!.status,
    (status) => status === 'ready',
    'the document to be ready',
  );
  return id;
}

/** An organization with a bit of everything: a document, a conversation escalated to a ticket, a webhook endpoint. */
async function populated(): Promise<{ owner: Account; organizationId: string; documentId: string }> {
  const owner = await signUp(api());
  const organizationId = owner.session.organization.id;
  await upgrade(organizationId);
  const documentId = await uploadAndWait(
    owner.client,
    'opening-hours.txt',
    documentFixture('opening-hours.txt'),
  );
  const { data: conversation } = await owner.client.POST('/v1/conversations', {
    body: { visitorName: 'Ada' },
  });
  await visitorSays(owner.client, conversation!.id, 'When does your support team answer chats?');
  await visitorSays(owner.client, conversation!.id, HUMAN_PLEASE);
  // The ticket's lifecycle workflow records its events as it runs.
  await eventually(
    () => TicketEvent.query(db()).forOrganization(organizationId).resultSize(),
    (count) => count > 0,
    'the ticket to record its first event',
  );
  const endpoint = await owner.client.POST('/v1/webhook-endpoints', {
    body: { url: 'http://127.0.0.1:9/hooks', eventTypes: ['ticket.created'] },
  });
  expect(endpoint.response.status).toBe(201);
  return { owner, organizationId, documentId };
}

/** Rows of the organization in every table that has an organization_id column, by table. */
async function rowsOf(knex: Knex, organizationId: string): Promise<Record<string, number>> {
  const tables = (await knex('information_schema.columns')
    .where({ table_schema: 'public', column_name: 'organization_id' })
    .pluck('table_name')) as string[];
  const counts: Record<string, number> = {};
  for (const table of [...tables, 'organizations'].sort()) {
    const column = table === 'organizations' ? 'id' : 'organization_id';
    const row = await knex(table).where(column, organizationId).count({ count: '*' }).first();
    counts[table] = Number(row?.count);
  }
  return counts;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('organization export', () => {
  it("streams the organization's data as NDJSON, without secrets or another organization's data", async () => {
    const a = await populated();
    const b = await populated();
    const { status, contentType, lines } = await exportOf(a.owner.session.accessToken);
    expect(status).toBe(200);
    expect(contentType).toContain('application/x-ndjson');
    expect(lines[0]).toMatchObject({ type: 'export', version: 1, organizationId: a.organizationId });
    const types = new Set(lines.map((l) => l.type));
    for (const type of [
      'organization',
      'settings',
      'subscription',
      'member',
      'document',
      'conversation',
      'message',
      'ticket',
      'ticket_event',
      'usage_event',
      'webhook_endpoint',
      'audit_log',
    ]) {
      expect([type, types.has(type)]).toEqual([type, true]);
    }
    expect(lines.find((l) => l.type === 'organization')).toMatchObject({ id: a.organizationId });
    expect(lines.find((l) => l.type === 'member')).toMatchObject({ email: a.owner.email, role: 'owner' });
    const document = lines.find((l) => l.type === 'document')!;
    expect(document).toMatchObject({ id: a.documentId, status: 'ready' });
    expect(document.text).toContain('Monday to Friday');
    expect(lines.filter((l) => l.type === 'message').map((l) => l.content)).toContain(HUMAN_PLEASE);
    expect(lines.find((l) => l.type === 'ticket_event')).toMatchObject({
      eventType: expect.any(String) as unknown,
    });

    const text = JSON.stringify(lines);
    expect(text).not.toContain(b.organizationId);
    expect(text).not.toContain(b.documentId);
    expect(text).not.toContain(b.owner.email);
    for (const secret of [
      'passwordHash',
      'keyHash',
      'tokenHash',
      'secret',
      'embedding',
      '$argon2',
      'whsec_',
    ]) {
      expect([secret, text.includes(secret)]).toEqual([secret, false]);
    }
  });

  it('is for admins and keys with the organization:export scope only', async () => {
    const owner = await signUp(api());
    await upgrade(owner.session.organization.id);
    const agent = await addMember(api(), owner, 'agent');
    const refused = await fetch(`${api().baseUrl}/v1/organization/export`, {
      headers: { authorization: `Bearer ${agent.session.accessToken}` },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const narrow = await owner.client.POST('/v1/api-keys', {
      body: { name: 'reader', scopes: ['organization:read'] },
    });
    expect((await exportOf(narrow.data!.key)).status).toBe(403);
    const exporter = await owner.client.POST('/v1/api-keys', {
      body: { name: 'exporter', scopes: ['organization:export'] },
    });
    expect((await exportOf(exporter.data!.key)).status).toBe(200);
  });
});

async function deletionStatus(url: string) {
  const res = await fetch(`${api().baseUrl}${url}`);
  return {
    status: res.status,
    body: (await res.json()) as { status: string; progress: OrganizationDeletionProgress },
  };
}

describe('organization deletion', () => {
  it('refuses a non-owner and a wrong confirmation with problem+json, and deletes nothing', async () => {
    const owner = await signUp(api(), { organizationName: 'Keep Me' });
    await upgrade(owner.session.organization.id);
    const admin = await addMember(api(), owner, 'admin');
    const byAdmin = await admin.client.DELETE('/v1/organization', { body: { confirm: 'Keep Me' } });
    expect(byAdmin.response.status).toBe(403);
    expect(byAdmin.response.headers.get('content-type')).toContain('application/problem+json');
    const { data: key } = await owner.client.POST('/v1/api-keys', { body: { name: 'full' } });
    const byKey = await api()
      .client(key!.key)
      .DELETE('/v1/organization', { body: { confirm: 'Keep Me' } });
    expect(byKey.response.status).toBe(403);
    const wrong = await owner.client.DELETE('/v1/organization', { body: { confirm: 'keep me' } });
    expect(wrong.response.status).toBe(422);
    expect(wrong.response.headers.get('content-type')).toContain('application/problem+json');
    expect(wrong.error).toMatchObject({
      type: `${api().baseUrl}/problems/validation`,
      errors: [{ field: 'body.confirm' }],
    });
    const missing = await owner.client.DELETE('/v1/organization', { body: {} as never });
    expect(missing.response.status).toBe(422);
    expect((await owner.client.GET('/v1/organization')).data).toMatchObject({ name: 'Keep Me' });
    const unknown = await fetch(`${api().baseUrl}/v1/organization-deletions/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
  });

  it('cancels the subscription, deletes every row, file and index of the organization, and leaves another intact', async () => {
    const knex = db();
    const a = await populated();
    const b = await populated();
    const stripe = testStripe();
    const customer = await stripe.customers.create({ name: 'A' });
    const subscription = await subscribe(stripe, customer.id, 'pro');
    await Subscription.query(knex)
      .forOrganization(a.organizationId)
      .patch({ stripeCustomerId: customer.id, stripeSubscriptionId: subscription.id, status: 'active' });
    const indexDir = worker().dependencies.indexes.indexDir(a.organizationId);
    expect(fs.existsSync(indexDir)).toBe(true);
    const before = await rowsOf(knex, a.organizationId);
    expect(before.messages).toBeGreaterThan(0);
    expect(before.tickets).toBe(1);
    const bBefore = await rowsOf(knex, b.organizationId);

    // An API key the API has looked up (and cached) must stop working with its organization.
    const { data: key } = await a.owner.client.POST('/v1/api-keys', { body: { name: 'integration' } });
    const integrator = api().client(key!.key);
    expect((await integrator.GET('/v1/organization')).response.status).toBe(200);

    const name = (await a.owner.client.GET('/v1/organization')).data!.name;
    const started = await a.owner.client.DELETE('/v1/organization', { body: { confirm: name } });
    expect(started.response.status).toBe(202);
    const location = started.response.headers.get('location')!;
    expect(started.data).toMatchObject({ status: 'deleting', statusUrl: location });
    // A repeated request reports the same deletion (or, when the deletion already took the owner's
    // membership, is no longer authenticated).
    const again = await a.owner.client.DELETE('/v1/organization', { body: { confirm: name } });
    if (again.response.status === 202) expect(again.data!.id).toBe(started.data!.id);
    else expect(again.response.status).toBe(401);

    const done = await eventually(
      () => deletionStatus(location),
      (s) => s.body.status === 'deleted',
      'the deletion to finish',
      60_000,
    );
    expect(done.body.progress).toMatchObject({
      stage: 'deleted',
      tablesDone: done.body.progress.tablesTotal,
      canceledSubscriptionId: subscription.id,
    });
    expect(done.body.progress.rowsDeleted).toBeGreaterThan(0);

    const after = await rowsOf(knex, a.organizationId);
    expect(Object.entries(after).filter(([, count]) => count > 0)).toEqual([]);
    expect(await knex('users').where('email', a.owner.email).first()).toBeUndefined();
    expect(fs.existsSync(indexDir)).toBe(false);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('canceled');
    expect((await a.owner.client.GET('/v1/organization')).response.status).toBe(401);
    await eventually(
      async () => (await integrator.GET('/v1/organization')).response.status,
      (status) => status === 401,
      "the deleted organization's API key to be refused",
      5_000,
    );

    expect(await rowsOf(knex, b.organizationId)).toEqual(bBefore);
    expect(total(bBefore)).toBeGreaterThan(0);
    const bExport = await exportOf(b.owner.session.accessToken);
    expect(bExport.lines.find((l) => l.type === 'document')).toMatchObject({ id: b.documentId });
  });

  it('finishes across a worker restart', async () => {
    const knex = db();
    const owner = await signUp(api());
    const organizationId = owner.session.organization.id;
    await UsageEvent.query(knex)
      .forOrganization(organizationId)
      .insert(
        Array.from({ length: 60 }, () => ({
          metric: 'messages' as const,
          subjectId: randomUUID(),
          quantity: 1,
          periodStart: new Date().toISOString(),
        })),
      );
    const config = loadConfig();
    const taskQueue = `deletion-restart-${randomUUID()}`;
    const connection = await NativeConnection.connect({ address: config.temporal.address });
    const startWorker = async () => {
      const w = await createWorker({
        connection,
        temporal: { ...config.temporal, taskQueue },
        dependencies: worker().dependencies,
        workflowBundlePath: config.temporal.workflowBundlePath,
      });
      return { w, run: w.run() };
    };
    try {
      const first = await startWorker();
      const deletionId = randomUUID();
      const handle = await worker().client.workflow.start<typeof deleteOrganization>('deleteOrganization', {
        workflowId: organizationDeletionWorkflowId(deletionId),
        taskQueue,
        args: [{ organizationId, deletionId, batchSize: 2, batchesPerCall: 1 }],
      });
      await eventually(
        () => handle.query(organizationDeletionProgressQuery),
        (p) => p.rowsDeleted >= 10,
        'the deletion to be under way',
      );
      first.w.shutdown();
      await first.run;
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(await UsageEvent.query(knex).forOrganization(organizationId).resultSize()).toBeGreaterThan(0);

      const second = await startWorker();
      try {
        const result = await handle.result();
        expect(result).toMatchObject({ stage: 'deleted' });
        expect(result.rowsDeleted).toBeGreaterThanOrEqual(60);
      } finally {
        second.w.shutdown();
        await second.run;
      }
      expect(total(await rowsOf(knex, organizationId))).toBe(0);
    } finally {
      await connection.close();
    }
  });
});
