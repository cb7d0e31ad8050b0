import { Router, type NextFunction, type Request, type Response } from 'express';
import { fileUpload, formBody, formsOnly } from '../../api/body-parsers';
import { servicesOf } from '../../api/services';
import { notFoundPage, redirectToLogin, webErrorHandler } from '../errors';
import { authenticateConsole, requireCsrf } from '../session';
import { apiKeysRouter } from './api-keys';
import { billingRouter } from './billing';
import { conversationsRouter } from './conversations';
import { documentsRouter } from './documents';
import { emailsRouter } from './emails';
import { knowledgeGapsRouter } from './knowledge-gaps';
import { notificationsRouter } from './notifications';
import { overviewRouter } from './overview';
import { settingsRouter } from './settings';
import { teamRouter } from './team';
import { testChatRouter } from './test-chat';
import { testSetsRouter } from './test-sets';
import { ticketsRouter } from './tickets';
import { webhooksRouter } from './webhooks';

/** The console: every route needs a session; state changes need the CSRF token too. */
export function consoleRouter(): Router {
  const router = Router();
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    const user = await authenticateConsole(req, res, servicesOf(req));
    if (!user) {
      redirectToLogin(req, res);
      return;
    }
    res.locals.console = user;
    // Console pages show one member's data: never cached by shared caches.
    res.set('Cache-Control', 'private, no-store');
    next();
  });
  router.use(formsOnly, formBody({ limit: '256kb' }));
  router.use((req: Request, res: Response, next: NextFunction) => {
    fileUpload({ maxBytes: servicesOf(req).config.ingestion.uploadMaxBytes }).single('file')(req, res, next);
  });
  router.use(requireCsrf);

  // Stripe Checkout and the portal return here (BILLING_RETURN_URL) with ?checkout=success|canceled.
  router.get('/', (req, res) => {
    const checkout = typeof req.query.checkout === 'string' ? req.query.checkout : '';
    res.redirect(
      303,
      /^[a-z]{1,20}$/.test(checkout) ? `/console/billing?checkout=${checkout}` : '/console/overview',
    );
  });
  router.use(emailsRouter());
  router.use(notificationsRouter());

  router.use(overviewRouter());
  router.use(conversationsRouter());
  router.use(ticketsRouter());
  router.use(documentsRouter());
  router.use(knowledgeGapsRouter());
  router.use(testSetsRouter());
  router.use(settingsRouter());
  router.use(testChatRouter());
  router.use(teamRouter());
  router.use(apiKeysRouter());
  router.use(webhooksRouter());
  router.use(billingRouter());
  router.use((req: Request, res: Response) => notFoundPage(req, res));
  router.use(webErrorHandler);
  return router;
}
