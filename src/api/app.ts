import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import { RegisterRoutes } from './generated/routes';
import { errorHandler, notFoundHandler } from './error-handler';
import type { ApiServices } from './services';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** Builds the HTTP app; `server.ts` listens. Integration tests send real HTTP to this app. */
export function createApp(services: ApiServices): Express {
  const app = express();
  app.locals.services = services;
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

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
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/healthz' },
    }),
  );
  app.use(express.json({ limit: '1mb' }));

  RegisterRoutes(app);

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
