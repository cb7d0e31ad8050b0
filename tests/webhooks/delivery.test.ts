import { randomUUID } from 'node:crypto';
import { Mailbox } from '../helpers/mailbox';
import { useTestApi } from '../helpers/api';
import { PASSWORD, signUp, type Account } from '../helpers/accounts';
import { consoleAgent } from '../helpers/console';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';
import { startDispatcher, verify, WebhookReceiver } from '../helpers/webhook-receiver';
import type { components } from '../../src/client/schema';

/**
 * Outbound webhooks end to end: the real API records events, a real worker delivers them to a real
 * HTTP receiver, which checks every signature with standardwebhooks' own Webhook.verify.
 */

type Delivery = components['schemas']['WebhookDeliveryDetail'];

const mailbox = new Mailbox();
let smtpPort = 0;
beforeAll(async () => {
  smtpPort = await mailbox.start();
});
afterAll(() => mailbox.stop());

const db = useTestDatabase();
const worker = useTestWorker(db, {
  configure: (config) => ({
    ...config,
    smtp: { ...config.smtp, host: '127.0.0.1', port: smtpPort },
    webhooks: {
      timeoutMs: 2_000,
      retryInitialMs: 300,
      retryWindowMs: 20_000,
      disableAfterFailures: 3,
      disableAfterMs: 0,
    },
  }),
});
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });

const receivers: WebhookReceiver[] = [];
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await Promise.all(receivers.map((r) => r.kill()));
});

/** An organization with a dispatcher, a receiver, and an endpoint on it for `eventTypes`. */
async function setUp(eventTypes: components['schemas']['WebhookEventType'][] = ['conversation.created']) {
  const owner = await signUp(api());
  const receiver = new WebhookReceiver();
  receivers.push(receiver);
  const url = await receiver.start();
  const { data: endpoint, response } = await owner.client.POST('/v1/webhook-endpoints', {
    body: { url, eventTypes },
  });
  expect(response.status).toBe(201);
  stops.push(await startDispatcher(worker().client, worker().taskQueue, owner.session.organization.id));
  return { owner, receiver, endpoint: endpoint! };
}

async function newConversation(owner: Account): Promise<string> {
  const { data } = await owner.client.POST('/v1/conversations', { body: { visitorName: 'Ada' } });
  return data!.id;
}

