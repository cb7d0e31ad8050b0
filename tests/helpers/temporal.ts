import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import type { Knex } from 'knex';
import { loadConfig, type Config } from '../../src/config';
import { beforeDatabaseCloses } from './db';
import { createLogger } from '../../src/lib/logger';
import { projectRoot } from '../../src/lib/paths';
import { createWorker } from '../../src/worker/create-worker';
import { createActivityDependencies } from '../../src/worker/dependencies';
import type { ActivityDependencies } from '../../src/activities';
import type { Tracing } from '../../src/observability/tracing';
import { Mailbox } from './mailbox';

let runtimeInstalled = false;

/** Temporal's native runtime, once per test file, logging only errors (expected activity failures would flood the output). */
export function installTestRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

/** A real worker on a task queue of its own (so test files never steal each other's tasks). */
export interface TestWorker {
  client: Client;
  taskQueue: string;
  worker: Worker;
  dependencies: ActivityDependencies;
  /** The worker's emails (notifications of tickets) go to this real SMTP server of its own. */
  mailbox: Mailbox;
}

export function useTestWorker(
  getKnex: () => Knex,
  options: {
    tracing?: () => Pick<Tracing, 'spanProcessor' | 'resource'>;
    configure?: (config: Config) => Config;
  } = {},
): () => TestWorker {
  let state:
    | (TestWorker & { run: Promise<void>; connection: NativeConnection; clientConnection: Connection })
    | undefined;

  beforeAll(async () => {
    installTestRuntime();
    const mailbox = new Mailbox();
    const smtpPort = await mailbox.start();
    const base = loadConfig();
    const config = (options.configure ?? ((c) => c))({
      ...base,
      smtp: { ...base.smtp, host: '127.0.0.1', port: smtpPort },
    });
    const taskQueue = `test-${randomUUID()}`;
    const dependencies = await createActivityDependencies(
      config,
      getKnex(),
      createLogger({ level: 'silent', name: 'test-worker' }),
    );
    const connection = await NativeConnection.connect({ address: config.temporal.address });
    const closeMailbox = async () => {
      dependencies.mailer.close();
      await mailbox.stop();
    };
    const worker = await createWorker({
      connection,
      temporal: { ...config.temporal, taskQueue },
      dependencies,
      workflowBundlePath: config.temporal.workflowBundlePath,
      tracing: options.tracing?.(),
    }).catch(async (error: unknown) => {
      await connection.close();
      await closeMailbox();
      throw error;
    });
    const run = worker.run();
    const clientConnection = await Connection.connect({ address: config.temporal.address });
    const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
    state = { client, taskQueue, worker, dependencies, mailbox, run, connection, clientConnection };
    beforeDatabaseCloses(stop);
  });

  const stop = async () => {
    if (!state) return;
    const stopping = state;
    state = undefined;
    stopping.worker.shutdown();
    await stopping.run;
    stopping.dependencies.mailer.close();
    await stopping.mailbox.stop();
    await stopping.clientConnection.close();
    await stopping.connection.close();
  };
  afterAll(stop, 180_000);

  return () => {
    if (!state) throw new Error('useTestWorker: available inside tests only');
    return state;
  };
}

/**
 * Temporal's time-skipping test server (installed by scripts/temporal.sh into .tools): timers of days
 * (SLAs, billing grace periods) fire as soon as every workflow waits on one.
 */
export async function createTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: {
      executable: {
        type: 'existing-path',
        path: path.join(projectRoot, '.tools', 'bin', 'temporal-test-server'),
      },
    },
  });
}
