import { Conversation, Message, Ticket, type MessageRole } from '../../src/db/models';
import { computeAnalytics } from '../../src/services/analytics';
import { useTestApi } from '../helpers/api';
import { signUp, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';

const db = useTestDatabase();
const api = useTestApi(db);

const at = (iso: string) => new Date(iso);
const plus = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000);

/**
 * A seeded month: four conversations over two days in the range (and a widget session nobody wrote in,
 * which is not one), one before it;
 * two escalations with known first-response and resolution times, one SLA breach, two ratings.
 */
describe('analytics', () => {
  let owner: Account;
  let org: string;

  async function conversation(
    createdAt: string,
    messages: { role: MessageRole; at: string; outcome?: string; latencyMs?: number; internal?: boolean }[],
    extra: { csatRating?: number } = {},
  ): Promise<Conversation> {
    const row = await Conversation.query()
      .forOrganization(org)
      .insert({ visitorId: `v-${createdAt}`, createdAt: at(createdAt), ...extra });
    for (const [i, m] of messages.entries()) {
      await Message.query()
        .forOrganization(org)
        .insert({
          conversationId: row.id,
          role: m.role,
          content: `message ${i}`,
          outcome: m.outcome ?? null,
          latencyMs: m.latencyMs ?? null,
          internal: m.internal ?? false,
          createdAt: at(m.at),
        });
    }
    return row;
  }

  async function ticket(
    conversationId: string,
    number: number,
    createdAt: string,
    fields: Partial<Ticket> = {},
  ) {
    await Ticket.query()
      .forOrganization(org)
      .insert({
        conversationId,
        number,
        reason: 'visitor asked for a human',
        createdAt: at(createdAt),
        ...fields,
      });
  }

  beforeAll(async () => {
    owner = await signUp(api());
    org = owner.session.organization.id;
    await conversation(
      '2026-03-01T10:00:00Z',
      [
        { role: 'visitor', at: '2026-03-01T10:00:01Z' },
        { role: 'assistant', at: '2026-03-01T10:00:02Z', outcome: 'answer', latencyMs: 100 },
      ],
      { csatRating: 5 },
    );
    const c2 = await conversation('2026-03-01T11:00:00Z', [
      { role: 'visitor', at: '2026-03-01T11:00:01Z' },
      { role: 'assistant', at: '2026-03-01T11:00:02Z', outcome: 'abstain', latencyMs: 200 },
      { role: 'visitor', at: '2026-03-01T11:04:00Z' },
      { role: 'assistant', at: '2026-03-01T11:04:01Z', outcome: 'escalate', latencyMs: 300 },
    ]);
    await ticket(c2.id, 1, '2026-03-01T11:05:00Z', {
      status: 'resolved',
      firstResponseAt: plus('2026-03-01T11:05:00Z', 600),
      resolvedAt: plus('2026-03-01T11:05:00Z', 3600),
    });
    await conversation(
      '2026-03-02T09:00:00Z',
      [
        { role: 'visitor', at: '2026-03-02T09:00:01Z' },
        { role: 'assistant', at: '2026-03-02T09:00:02Z', outcome: 'answer', latencyMs: 400 },
      ],
      { csatRating: 3 },
    );
    await conversation('2026-03-02T12:00:00Z', []); // opened the widget, never wrote
    const c5 = await conversation('2026-03-02T13:00:00Z', [
      { role: 'visitor', at: '2026-03-02T13:00:01Z' },
      { role: 'assistant', at: '2026-03-02T13:00:02Z', outcome: 'escalate', latencyMs: 500 },
      { role: 'agent', at: '2026-03-02T13:31:00Z', internal: true },
      { role: 'agent', at: '2026-03-02T13:31:00Z' },
    ]);
    await ticket(c5.id, 2, '2026-03-02T13:01:00Z', {
      status: 'assigned',
      firstResponseAt: plus('2026-03-02T13:01:00Z', 1800),
      firstResponseBreachedAt: at('2026-03-02T13:16:00Z'),
    });
    // Before the range: counted nowhere.
    const before = await conversation('2026-02-27T10:00:00Z', [
      { role: 'visitor', at: '2026-02-27T10:00:01Z' },
      { role: 'assistant', at: '2026-02-27T10:00:02Z', outcome: 'escalate', latencyMs: 9000 },
    ]);
    await ticket(before.id, 3, '2026-02-27T10:01:00Z', { resolutionBreachedAt: at('2026-02-28T10:00:00Z') });
  });

  it('computes volume, rates, satisfaction, speed and SLA breaches for the range', async () => {
    const { data, response } = await owner.client.GET('/v1/analytics', {
      params: { query: { from: '2026-03-01T00:00:00Z', to: '2026-03-04T00:00:00Z' } },
    });
    expect(response.status).toBe(200);
    expect(data).toMatchObject({
      conversations: 4,
      messages: 11,
      visitorMessages: 5,
      aiResolutionRate: 0.5,
      escalationRate: 0.5,
      escalations: 2,
      abstentions: 1,
      csat: { average: 4, responses: 2 },
      // Every duration in milliseconds, whole: the assistant's replies and the tickets' alike.
      responseTime: { average: 300, p50: 300, p95: 480, count: 5 },
      firstResponseTime: { average: 1_200_000, p50: 1_200_000, p95: 1_740_000, count: 2 },
      resolutionTime: { average: 3_600_000, p50: 3_600_000, p95: 3_600_000, count: 1 },
      slaBreaches: { firstResponse: 1, resolution: 0 },
    });
    expect(data!.daily).toEqual([
      { date: '2026-03-01', conversations: 2, messages: 6, escalations: 1, abstentions: 1 },
      { date: '2026-03-02', conversations: 2, messages: 5, escalations: 1, abstentions: 0 },
      { date: '2026-03-03', conversations: 0, messages: 0, escalations: 0, abstentions: 0 },
    ]);
  });

  it('does not count a question left unanswered as resolved by the assistant', async () => {
    await conversation('2026-04-01T10:00:00Z', [{ role: 'visitor', at: '2026-04-01T10:00:01Z' }]); // no worker ran
    await conversation('2026-04-01T11:00:00Z', [
      { role: 'visitor', at: '2026-04-01T11:00:01Z' },
      { role: 'assistant', at: '2026-04-01T11:00:02Z', outcome: 'abstain', latencyMs: 100 },
    ]);
    await conversation('2026-04-01T12:00:00Z', [
      { role: 'visitor', at: '2026-04-01T12:00:01Z' },
      { role: 'assistant', at: '2026-04-01T12:00:02Z', outcome: 'answer', latencyMs: 100 },
    ]);
    const report = await computeAnalytics(db(), org, {
      from: at('2026-04-01T00:00:00Z'),
      to: at('2026-04-02T00:00:00Z'),
    });
    expect(report).toMatchObject({ conversations: 3, aiResolutionRate: 0.3333, escalationRate: 0 });
  });

  it('gives nulls, not zeros, for rates and times with nothing to measure', async () => {
    const report = await computeAnalytics(db(), org, {
      from: at('2025-01-01T00:00:00Z'),
      to: at('2025-01-02T00:00:00Z'),
    });
    expect(report).toMatchObject({
      conversations: 0,
      aiResolutionRate: null,
      escalationRate: null,
      csat: { average: null, responses: 0 },
      responseTime: { average: null, p50: null, p95: null, count: 0 },
      firstResponseTime: { average: null, count: 0 },
    });
    expect(report.daily).toEqual([
      { date: '2025-01-01', conversations: 0, messages: 0, escalations: 0, abstentions: 0 },
    ]);
  });

  it('shows another organization none of these figures', async () => {
    const other = await signUp(api());
    const { data } = await other.client.GET('/v1/analytics', {
      params: { query: { from: '2026-03-01T00:00:00Z', to: '2026-03-04T00:00:00Z' } },
    });
    expect(data).toMatchObject({
      conversations: 0,
      messages: 0,
      escalations: 0,
      slaBreaches: { firstResponse: 0 },
    });
  });

  it.each([
    [{ from: '2026-03-04T00:00:00Z', to: '2026-03-01T00:00:00Z' }, 'query.from'],
    [{ from: '2024-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }, 'query.from'],
    [{ from: 'yesterday' }, 'query.from'],
  ])('answers 422 for the range %j', async (query, field) => {
    const res = await owner.client.GET('/v1/analytics', { params: { query: query } });
    expect(res.response.status).toBe(422);
    expect((res.error as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([field]);
  });

  it('needs the analytics:read scope on an API key', async () => {
    const { data: narrow } = await owner.client.POST('/v1/api-keys', {
      body: { name: 'tickets only', scopes: ['tickets:read'] },
    });
    const { data: wide } = await owner.client.POST('/v1/api-keys', {
      body: { name: 'analytics', scopes: ['analytics:read'] },
    });
    expect((await api().client(narrow!.key).GET('/v1/analytics')).response.status).toBe(403);
    expect((await api().client(wide!.key).GET('/v1/analytics')).response.status).toBe(200);
    expect((await api().client(wide!.key).GET('/v1/tickets')).response.status).toBe(403);
    expect((await api().client(narrow!.key).GET('/v1/tickets')).response.status).toBe(200);
  });
});
