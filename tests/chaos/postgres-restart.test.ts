import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Knex } from 'knex';
import { loadConfig } from '../../src/config';
import { bindModels } from '../../src/db/bind';
import { createKnex } from '../../src/db/knex';
import {
  apiServices,
  ask,
  expectExactlyOnce,
  prepareTenant,
  explainTurns,
  replyCounts,
  report,
  sleep,
  waitAnswered,
  Workers,
  type Tenant,
} from './harness';

/**
 * A PostgreSQL cluster of this test's own (initdb/pg_ctl on a port of its own, never the shared
 * server) is stopped the hard way in the middle of chat turns and started again.
 */
const BIN = `/usr/lib/postgresql/${fs.readdirSync('/usr/lib/postgresql').sort().pop()}/bin`;
const PORT = 56_000 + Math.floor(Math.random() * 1_000);
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-chaos-pg-'));
const URL = `postgres://postgres@127.0.0.1:${PORT}/parley`;

/** PostgreSQL refuses to run as root: run its tools as the postgres user when we are root. */
function pg(tool: string, args: string[]): void {
  const command = path.join(BIN, tool);
  if (process.getuid?.() === 0)
    execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' });
  else execFileSync(command, args, { stdio: 'pipe' });
}
const start = () =>
  pg('pg_ctl', [
    '-D',
    DIR,
    '-l',
    path.join(DIR, 'server.log'),
    '-w',
    '-o',
    `-p ${PORT} -k ${DIR} -c listen_addresses=127.0.0.1 -c fsync=off`,
    'start',
  ]);
const stop = (mode: 'fast' | 'immediate') => pg('pg_ctl', ['-D', DIR, '-m', mode, '-w', 'stop']);

describe('chaos: PostgreSQL restarted in the middle of chat turns', () => {
  const taskQueue = `chaos-pg-${randomUUID()}`;
  const workers = new Workers(taskQueue, { DATABASE_URL: URL });
  let knex: Knex;
  let tenant: Tenant;
  let connection: Connection;

  beforeAll(async () => {
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', DIR]);
    pg('initdb', ['-D', DIR, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    start();
    const admin = createKnex({ url: URL.replace(/\/parley$/, '/postgres'), poolMax: 1 });
    await admin.raw('CREATE DATABASE parley');
    await admin.destroy();
    knex = createKnex({ url: URL, poolMax: 5 });
    await knex.migrate.latest();
    bindModels(knex);
    workers.start();
    tenant = await prepareTenant(knex, apiServices(knex, taskQueue));
    connection = await Connection.connect({ address: loadConfig().temporal.address });
  }, 300_000);

  afterAll(async () => {
    await workers.stopAll();
    await tenant?.temporal.close();
    await connection?.close();
    await knex?.destroy();
    try {
      stop('immediate');
    } catch {
      // already stopped by a failed test
    }
    fs.rmSync(DIR, { recursive: true, force: true });
  });

  it('answers every turn exactly once after the database comes back', async () => {
    // The database goes down as soon as the messages are stored: their turns are queued or running.
    const messageIds = await ask(tenant, 10, 'pg');
    const stoppedAt = Date.now();
    stop('immediate'); // as a crash would: no checkpoint, connections cut
    await sleep(3_000);
    start();
    const restartedAt = Date.now();
    const answeredAtStop = (await replyCounts(knex, tenant.organizationId, messageIds)).filter(
      (n) => n > 0,
    ).length;
    const allDone = await waitAnswered(knex, tenant.organizationId, messageIds, 240_000, undefined, () =>
      explainTurns(knex, new Client({ connection }), tenant.organizationId, messageIds, workers),
    );
    report('PostgreSQL restart mid-turn', {
      databaseDown: restartedAt - stoppedAt,
      allAnsweredAfterRestart: allDone - restartedAt,
    });
    expect(answeredAtStop).toBeLessThan(messageIds.length);
    await expectExactlyOnce(knex, new Client({ connection }), tenant.organizationId, messageIds);
  }, 400_000);
});