/** The endpoint's only delivery once it reached `status`. */
async function settled(
  owner: Account,
  endpointId: string,
  status: string,
  timeoutMs = 30_000,
): Promise<Delivery> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { data: page } = await owner.client.GET('/v1/webhook-endpoints/{id}/deliveries', {
      params: { path: { id: endpointId } },
    });
    const first = page!.items.find((d) => d.status === status);
    if (first) {
      const { data } = await owner.client.GET('/v1/webhook-endpoints/{id}/deliveries/{deliveryId}', {
        params: { path: { id: endpointId, deliveryId: first.id } },
      });
      return data!;
    }
    if (Date.now() > deadline) throw new Error(`no ${status} delivery: ${JSON.stringify(page!.items)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('outbound webhooks', () => {
  it('delivers a signed event that standardwebhooks verifies, with the secret shown once', async () => {
    const { owner, receiver, endpoint } = await setUp(['conversation.created', 'message.created']);
    expect(endpoint.secret).toMatch(/^whsec_/);
    const read = await owner.client.GET('/v1/webhook-endpoints/{id}', {
      params: { path: { id: endpoint.id } },
    });
    expect(read.data).not.toHaveProperty('secret');

    const conversationId = await newConversation(owner);
    const request = await receiver.waitFor((r) => r.type === 'conversation.created');
    const event = verify(endpoint.secret, request);
    expect(event).toMatchObject({
      type: 'conversation.created',
      data: { conversationId, visitorName: 'Ada' },
    });
    // Another secret does not verify it.
    const other = await owner.client.POST('/v1/webhook-endpoints/{id}/rotate-secret', {
      params: { path: { id: endpoint.id } },
    });
    expect(other.data!.secret).not.toBe(endpoint.secret);
    expect(() => verify(other.data!.secret, request)).toThrow();

    // A visitor message over REST is announced too, signed with the new secret.
    await owner.client.POST('/v1/conversations/{id}/messages', {
      params: { path: { id: conversationId } },
      body: { content: 'Hello there' },
    });
    const message = await receiver.waitFor((r) => r.type === 'message.created');
    expect(verify(other.data!.secret, message)).toMatchObject({
      data: { conversationId, role: 'visitor', content: 'Hello there' },
    });

    const delivery = await settled(owner, endpoint.id, 'succeeded');
    expect(delivery.attemptLog).toHaveLength(1);
    expect(delivery.attemptLog[0]).toMatchObject({ responseStatus: 204, url: endpoint.url });
    expect(delivery.attemptLog[0]!.requestHeaders['webhook-id']).toBe(delivery.eventId);
  });

  it('retries a receiver that fails, with the same webhook-id, until it recovers', async () => {
    const { owner, receiver, endpoint } = await setUp();
    let calls = 0;
    receiver.answer = (_request, res) => {
      calls++;
      if (calls <= 2) res.writeHead(500, { 'content-type': 'text/plain' }).end('database is down');
      else res.writeHead(200).end('ok');
    };
    await newConversation(owner);
    const delivery = await settled(owner, endpoint.id, 'succeeded');
    expect(delivery.attemptLog.map((a) => a.responseStatus)).toEqual([500, 500, 200]);
    expect(delivery.attemptLog[0]!.responseBody).toBe('database is down');
    const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect(ids).toEqual(new Set([delivery.eventId]));
    for (const request of receiver.received) expect(() => verify(endpoint.secret, request)).not.toThrow();
    // Waits grow: the second retry came at least twice the first's delay after its attempt.
    const [first, second, third] = delivery.attemptLog.map((a) => new Date(a.createdAt).getTime());
    expect(third! - second!).toBeGreaterThanOrEqual(2 * 300);
    expect(second! - first!).toBeGreaterThanOrEqual(300);
    const { data: view } = await owner.client.GET('/v1/webhook-endpoints/{id}', {
      params: { path: { id: endpoint.id } },
    });
    expect(view!.consecutiveFailures).toBe(0);
  });

  it('delivers again after the receiver dies mid-delivery and comes back', async () => {
    const { owner, receiver, endpoint } = await setUp();
    let died = false;
    receiver.answer = () => {
      // The first request is never answered: the receiver process dies holding it.
      if (died) return;
      died = true;
      void receiver.kill().then(() =>
        receiver.start(receiver.port).then(() => {
          receiver.answer = (_r, res) => res.writeHead(202).end();
        }),
      );
    };
    await newConversation(owner);
    const delivery = await settled(owner, endpoint.id, 'succeeded');
    expect(delivery.attemptLog[0]).toMatchObject({ responseStatus: null });
    expect(delivery.attemptLog[0]!.error).toBeTruthy();
    expect(delivery.attemptLog.at(-1)).toMatchObject({ responseStatus: 202 });
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(
      new Set([delivery.eventId]),
    );
  });

  it('disables an endpoint after a run of failures and emails the admins; replay works once enabled', async () => {
    const { owner, receiver, endpoint } = await setUp();
    receiver.answer = (_request, res) => res.writeHead(503).end('maintenance');
    await newConversation(owner);
    const failed = await settled(owner, endpoint.id, 'failed');
    expect(failed.attemptLog.map((a) => a.responseStatus)).toEqual([503, 503, 503]);
    const { data: view } = await owner.client.GET('/v1/webhook-endpoints/{id}', {
      params: { path: { id: endpoint.id } },
    });
    expect(view).toMatchObject({ enabled: false, consecutiveFailures: 3 });
    expect(view!.disabledReason).toMatch(/3 failed attempts in a row .*HTTP 503/);
    const email = await mailbox.waitFor(owner.email, /webhook endpoint was disabled/);
    expect(email.text).toContain(endpoint.url);

    // A disabled endpoint gets no new events, and a replay is refused until it is enabled.
    await newConversation(owner);
    const replayPath = { path: { id: endpoint.id, deliveryId: failed.id } };
    const refused = await owner.client.POST('/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/replay', {
      params: replayPath,
    });
    expect(refused.response.status).toBe(409);
    receiver.answer = (_request, res) => res.writeHead(200).end();
    const enabled = await owner.client.PATCH('/v1/webhook-endpoints/{id}', {
      params: { path: { id: endpoint.id } },
      body: { enabled: true },
    });
    expect(enabled.data).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledReason: null });
    const replay = await owner.client.POST('/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/replay', {
      params: replayPath,
    });
    expect(replay.response.status).toBe(202);
    expect(replay.data).toMatchObject({ replayOf: failed.id, eventId: failed.eventId, status: 'pending' });
    const replayed = await settled(owner, endpoint.id, 'succeeded');
    expect(replayed.id).toBe(replay.data!.id);
    expect(receiver.received.at(-1)!.headers['webhook-id']).toBe(failed.eventId);
    const { data: all } = await owner.client.GET('/v1/webhook-endpoints/{id}/deliveries', {
      params: { path: { id: endpoint.id } },
    });
    // The original and its replay: the conversation created while disabled was never queued.
    expect(all!.items).toHaveLength(2);
  });

  it('refuses to connect to a private address the allowlist does not name', async () => {
    const owner = await signUp(api());
    stops.push(await startDispatcher(worker().client, worker().taskQueue, owner.session.organization.id));
    // Tests allow 127.0.0.1 (FETCH_ALLOWED_HOSTS); 127.0.0.2 is loopback too, and not allowed.
    const { data: endpoint } = await owner.client.POST('/v1/webhook-endpoints', {
      body: { url: 'http://127.0.0.2:9/hooks', eventTypes: ['conversation.created'] },
    });
    await newConversation(owner);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { data: page } = await owner.client.GET('/v1/webhook-endpoints/{id}/deliveries', {
        params: { path: { id: endpoint!.id } },
      });
      const delivery = page!.items[0];
      if (delivery && delivery.attempts > 0) {
        const { data } = await owner.client.GET('/v1/webhook-endpoints/{id}/deliveries/{deliveryId}', {
          params: { path: { id: endpoint!.id, deliveryId: delivery.id } },
        });
        expect(data!.attemptLog[0]).toMatchObject({ responseStatus: null });
        expect(data!.attemptLog[0]!.error).toMatch(/private network/);
        break;
      }
      if (Date.now() > deadline) throw new Error('no attempt');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it('answers 422 problems for a URL that is not http(s) or an unknown event type', async () => {
    const owner = await signUp(api());
    const ftp = await owner.client.POST('/v1/webhook-endpoints', {
      body: { url: 'ftp://example.com/hooks', eventTypes: ['conversation.created'] },
    });
    expect(ftp.response.status).toBe(422);
    expect(ftp.response.headers.get('content-type')).toContain('application/problem+json');
    const unknown = await owner.client.POST('/v1/webhook-endpoints', {
      body: { url: 'https://example.com/hooks', eventTypes: ['conversation.deleted' as never] },
    });
    expect(unknown.response.status).toBe(422);
  });

  it("keeps one organization out of another's endpoints and deliveries", async () => {
    const { owner, endpoint } = await setUp();
    await newConversation(owner);
    const delivery = await settled(owner, endpoint.id, 'succeeded');
    const intruder = await signUp(api());
    const key = await intruder.client.POST('/v1/api-keys', { body: { name: `k-${randomUUID()}` } });
    for (const client of [intruder.client, api().client(key.data!.key)]) {
      const id = { path: { id: endpoint.id } };
      const both = { path: { id: endpoint.id, deliveryId: delivery.id } };
      const statuses = [
        (await client.GET('/v1/webhook-endpoints/{id}', { params: id })).response.status,
        (await client.PATCH('/v1/webhook-endpoints/{id}', { params: id, body: { enabled: false } })).response
          .status,
        (await client.POST('/v1/webhook-endpoints/{id}/rotate-secret', { params: id })).response.status,
        (await client.GET('/v1/webhook-endpoints/{id}/deliveries', { params: id })).response.status,
        (await client.GET('/v1/webhook-endpoints/{id}/deliveries/{deliveryId}', { params: both })).response
          .status,
        (await client.POST('/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/replay', { params: both }))
          .response.status,
        (await client.DELETE('/v1/webhook-endpoints/{id}', { params: id })).response.status,
      ];
      expect(statuses).toEqual([404, 404, 404, 404, 404, 404, 404]);
      const { data: list } = await client.GET('/v1/webhook-endpoints');
      expect(list!.items).toEqual([]);
    }
    const { data: still } = await owner.client.GET('/v1/webhook-endpoints/{id}', {
      params: { path: { id: endpoint.id } },
    });
    expect(still).toMatchObject({ enabled: true });
    const { data: deliveries } = await owner.client.GET('/v1/webhook-endpoints/{id}/deliveries', {
      params: { path: { id: endpoint.id } },
    });
    expect(deliveries!.items).toHaveLength(1);
  });

  it('lets an admin add an endpoint in the console, see the secret once, read the log and replay', async () => {
    const owner = await signUp(api());
    stops.push(await startDispatcher(worker().client, worker().taskQueue, owner.session.organization.id));
    const receiver = new WebhookReceiver();
    receivers.push(receiver);
    const url = await receiver.start();
    const agent = consoleAgent(api());
    await agent.signIn(owner.email, PASSWORD);
    expect((await agent.page('/console/webhooks')).body).toContain('No endpoints yet.');

    const invalid = await agent.post('/console/webhooks', {
      url: 'ftp://example.com',
      eventTypes: 'ticket.created',
    });
    expect(invalid.status).toBe(422);
    const created = await agent.post('/console/webhooks', { url, eventTypes: 'conversation.created' });
    expect(created.status).toBe(201);
    const secret = /<code id="webhook-secret">(whsec_[^<]+)<\/code>/.exec(created.body)![1]!;
    const list = await agent.page('/console/webhooks');
    expect(list.body).not.toContain(secret);
    const endpointId = /\/console\/webhooks\/([0-9a-f-]{36})"/.exec(list.body)![1]!;

    await newConversation(owner);
    const request = await receiver.waitFor((r) => r.type === 'conversation.created');
    expect(() => verify(secret, request)).not.toThrow();
    const delivery = await settled(owner, endpointId, 'succeeded');
    const page = await agent.page(`/console/webhooks/${endpointId}`);
    expect(page.body).toContain(`/console/webhooks/${endpointId}/deliveries/${delivery.id}`);
    const detail = await agent.page(`/console/webhooks/${endpointId}/deliveries/${delivery.id}`);
    expect(detail.body).toContain('Attempt 1: 204');
    expect(detail.body).toContain(delivery.eventId);

    const replay = await agent.post(`/console/webhooks/${endpointId}/deliveries/${delivery.id}/replay`, {});
    expect(replay).toMatchObject({ status: 303, location: `/console/webhooks/${endpointId}` });
    await receiver.waitFor((r) => r !== request && r.headers['webhook-id'] === delivery.eventId);

    // Another organization's admin gets a 404 page for it.
    const intruder = await signUp(api());
    const other = consoleAgent(api());
    await other.signIn(intruder.email, PASSWORD);
    expect((await other.page(`/console/webhooks/${endpointId}`)).status).toBe(404);
    expect((await other.post(`/console/webhooks/${endpointId}/delete`, {})).status).toBe(404);
  });

  it('announces an escalation and its ticket from the ticket workflow', async () => {
    const { owner, receiver, endpoint } = await setUp([
      'conversation.escalated',
      'ticket.created',
      'ticket.assigned',
    ]);
    const conversationId = await newConversation(owner);
    const taken = await owner.client.POST('/v1/conversations/{id}/take-over', {
      params: { path: { id: conversationId } },
    });
    expect(taken.response.status).toBeLessThan(300);
    for (const type of ['conversation.escalated', 'ticket.created', 'ticket.assigned']) {
      const event = verify(endpoint.secret, await receiver.waitFor((r) => r.type === type));
      expect(event.data).toMatchObject({ conversationId, ticketId: taken.data!.id });
    }
  });
});
