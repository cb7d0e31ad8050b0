import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { WebhookDelivery } from '../../src/db/models';
import { signUp } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { useTestDatabase } from '../helpers/db';
import { startDispatcher, verify, WebhookReceiver } from '../helpers/webhook-receiver';
import { report, sleep, Workers } from './harness';

/**
 * The worker killed with SIGKILL while a webhook request is in flight (the receiver holds it): the
 * attempt's heartbeats stop, Temporal gives the attempt to a new worker, and it sends the same event
 * again, with the same webhook-id, so the receiver can tell it is a repeat. The delivery succeeds
 * once, and its log holds the one attempt that got an answer.
 */

const db = useTestDatabase();
const taskQueue = `chaos-webhook-deliveries-${randomUUID()}`;
const api = useTestApi(db, { taskQueue: () => taskQueue });

describe('chaos: worker killed mid-delivery of a webhook', () => {
  const workers = new Workers(taskQueue, { WEBHOOK_RETRY_INITIAL_MS: '500' });
  const receiver = new WebhookReceiver();
  let connection: Connection;
  let stopDispatcher: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    workers.start();
    connection = await Connection.connect({ address: loadConfig().temporal.address });
  });
  afterAll(async () => {
    await stopDispatcher?.();
    await workers.stopAll();
    await receiver.kill();
    await connection?.close();
  });

  it('delivers the event once the next worker takes the attempt over, with the same webhook-id', async () => {
    const owner = await signUp(api());
    const organizationId = owner.session.organization.id;
    let held = 0;
    let killedAt = 0;
    receiver.answer = (_request, res) => {
      if (held++ > 0) {
        res.writeHead(200).end('ok');
        return;
      }
      // The first request stays unanswered while its worker dies.
      killedAt = Date.now();
      void workers.kill(workers.alive[0]!).then(() => workers.start());
    };
    const url = await receiver.start();
    const { data: endpoint } = await owner.client.POST('/v1/webhook-endpoints', {
      body: { url, eventTypes: ['conversation.created'] },
    });
    const client = new Client({ connection, namespace: loadConfig().temporal.namespace });
    stopDispatcher = await startDispatcher(client, taskQueue, organizationId);
    const { data: conversation } = await owner.client.POST('/v1/conversations', { body: {} });

    const deadline = Date.now() + 180_000;
    let delivery: WebhookDelivery | undefined;
    for (;;) {
      delivery = await WebhookDelivery.query(db()).forOrganization(organizationId).first();
      if (delivery?.status === 'succeeded') break;
      if (Date.now() > deadline) throw new Error(`delivery not done: ${JSON.stringify(delivery)}`);
      await sleep(200);
    }
    report('webhook delivery after worker kill', { recovery: Date.now() - killedAt });

    expect(receiver.received.length).toBeGreaterThanOrEqual(2);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(
      new Set([delivery.messageId]),
    );
    for (const request of receiver.received) {
      expect(verify(endpoint!.secret, request)).toMatchObject({
        type: 'conversation.created',
        data: { conversationId: conversation!.id },
      });
    }
    const { data: detail } = await owner.client.GET('/v1/webhook-endpoints/{id}/deliveries/{deliveryId}', {
      params: { path: { id: endpoint!.id, deliveryId: delivery.id } },
    });
    expect(detail!.attemptLog.map((a) => a.responseStatus)).toEqual([200]);
  }, 300_000);
});
