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
import { Mailbox } from './mailbox';

export interface TestApi {
  baseUrl: string;
  config: Config;
  temporal: TemporalGateway;
  services: ApiServices;
  /** Every email the app sent, received by a real local SMTP server. */
  mailbox: Mailbox;
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

/** The real app on an ephemeral port, with real PostgreSQL, Temporal and SMTP connections. */
export function useTestApi(getKnex: () => Knex, overrides: TestApiOverrides = {}): () => TestApi {
  let server: Server | undefined;
  let http: HttpServer | undefined;
  let api: TestApi | undefined;
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
      },
      smtp: { ...base.smtp, host: '127.0.0.1', port: smtpPort },
      // Every test signs in from 127.0.0.1; rate-limit tests lower this again through `configure`.
      rateLimits: { ...base.rateLimits, authPerMinute: 100_000 },
      // Likewise every widget session; tests/security/anonymous-quota.test.ts lowers these.
      widget: { ...base.widget, sessionsPerIpPerMinute: 100_000, sessionsPerKeyPerMinute: 100_000 },
    });
    const logger = overrides.logger ?? createLogger({ level: config.logLevel, name: 'parley-api-test' });
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
    api = {
      baseUrl,
      config,
      temporal,
      services,
      mailbox,
      client: (token) => createParleyClient(baseUrl, token),
    };
  });

  afterAll(async () => {
    api?.services.mailer.close();
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
