import type { Request } from 'express';
import type { Knex } from 'knex';
import type { Config } from '../config';
import type { Logger } from '../lib/logger';
import { AccessTokens } from '../services/access-tokens';
import { ApiKeyAuthenticator } from '../services/api-keys';
import { ConversationService } from '../services/conversations';
import { DocumentService } from '../services/documents';
import { organizationPassRates, TestRunService } from '../services/test-runs';
import { TestSetService } from '../services/test-sets';
import { IdempotencyService } from '../services/idempotency';
import { OrganizationDeletionService } from '../services/organization-deletion';
import { TicketService } from '../services/tickets';
import { VisitorService } from '../services/visitors';
import { EventBus } from '../live/event-bus';
import { VisitorLimits, type LiveDeps } from '../live/visitor-connection';
import type { TemporalGateway } from '../temporal/client';
import { createHttpMetrics, registerPassRateGauge, type HttpMetrics } from '../observability/metrics';
import { RateLimits } from './rate-limits';
import { Readiness } from './readiness';

/** Everything request handlers need, built once per app (tests build their own). */
export interface ApiServices {
  config: Config;
  logger: Logger;
  knex: Knex;
  temporal: TemporalGateway;
  readiness: Readiness;
  accessTokens: AccessTokens;
  apiKeys: ApiKeyAuthenticator;
  rateLimits: RateLimits;
  documents: DocumentService;
  conversations: ConversationService;
  tickets: TicketService;
  testSets: TestSetService;
  testRuns: TestRunService;
  /** Stored answers of creating requests sent with an `Idempotency-Key`. */
  idempotency: IdempotencyService;
  organizationDeletions: OrganizationDeletionService;
  /** Live events from the workers (PostgreSQL LISTEN), for sockets and streams. */
  bus: EventBus;
  /** What the widget's WebSocket and HTTP transports share. */
  live: LiveDeps;
  /** Prometheus registry served at /metrics. */
  metrics: HttpMetrics;
}

/** Builds the services from the process's connections; `server.ts` and the test harness share it. */
export function createApiServices(base: {
  config: Config;
  logger: Logger;
  knex: Knex;
  temporal: TemporalGateway;
}): ApiServices {
  const conversations = new ConversationService(base);
  const bus = new EventBus(base.config.database.url, base.logger);
  const metrics = createHttpMetrics();
  registerPassRateGauge(metrics.registry, () => organizationPassRates(base.knex));
  return {
    ...base,
    readiness: new Readiness(base.knex, base.temporal),
    accessTokens: new AccessTokens(base.config.auth),
    apiKeys: new ApiKeyAuthenticator(base.knex, bus),
    rateLimits: new RateLimits(base.config.rateLimits),
    documents: new DocumentService(base),
    idempotency: new IdempotencyService(base),
    conversations,
    tickets: new TicketService(base),
    testSets: new TestSetService(base),
    testRuns: new TestRunService(base),
    organizationDeletions: new OrganizationDeletionService(base),
    bus,
    metrics,
    live: {
      visitors: new VisitorService({ ...base, conversations }),
      bus,
      logger: base.logger,
      limits: new VisitorLimits(base.config.widget),
    },
  };
}

export function servicesOf(req: Request): ApiServices {
  return req.app.locals.services as ApiServices;
}
