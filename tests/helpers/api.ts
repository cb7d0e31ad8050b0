import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Knex } from 'knex';
import { createHttpServer, type HttpServer } from '../../src/api/http-server';
import { createApiServices, type ApiServices } from '../../src/api/services';
import { createParleyClient, type ParleyClient } from '../../src/client';
import { loadConfig, type Config } from '../../src/config';
import { createLogger, type Logger } from '../../src/lib/logger';
import { TemporalGateway } from '../../src/temporal/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createEmailActivities, type EmailDependencies } from '../../src/activities/email';
import { createMailer } from '../../src/lib/mailer';
import { activityInterceptors, workflowSinks } from '../../src/worker/observability';
import { Mailbox } from './mailbox';
import { beforeDatabaseCloses } from './db';
import { installTestRuntime } from './temporal';

export interface TestApi {
  baseUrl: string;
  config: Config;
  temporal: TemporalGateway;
  services: ApiServices;
  /** Every email the app sent, received by a real local SMTP server. */
  mailbox: Mailbox;
  /** The task queue of the harness's email worker (the app's email workflows run there). */
  emailTaskQueue: string;
  /** The generated client, signed in with `token` when given. */
  client(token?: string): ParleyClient;
}

export interface TestApiOverrides {
  temporalAddress?: string;
  /** The task queue of a test worker that should run this API's workflows; by default a queue no worker polls. */
  taskQueue?: () => string;
  /** Adjusts the configuration, e.g. lower rate limits or shorter token lifetimes. */
  configure?: (config: Config) => Config;
  /** The app's logger (tests of what gets logged); a silent one by default. */
  logger?: Logger;
}

/**
 * The real app on an ephemeral port, with real PostgreSQL, Temporal and SMTP connections. Its emails
 * are sent by a worker of the harness's own that serves only the email workflow and its activities,
 * on a task queue of its own: the app's other workflows wait for a test worker (or for none).
 */
export function useTestApi(getKnex: () => Knex, overrides: TestApiOverrides = {}): () => TestApi {
  let server: Server | undefined;
  let http: HttpServer | undefined;
  let api: TestApi | undefined;
  let emailWorker:
    { worker: Worker; run: Promise<void>; connection: NativeConnection; close(): void } | undefined;
  const mailbox = new Mailbox();

  beforeAll(async () => {
    const base = loadConfig();
    const smtpPort = await mailbox.start();
    const config: Config = (overrides.configure ?? ((c) => c))({
      ...base,
      temporal: {
        ...base.temporal,
        address: overrides.temporalAddress ?? base.temporal.address,
        taskQueue: overrides.taskQueue?.() ?? `api-test-${randomUUID()}`,
        emailTaskQueue: `email-test-${randomUUID()}`,
      },
      smtp: { ...base.smtp, host: '127.0.0.1', port: smtpPort },
      // Every test signs in from 127.0.0.1; rate-limit tests lower this again through `configure`.
      rateLimits: { ...base.rateLimits, authPerMinute: 100_000 },
      // Likewise every widget session; tests/security/anonymous-quota.test.ts lowers these.
      widget: { ...base.widget, sessionsPerIpPerMinute: 100_000, sessionsPerKeyPerMinute: 100_000 },
    });
    const logger = overrides.logger ?? createLogger({ level: config.logLevel, name: 'parley-api-test' });
    installTestRuntime();
    const emailLinks: EmailDependencies['emailLinks'] = {
      publicUrl: config.http.publicUrl,
      auth: config.auth,
    };
    const mailer = createMailer(config.smtp, logger);
    // The harness's own worker, on the real server even when a test points the app elsewhere.
    const connection = await NativeConnection.connect({ address: base.temporal.address });
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.emailTaskQueue,
      workflowBundle: { codePath: config.temporal.workflowBundlePath },
      activities: createEmailActivities({ knex: getKnex(), mailer, emailLinks }),
      interceptors: { activity: activityInterceptors },
      sinks: workflowSinks(undefined),
    });
    emailWorker = { worker, run: worker.run(), connection, close: () => mailer.close() };
    beforeDatabaseCloses(stopEmailWorker);
    const temporal = new TemporalGateway(config.temporal, logger);
    const services = createApiServices({ config, logger, knex: getKnex(), temporal });
    http = await createHttpServer(services);
    server = http.server;
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const baseUrl = `http://127.0.0.1:${port}`;
    // The server's public address is where it listens, as in a deployment (the demo sitemap names it),
    // and Stripe sends customers back there unless a test chose another return URL.
    if (config.billing.returnUrl === `${config.http.publicUrl}/console`) {
      config.billing.returnUrl = `${baseUrl}/console`;
    }
    config.http.publicUrl = baseUrl;
    emailLinks.publicUrl = baseUrl;
    api = {
      baseUrl,
      config,
      temporal,
      services,
      mailbox,
      emailTaskQueue: config.temporal.emailTaskQueue,
      client: (token) => createParleyClient(baseUrl, token),
    };
  });

  async function stopEmailWorker(): Promise<void> {
    if (!emailWorker) return;
    const stopping = emailWorker;
    emailWorker = undefined;
    stopping.worker.shutdown();
    await stopping.run;
    stopping.close();
    await stopping.connection.close();
  }

  afterAll(async () => {
    await stopEmailWorker();
    await api?.temporal.close();
    // fetch keeps connections alive; drop them so the server (and jest) can exit at once.
    server?.closeAllConnections();
    await http?.close();
    await mailbox.stop();
  });

  return () => {
    if (!api) throw new Error('useTestApi: available inside tests only');
    return api;
  };
}
