import { randomUUID } from 'node:crypto';
import { createBillingActivities } from '../../src/activities/billing';
import { UsageEvent } from '../../src/db/models';
import { replies } from '../../src/domain/replies';
import { createLogger } from '../../src/lib/logger';
import { calendarPeriod } from '../../src/services/usage';
import { useTestApi } from '../helpers/api';
import { signUp, uniqueEmail, upgrade, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });

/** Usage recorded directly, as if `count` visitor messages had been answered this period. */
async function insertUsage(organizationId: string, count: number): Promise<void> {
  const period = calendarPeriod().start;
  await UsageEvent.query(db())
    .forOrganization(organizationId)
    .insert(
      Array.from({ length: count }, () => ({
        metric: 'messages',
        subjectId: `seeded-${randomUUID()}`,
        quantity: 1,
        periodStart: period,
      })),
    );
  await db().raw(
    `insert into usage_counters (organization_id, metric, period_start, quantity) values (?, 'messages', ?, ?)`,
    [organizationId, period, count],
  );
}

async function startConversation(owner: Account): Promise<string> {
  const { data } = await owner.client.POST('/v1/conversations', { body: { visitorName: 'Vic' } });
  return data!.id;
}

async function exportEvents(
  owner: Account,
  query: string,
): Promise<{ text: string; next: string | null; type: string | null }> {
  const response = await fetch(`${api().baseUrl}/v1/usage/events/export?${query}`, {
    headers: { authorization: `Bearer ${owner.session.accessToken}` },
  });
  expect(response.status).toBe(200);
  return {
    text: await response.text(),
    next: response.headers.get('x-next-cursor'),
    type: response.headers.get('content-type'),
  };
}

