import { Router, type NextFunction, type Request, type Response } from 'express';
import { fileUpload, formBody, formsOnly } from '../../api/body-parsers';
import { servicesOf } from '../../api/services';
import { sendVerificationEmail } from '../../services/auth';
import { notFoundPage, redirectToLogin, webErrorHandler } from '../errors';
import { wantsFragment } from '../layout';
import { authenticateConsole, requireCsrf } from '../session';
import { apiKeysRouter } from './api-keys';
import { billingRouter } from './billing';
import { conversationsRouter } from './conversations';
import { documentsRouter } from './documents';
import { knowledgeGapsRouter } from './knowledge-gaps';
import { overviewRouter } from './overview';
import { consoleUser } from './request';
import { settingsRouter } from './settings';
import { teamRouter } from './team';
import { testSetsRouter } from './test-sets';
import { ticketsRouter } from './tickets';

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
  router.post('/verify-email/resend', async (req: Request, res: Response) => {
    const { user } = consoleUser(res);
    if (!user.emailVerifiedAt) await sendVerificationEmail(servicesOf(req), user);
    if (wantsFragment(req)) {
      res.vary('HX-Request').type('html').send(`<span role="status">A new link is on its way.</span>`);
      return;
    }
    res.redirect(303, '/console');
  });

  router.use(overviewRouter());
  router.use(conversationsRouter());
  router.use(ticketsRouter());
  router.use(documentsRouter());
  router.use(knowledgeGapsRouter());
  router.use(testSetsRouter());
  router.use(settingsRouter());
  router.use(teamRouter());
  router.use(apiKeysRouter());
  router.use(billingRouter());
  router.use((req: Request, res: Response) => notFoundPage(req, res));
  router.use(webErrorHandler);
  return router;
}
