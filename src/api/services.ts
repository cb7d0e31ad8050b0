import type { Request } from 'express';
import type { Knex } from 'knex';
import type { Config } from '../config';
import type { Logger } from '../lib/logger';
import type { TemporalGateway } from '../temporal/client';
import type { Readiness } from './readiness';

/** Everything request handlers need, built once per app (tests build their own). */
export interface ApiServices {
  config: Config;
  logger: Logger;
  knex: Knex;
  temporal: TemporalGateway;
  readiness: Readiness;
}

export function servicesOf(req: Request): ApiServices {
  return req.app.locals.services as ApiServices;
}
