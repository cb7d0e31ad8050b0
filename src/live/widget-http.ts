import fs from 'node:fs';
import path from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { fileUpload, jsonBody } from '../api/body-parsers';
import { RateLimiterRes, type RateLimiterMemory } from 'rate-limiter-flexible';
import { z } from 'zod';
import { problems, type HttpProblem } from '../lib/problem';
import type { Config } from '../config';
import type { Knex } from 'knex';
import { projectRoot } from '../lib/paths';
import { attachmentHeaders, loadAttachment, storeAttachment } from '../services/attachments';
import { minuteWindow, recordRefusal, type RefusingLimit } from '../services/usage';
import { WidgetError, type VisitorIdentity, type Widget } from '../services/visitors';
import { clientFrame, type ServerFrame } from './protocol';
import { VisitorConnection, type LiveDeps } from './visitor-connection';

/**
 * The widget's HTTP side: the script itself, sessions, attachments, and the fallback transport for
 * clients that cannot hold a WebSocket (frames POSTed, events streamed as server-sent events).
 * Served cross-origin to the tenants' sites: each request names its widget key, and the page's
 * origin is checked against that organization's allowed origins.
 */

export const WIDGET_SCRIPT = path.join(projectRoot, 'dist', 'widget', 'widget.js');
const KEEPALIVE_MS = 20_000;

const sessionBody = z
  .object({
    key: z.string().min(1).max(200),
    token: z.string().max(2000).optional(),
    name: z.string().trim().min(1).max(200).optional(),
    email: z.email().max(254).optional(),
  })
  .strict();

interface WidgetRequest extends Request {
  widget?: Widget;
  visitor?: VisitorIdentity;
}

function toProblem(error: WidgetError): HttpProblem {
  switch (error.code) {
    case 'unknown_widget':
    case 'origin_not_allowed':
      return problems.forbidden(error.message);
    case 'unauthorized':
      return problems.unauthorized(error.message);
    case 'not_found':
      return problems.notFound('The conversation item');
    case 'invalid_message':
      return problems.validation([{ field: 'body', message: error.message }], error.message);
  }
}

export function widgetRouter(deps: LiveDeps & { knex: Knex; config: Config }): Router {
  const router = Router();
  const { visitors } = deps;

  /** Counts a new session against a limit; over it, the refusal is recorded (usage events) and 429. */
  const admit = async (
    widget: Widget,
    limiter: RateLimiterMemory,
    key: string,
    limit: RefusingLimit,
  ): Promise<void> => {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      await recordRefusal(deps.knex, widget.organizationId, 'sessions', limit, minuteWindow());
      throw problems.rateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
  };
  const upload = fileUpload({ maxBytes: deps.config.widget.attachmentMaxBytes });

  // Tenants' pages call these endpoints from their own origins; permission is checked per request.
  router.use('/widget/v1', (req, res, next) => {
    if (req.headers.origin) {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Widget-Key');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
    }
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.method === 'OPTIONS') res.status(204).end();
    else next();
  });

  const widgetFrom =
    (keyOf: (req: Request) => unknown) =>
    async (req: WidgetRequest, _res: Response, next: NextFunction): Promise<void> => {
      const key = keyOf(req);
      req.widget = await visitors.resolveWidget(typeof key === 'string' ? key : '', req.headers.origin);
      next();
    };

  /** The visitor token comes as a bearer token, or (EventSource, img src) as `?token=`. */
  const visitorOf = async (req: WidgetRequest, _res: Response, next: NextFunction): Promise<void> => {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : req.query.token;
    const identity = await visitors.verify(typeof token === 'string' ? token : '');
    if (identity.organizationId !== req.widget!.organizationId)
      throw new WidgetError('unauthorized', 'wrong widget');
    req.visitor = identity;
    next();
  };
  const keyHeader = (req: Request) => req.headers['x-widget-key'] ?? req.query.key;

  router.post('/widget/v1/session', ...jsonBody({ limit: '8kb' }), async (req: WidgetRequest, res) => {
    const body = sessionBody.safeParse(req.body);
    if (!body.success) {
      throw problems.validation(
        body.error.issues.map((i) => ({ field: `body.${i.path.join('.')}`, message: i.message })),
      );
    }
    const widget = await visitors.resolveWidget(body.data.key, req.headers.origin);
    const session = await visitors.startSession(widget, body.data, async () => {
      await admit(widget, deps.limits.sessionsPerIp, req.ip ?? 'unknown', 'widget_sessions_per_ip');
      await admit(widget, deps.limits.sessionsPerKey, widget.organizationId, 'widget_sessions_per_key');
    });
    res.json({
      token: session.token,
      visitorId: session.visitorId,
      conversationId: session.conversationId,
      organizationName: widget.organizationName,
      look: widget.look,
    });
  });

  router.post(
    '/widget/v1/frames',
    ...jsonBody({ limit: '64kb' }),
    widgetFrom(keyHeader),
    visitorOf,
    async (req: WidgetRequest, res) => {
      const frame = clientFrame.safeParse(req.body);
      if (!frame.success || frame.data.type === 'hello') {
        throw problems.validation([{ field: 'body', message: 'is not a frame of the widget protocol' }]);
      }
      const frames: ServerFrame[] = [];
      await new VisitorConnection(deps, req.visitor!, (f) => frames.push(f)).handle(frame.data);
      res.json({ frames });
    },
  );

  router.get('/widget/v1/events', widgetFrom(keyHeader), visitorOf, async (req: WidgetRequest, res) => {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    const connection = new VisitorConnection(deps, req.visitor!, (frame) => {
      res.write(`data: ${JSON.stringify(frame)}\n\n`);
    });
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    req.on('close', () => {
      clearInterval(keepalive);
      connection.close();
    });
    const after = typeof req.query.lastMessageId === 'string' ? req.query.lastMessageId : undefined;
    await connection.open(z.uuid().safeParse(after).success ? after : undefined);
  });

  router.post(
    '/widget/v1/attachments',
    widgetFrom(keyHeader),
    visitorOf,
    upload.single('file'),
    async (req: WidgetRequest, res) => {
      if (!req.file) throw problems.validation([{ field: 'body.file', message: 'is required' }]);
      res
        .status(201)
        .json(
          await storeAttachment(deps.knex, req.visitor!, req.file, deps.config.widget.attachmentMaxBytes),
        );
    },
  );

  router.get(
    '/widget/v1/attachments/:id',
    widgetFrom(keyHeader),
    visitorOf,
    async (req: WidgetRequest, res) => {
      const id = z.uuid().safeParse(req.params.id);
      if (!id.success) throw problems.notFound('The attachment');
      const attachment = await loadAttachment(
        deps.knex,
        req.visitor!.organizationId,
        req.visitor!.conversationId,
        id.data,
      );
      res.set(attachmentHeaders(attachment)).end(attachment.content);
    },
  );

  router.get('/widget.js', (_req, res) => {
    if (!fs.existsSync(WIDGET_SCRIPT))
      throw problems.unavailable('The widget is not built; run npm run build:widget.');
    res.set({
      'Content-Type': 'application/javascript; charset=utf-8',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Cache-Control': 'public, max-age=300',
    });
    res.sendFile(WIDGET_SCRIPT);
  });

  router.use('/widget/v1', (error: unknown, _req: Request, _res: Response, next: NextFunction) => {
    next(error instanceof WidgetError ? toProblem(error) : error);
  });
  return router;
}