describe('the message quota on Free', () => {
  let owner: Account;
  let organizationId: string;
  beforeAll(async () => {
    owner = await signUp(api());
    organizationId = owner.session.organization.id;
    await insertUsage(organizationId, 99);
  });

  it('answers the 100th message, then refuses API messages with 402 naming the limit', async () => {
    const conversationId = await startConversation(owner);
    const hundredth = await owner.client.POST('/v1/conversations/{id}/messages', {
      params: { path: { id: conversationId }, query: { wait: true } },
      body: { content: 'Do you ship to Norway?' },
    });
    expect(hundredth.response.status).toBe(201);
    expect(hundredth.data!.turn.outcome).not.toBe('quota_exceeded');

    const usage = await owner.client.GET('/v1/usage');
    expect(usage.data!.metrics).toContainEqual({ metric: 'messages', used: 100, limit: 100 });

    const refused = await owner.client.POST('/v1/conversations/{id}/messages', {
      params: { path: { id: conversationId }, query: { wait: true } },
      body: { content: 'And to Iceland?' },
    });
    expect(refused.response.status).toBe(402);
    expect(refused.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.error).toMatchObject({
      type: `${api().baseUrl}/problems/payment-required`,
      status: 402,
      limit: { metric: 'messages', limit: 100, used: 100, plan: 'free' },
    });
    expect((refused.error as { detail: string }).detail).toMatch(/100 messages/);
    // Nothing was stored for the refused message.
    const detail = await owner.client.GET('/v1/conversations/{id}', {
      params: { path: { id: conversationId } },
    });
    expect(detail.data!.messages.map((m) => m.content)).not.toContain('And to Iceland?');
  });

  it("gives the widget's visitors the polite unavailable reply that offers a person", async () => {
    const conversationId = await startConversation(owner);
    // The widget's path: the message is stored and its turn explains instead of answering.
    const { workflowId } = await api().services.conversations.postVisitorMessage(
      organizationId,
      conversationId,
      {
        content: 'Is anyone there?',
      },
    );
    const result: unknown = await worker().client.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({ outcome: 'quota_exceeded' });
    const detail = await owner.client.GET('/v1/conversations/{id}', {
      params: { path: { id: conversationId } },
    });
    expect(detail.data!.messages[1]).toMatchObject({
      role: 'assistant',
      outcome: 'quota_exceeded',
      content: replies.quotaExceeded,
    });
    const usage = await owner.client.GET('/v1/usage');
    expect(usage.data!.metrics).toContainEqual({ metric: 'messages', used: 100, limit: 100 });
  });

  it('exports the usage events as NDJSON and CSV pages for reconciliation', async () => {
    const first = await exportEvents(owner, 'format=ndjson&limit=60');
    expect(first.type).toMatch(/^application\/x-ndjson/);
    const lines = first.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; metric: string });
    expect(lines).toHaveLength(60);
    expect(first.next).toBe(lines[59]!.id);
    const rest = await exportEvents(owner, `format=ndjson&limit=60&cursor=${first.next}`);
    const restLines = rest.text.trim().split('\n');
    expect(restLines).toHaveLength(40);
    expect(rest.next).toBeNull();
    const ids = [...lines.map((l) => l.id), ...restLines.map((l) => (JSON.parse(l) as { id: string }).id)];
    expect(new Set(ids).size).toBe(100);

    const csv = await exportEvents(owner, 'format=csv');
    expect(csv.type).toMatch(/^text\/csv/);
    const rows = csv.text.trim().split('\r\n');
    expect(rows[0]).toBe('id,metric,subjectId,quantity,periodStart,createdAt');
    expect(rows).toHaveLength(101);
    expect(rows[1]).toMatch(new RegExp(`^\\d+,messages,seeded-[0-9a-f-]+,1,${calendarPeriod().start},`));

    const page = await owner.client.GET('/v1/usage/events', { params: { query: { limit: 30 } } });
    expect(page.data!.items).toHaveLength(30);
    const next = await owner.client.GET('/v1/usage/events', {
      params: { query: { limit: 100, cursor: page.data!.nextCursor! } },
    });
    expect(next.data!.items).toHaveLength(70);
    const bad = await owner.client.GET('/v1/usage/events', { params: { query: { cursor: 'nope' } } });
    expect(bad.response.status).toBe(422);
  });

  it('starts counting from zero when a new billing period begins', async () => {
    const activities = createBillingActivities({
      knex: db(),
      billing: api().config.billing,
      logger: createLogger({ level: 'silent', name: 'limits-test' }),
    });
    const start = Date.now() - 3600_000;
    await activities.saveBillingState({
      organizationId,
      state: {
        plan: 'pro',
        status: 'active',
        stripeCustomerId: null,
        stripeSubscriptionId: null,
        currentPeriodStart: start,
        currentPeriodEnd: start + 30 * 24 * 3600_000,
        cancelAtPeriodEnd: false,
        graceUntil: null,
      },
    });
    const usage = await owner.client.GET('/v1/usage');
    expect(usage.data).toMatchObject({ plan: 'pro', periodStart: new Date(start).toISOString() });
    expect(usage.data!.metrics).toContainEqual({ metric: 'messages', used: 0, limit: 5000 });
    // The earlier period's events stay exportable.
    expect((await exportEvents(owner, 'format=csv')).text.trim().split('\r\n')).toHaveLength(101);
  });
});

describe('the seat limit', () => {
  it('refuses an invitation past the Free seat with 402 naming the limit', async () => {
    const owner = await signUp(api());
    const { response, error } = await owner.client.POST('/v1/invitations', {
      body: { email: uniqueEmail('second'), role: 'agent' },
    });
    expect(response.status).toBe(402);
    expect(error).toMatchObject({
      type: `${api().baseUrl}/problems/payment-required`,
      limit: { metric: 'seats', limit: 1, used: 1, plan: 'free' },
    });
  });

  it('counts pending invitations as seats on Pro (5)', async () => {
    const owner = await signUp(api());
    await upgrade(owner.session.organization.id, 'pro');
    for (let i = 0; i < 4; i++) {
      const invited = await owner.client.POST('/v1/invitations', {
        body: { email: uniqueEmail('agent'), role: 'agent' },
      });
      expect(invited.response.status).toBe(201);
    }
    const sixth = await owner.client.POST('/v1/invitations', {
      body: { email: uniqueEmail('sixth'), role: 'agent' },
    });
    expect(sixth.response.status).toBe(402);
    expect(sixth.error).toMatchObject({ limit: { metric: 'seats', limit: 5, used: 5, plan: 'pro' } });
    const usage = await owner.client.GET('/v1/usage');
    expect(usage.data!.metrics).toContainEqual({ metric: 'seats', used: 5, limit: 5 });
  });
});
