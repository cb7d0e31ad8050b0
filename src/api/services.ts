import type { Request } from 'express';
import type { Knex } from 'knex';
import type { Config } from '../config';
import type { Logger } from '../lib/logger';
import { createMailer, type Mailer } from '../lib/mailer';
import { AccessTokens } from '../services/access-tokens';
import { ConversationService } from '../services/conversations';
import { DocumentService } from '../services/documents';
import type { TemporalGateway } from '../temporal/client';
import { RateLimits } from './rate-limits';
import { Readiness } from './readiness';

/** Everything request handlers need, built once per app (tests build their own). */
export interface ApiServices {
  config: Config;
  logger: Logger;
  knex: Knex;
  temporal: TemporalGateway;
  readiness: Readiness;
  mailer: Mailer;
  accessTokens: AccessTokens;
  rateLimits: RateLimits;
  documents: DocumentService;
  conversations: ConversationService;
}

/** Builds the services from the process's connections; `server.ts` and the test harness share it. */
export function createApiServices(base: {
  config: Config;
  logger: Logger;
  knex: Knex;
  temporal: TemporalGateway;
}): ApiServices {
  return {
    ...base,
    readiness: new Readiness(base.knex, base.temporal),
    mailer: createMailer(base.config.smtp, base.logger),
    accessTokens: new AccessTokens(base.config.auth),
    rateLimits: new RateLimits(base.config.rateLimits),
    documents: new DocumentService(base),
    conversations: new ConversationService(base),
  };
}

export function servicesOf(req: Request): ApiServices {
  return req.app.locals.services as ApiServices;
}
