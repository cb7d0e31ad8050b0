import { randomUUID } from 'node:crypto';
import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { RegisterRoutes } from './generated/routes';
import { errorHandler, notFoundHandler } from './error-handler';
import { widgetRouter } from '../live/widget-http';
import { webRouter } from '../web/router';
import { apiReference } from './reference';
import { stripeWebhookRouter } from './webhooks/stripe';
import type { ApiServices } from './services';
import { rateLimitHeaders } from './rate-limits';
import type { Principal } from '../domain/principal';
import { httpMetricsMiddleware, renderMetrics } from '../observability/metrics';
import { tracingMiddleware } from '../observability/tracing';
import { HttpProblem, problems } from '../lib/problem';
import { fileUpload, jsonBody, refuseUnstorableQuery } from './body-parsers';
import { redactUrl } from '../lib/logger';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** Builds the HTTP app; `server.ts` listens. Integration tests send real HTTP to this app. */
export function createApp(services: ApiServices): Express {
  const app = express();
  app.locals.services = services;
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use(httpMetricsMiddleware(services.metrics));
  // A no-op unless tracing is configured (observability/tracing.ts).
  app.use(tracingMiddleware());
  app.use(
    pinoHttp({
      logger: services.logger,
      // Honour a caller's request id (from a proxy), otherwise mint one; echo it back.
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Every line about a request carries its id, and its organization once authenticated.
      customProps: (req) => {
        const principal = (req as { user?: Principal }).user;
        return principal
          ? { requestId: req.id, organizationId: principal.organizationId }
          : { requestId: req.id };
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      serializers: { req: (req: { url: string }) => Object.assign(req, { url: redactUrl(req.url) }) },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  // Values PostgreSQL cannot store are refused with 422 wherever they come in: query strings here,
  // bodies in the parsers of ./body-parsers (the only ones lint allows).
  app.use(refuseUnstorableQuery);
  // Prometheus scrapes this; with METRICS_TOKEN set it must send that token as a bearer token.
  app.get('/metrics', async (req, res, next) => {
    const token = services.config.observability.metricsToken;
    if (token && req.headers.authorization !== `Bearer ${token}`) {
      next(problems.unauthorized('Send the metrics token as a bearer token.'));
      return;
    }
    const { contentType, body } = await renderMetrics(services.metrics.registry);
    res.type(contentType).send(body);
  });
  // Stripe signs the raw body: its webhook reads the body itself, before any parser.
  app.use(stripeWebhookRouter(services));
  // The widget is embedded on tenants' sites: its routes answer cross-origin, with their own checks.
  app.use(widgetRouter({ ...services.live, knex: services.knex, config: services.config }));
  // Served over plain http (development, a LAN), upgrade-insecure-requests would send the console's
  // own redirects and requests to an https port that is not there. Forms may lead to Stripe's hosted
  // Checkout and Billing Portal: the browser checks the 303 after "Upgrade" against form-action too.
  const https = services.config.http.publicUrl.startsWith('https:');
  const stripePages = services.config.billing.stripe?.hostedPageOrigins ?? [];
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          upgradeInsecureRequests: https ? [] : null,
          formAction: ["'self'", ...stripePages],
        },
      },
    }),
  );
  app.use(webRouter());
  // Browsers may call the API only from the configured origins; bearer tokens, so no cookies.
  app.use(
    cors({
      origin: services.config.cors.origins,
      exposedHeaders: ['Retry-After', 'X-Request-Id', 'X-Next-Cursor', 'RateLimit', 'RateLimit-Policy'],
    }),
  );
  // Not strict: a body that is JSON but not an object (`"text"`) reaches validation and gets a 422
  // naming the body, like any other body of the wrong shape.
  app.use(jsonBody({ limit: services.config.http.bodyLimitBytes, strict: false }));
  // Per-IP limit on the sign-in endpoints, before any password is hashed.
  app.use('/v1/auth', async (req, res, next) => {
    if (req.method === 'POST')
      res.set(rateLimitHeaders(await services.rateLimits.consumeAuth(req.ip ?? 'unknown')));
    next();
  });
  // A list page's cursor also travels as a header, for clients that page without parsing the body.
  app.use('/v1', (_req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      const cursor = (body as { nextCursor?: unknown } | null)?.nextCursor;
      if (res.statusCode === 200 && typeof cursor === 'string') res.setHeader('X-Next-Cursor', cursor);
      return json(body);
    };
    next();
  });

  app.use(apiReference());
  // Uploads are multipart forms; anything else would reach the upload handler without a file.
  app.post('/v1/documents/upload', (req, _res, next) => {
    next(
      req.is('multipart/form-data') && /;\s*boundary=/i.test(req.headers['content-type'] ?? '')
        ? undefined
        : new HttpProblem(
            'unsupported-media-type',
            'Send the document as multipart/form-data (with a boundary).',
          ),
    );
  });
  // Uploads are held in memory up to the configured limit, then stored in PostgreSQL.
  RegisterRoutes(app, {
    multer: fileUpload({ maxBytes: services.config.ingestion.uploadMaxBytes }),
  });

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
