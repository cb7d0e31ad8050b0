import { Organization, UsageEvent } from '../../src/db/models';
import { PASSWORD, signUp, type Account } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { consoleAgent } from '../helpers/console';
import { useTestDatabase } from '../helpers/db';
import { VisitorSocket } from '../helpers/widget';

/**
 * Anonymous visitors and a tenant's quota (issue #17, finding 4): a loop that made a new visitor per
 * message spent a Free tenant's 100 messages in seconds. New sessions are limited per IP address and
 * per widget key, visitor messages by the organization's hourly budget; each refusal is a usage event
 * naming its limit, and admins see the budget's refusals in the console.
 */

const db = useTestDatabase();
const api = useTestApi(db, {
  configure: (config) => ({
    ...config,
    widget: { ...config.widget, sessionsPerIpPerMinute: 3, sessionsPerKeyPerMinute: 5 },
  }),
});
const SITE = 'https://www.shop.example';

async function keyOf(account: Account): Promise<string> {
  return (await Organization.query().findById(account.session.organization.id))!.widgetKey;
}

function session(key: string, ip: string, body: Record<string, unknown> = {}) {
  return fetch(`${api().baseUrl}/widget/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: SITE, 'x-forwarded-for': ip },
    body: JSON.stringify({ key, ...body }),
  });
}

const refusals = (organizationId: string) =>
  UsageEvent.query()
    .forOrganization(organizationId)
    .where('metric', 'like', 'refused.%')
    .orderBy('id')
    .then((rows) => rows.map((e) => ({ metric: e.metric, subject: e.subjectId, quantity: e.quantity })));

describe('anonymous visitors', () => {
  it('new widget sessions are limited per IP address and per widget key, resumes are not', async () => {
    const owner = await signUp(api());
    const key = await keyOf(owner);
    const first = (await (await session(key, '10.1.0.1')).json()) as { token: string };
    for (let i = 0; i < 2; i++) expect((await session(key, '10.1.0.1')).status).toBe(200);
    const refused = await session(key, '10.1.0.1');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({
      type: `${api().baseUrl}/problems/rate-limited`,
      status: 429,
    });
    // A returning visitor resumes their conversation whatever the count.
    expect((await session(key, '10.1.0.1', { token: first.token })).status).toBe(200);
    // Other addresses share the widget key's limit (5).
    for (let i = 0; i < 2; i++) expect((await session(key, '10.1.0.2')).status).toBe(200);
    expect((await session(key, '10.1.0.3')).status).toBe(429);
    // Another tenant is not affected.
    expect((await session(await keyOf(await signUp(api())), '10.1.0.4')).status).toBe(200);

    const minute = (limit: string): unknown =>
      expect.stringMatching(new RegExp(`^${limit}:\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d$`));
    expect(await refusals(owner.session.organization.id)).toEqual([
      { metric: 'refused.sessions', subject: minute('widget_sessions_per_ip'), quantity: 1 },
      { metric: 'refused.sessions', subject: minute('widget_sessions_per_key'), quantity: 1 },
    ]);
  });

  it('visitor messages stop at the organization hourly budget, and admins are told', async () => {
    const owner = await signUp(api());
    const organizationId = owner.session.organization.id;
    const key = await keyOf(owner);
    expect((await owner.client.GET('/v1/organization/settings')).data!.anonymousMessagesPerHour).toBe(300);
    const patched = await owner.client.PATCH('/v1/organization/settings', {
      body: { anonymousMessagesPerHour: 2 },
    });
    expect(patched.data!.anonymousMessagesPerHour).toBe(2);
    expect(
      (await owner.client.PATCH('/v1/organization/settings', { body: { anonymousMessagesPerHour: 0 } }))
        .response.status,
    ).toBe(422);

    // A new visitor per message, as the probe's loop did.
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const { token } = (await (await session(key, `10.2.0.${i}`)).json()) as { token: string };
      const socket = await VisitorSocket.connect(api().baseUrl, key, SITE);
      socket.send({ type: 'hello', token });
      await socket.next('welcome');
      socket.send({ type: 'message', clientMessageId: `m${i}`, content: 'How do refunds work?' });
      answers.push(
        await Promise.race([socket.next('ack').then(() => 'ack'), socket.next('error').then((e) => e.code)]),
      );
      socket.close();
    }
    expect(answers).toEqual(['ack', 'ack', 'rate_limited', 'rate_limited']);
    expect(await refusals(organizationId)).toEqual([
      {
        metric: 'refused.messages',
        subject: expect.stringMatching(/^anonymous_messages_per_hour:\d{4}-\d\d-\d\dT\d\d$/) as string,
        quantity: 2,
      },
    ]);
    // The usage export carries the refusals too.
    const events = await owner.client.GET('/v1/usage/events', { params: { query: {} } });
    expect(events.data!.items.map((e) => e.metric)).toContain('refused.messages');

    const agent = consoleAgent(api());
    await agent.signIn(owner.email, PASSWORD);
    for (const page of ['/console/overview', '/console/settings']) {
      const { body } = await agent.page(page);
      expect(body).toContain('id="budget-notice"');
      expect(body).toMatch(/budget of 2 messages an hour/);
      expect(body).toMatch(/2 messages were refused/);
    }
    // The budget is a setting of the console's form too.
    const saved = await agent.post('/console/settings', {
      ...Object.fromEntries(
        [...(await agent.page('/console/settings')).body.matchAll(/name="([^"]+)"[^>]*value="([^"]*)"/g)].map(
          (m) => [m[1]!, m[2]!],
        ),
      ),
      anonymousMessagesPerHour: '500',
    });
    expect(saved.status).toBe(303);
    expect((await owner.client.GET('/v1/organization/settings')).data!.anonymousMessagesPerHour).toBe(500);
  });
});
