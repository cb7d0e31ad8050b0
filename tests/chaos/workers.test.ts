import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { useTestDatabase } from '../helpers/db';
import {
  apiServices,
  ask,
  expectExactlyOnce,
  explainTurns,
  prepareTenant,
  replyCounts,
  report,
  sleep,
  waitAnswered,
  Workers,
  type Tenant,
} from './harness';

const db = useTestDatabase();

describe('chaos: worker processes killed while chat turns run', () => {
  const taskQueue = `chaos-workers-${randomUUID()}`;
  const workers = new Workers(taskQueue);
  let tenant: Tenant;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    workers.start();
    tenant = await prepareTenant(db(), apiServices(db(), taskQueue));
    connection = await Connection.connect({ address: loadConfig().temporal.address });
    client = new Client({ connection });
  }, 240_000);

  afterAll(async () => {
    await workers.stopAll();
    await tenant?.temporal.close();
    await connection?.close();
  });

  it('answers every turn exactly once after a SIGKILL in the middle of turns', async () => {
    const first = await ask(tenant, 12, 'kill');
    // Once the worker answers, a second wave arrives and the worker dies under it: however fast the
    // first wave went, the second is queued or half done at the kill.
    await waitAnswered(db(), tenant.organizationId, first, 120_000, (n) => n >= 1);
    const messageIds = [...first, ...(await ask(tenant, 12, 'kill-second'))];
    const killedAt = Date.now();
    await workers.kill(workers.alive[0]!);
    const answeredAtKill = (await replyCounts(db(), tenant.organizationId, messageIds)).filter(
      (n) => n,
    ).length;

    workers.start();
    const explain = () => explainTurns(db(), client, tenant.organizationId, messageIds, workers);
    const firstAfter = await waitAnswered(
      db(),
      tenant.organizationId,
      messageIds,
      180_000,
      (n) => n > answeredAtKill || n === messageIds.length,
    );
    const allDone = await waitAnswered(db(), tenant.organizationId, messageIds, 180_000, undefined, explain);
    report('worker SIGKILL mid-turn', {
      firstReplyAfterKill: firstAfter - killedAt,
      allAnsweredAfterKill: allDone - killedAt,
    });
    expect(answeredAtKill).toBeLessThan(messageIds.length);
    await expectExactlyOnce(db(), client, tenant.organizationId, messageIds);
  }, 400_000);

  it('answers every turn exactly once while workers are killed and restarted again and again', async () => {
    // Two workers share the queue; every few seconds one of them dies and a new one takes its place.
    workers.start();
    const messageIds: string[] = [];
    const posting = (async () => {
      for (let round = 0; round < 6; round++) {
        messageIds.push(...(await ask(tenant, 4, `restart-${round}`)));
        await sleep(1_000);
      }
    })();
    const started = Date.now();
    for (let kill = 0; kill < 3; kill++) {
      await sleep(4_000);
      const victim = workers.alive[kill % workers.alive.length]!;
      await workers.kill(victim);
      workers.start();
    }
    await posting;
    const allDone = await waitAnswered(db(), tenant.organizationId, messageIds, 240_000, undefined, () =>
      explainTurns(db(), client, tenant.organizationId, messageIds, workers),
    );
    report('3 worker restarts during 24 turns', { allAnsweredAfterStart: allDone - started });
    await expectExactlyOnce(db(), client, tenant.organizationId, messageIds);
  }, 500_000);
});
