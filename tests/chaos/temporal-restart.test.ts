import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { useTestDatabase } from '../helpers/db';
import { waitForExit } from '../helpers/worker-process';
import {
  apiServices,
  ask,
  DATA,
  expectExactlyOnce,
  explainTurns,
  prepareTenant,
  report,
  root,
  sleep,
  spawnLogged,
  waitAnswered,
  Workers,
  type Tenant,
} from './harness';

/**
 * A Temporal dev server of this test's own (its own port and SQLite file, never the shared one on
 * 7233) is stopped in the middle of chat turns, visitors keep writing while it is down, and it starts
 * again on the same file.
 */
const PORT = 27_000 + Math.floor(Math.random() * 1_000);
const ADDRESS = `127.0.0.1:${PORT}`;
const DB_FILE = path.join(DATA, `chaos-temporal-${PORT}.db`);
const LOG = path.join(DATA, `chaos-temporal-${PORT}.log`);

function startServer(firstStart: boolean): ChildProcess {
  const attributes = firstStart
    ? ['--search-attribute', 'OrganizationId=Keyword', '--search-attribute', 'TicketId=Keyword']
    : [];
  return spawnLogged(
    path.join(root, '.tools', 'bin', 'temporal'),
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(PORT),
      '--headless',
      '--db-filename',
      DB_FILE,
      '--namespace',
      'default',
      '--log-level',
      'error',
      ...attributes,
    ],
    LOG,
  );
}

async function waitForServer(): Promise<Connection> {
  for (let i = 0; ; i++) {
    try {
      return await Connection.connect({ address: ADDRESS, connectTimeout: '1s' });
    } catch (error) {
      if (i > 240) throw error;
      await sleep(250);
    }
  }
}

const db = useTestDatabase();

describe('chaos: the Temporal server restarted in the middle of chat turns', () => {
  const taskQueue = `chaos-temporal-${randomUUID()}`;
  const workers = new Workers(taskQueue, { TEMPORAL_ADDRESS: ADDRESS });
  let server: ChildProcess;
  let tenant: Tenant;
  let connection: Connection;

  beforeAll(async () => {
    fs.mkdirSync(DATA, { recursive: true });
    server = startServer(true);
    connection = await waitForServer();
    workers.start();
    tenant = await prepareTenant(db(), apiServices(db(), taskQueue, ADDRESS));
  }, 300_000);

  afterAll(async () => {
    await workers.stopAll();
    await tenant?.temporal.close();
    await connection?.close();
    server?.kill('SIGKILL');
    if (server) await waitForExit(server);
    for (const file of fs.readdirSync(DATA).filter((f) => f.startsWith(`chaos-temporal-${PORT}.db`))) {
      fs.rmSync(path.join(DATA, file), { force: true });
    }
  });

  it('answers every turn exactly once, including those sent while the server was down', async () => {
    const before = await ask(tenant, 8, 'temporal-before');
    await waitAnswered(db(), tenant.organizationId, before, 120_000, (n) => n >= 1);
    const stoppedAt = Date.now();
    server.kill('SIGKILL');
    await waitForExit(server);
    // Visitors keep writing: their clients retry with the same idempotency key until it works.
    const during = ask(tenant, 4, 'temporal-down');
    await sleep(3_000);
    server = startServer(false);
    const restartedAt = Date.now();
    await connection.close();
    connection = await waitForServer();
    const messageIds = [...before, ...(await during)];
    const allDone = await waitAnswered(db(), tenant.organizationId, messageIds, 240_000, undefined, () =>
      explainTurns(db(), new Client({ connection }), tenant.organizationId, messageIds, workers),
    );
    report('Temporal server restart mid-turn', {
      serverDown: restartedAt - stoppedAt,
      allAnsweredAfterRestart: allDone - restartedAt,
    });
    await expectExactlyOnce(db(), new Client({ connection }), tenant.organizationId, messageIds);
  }, 400_000);
});
