import path from 'node:path';
import express, { Router } from 'express';
import { formBody, formsOnly } from '../api/body-parsers';
import { projectRoot } from '../lib/paths';
import { articlesRouter } from './articles';
import { assetsRouter } from './assets';
import { consoleRouter } from './console';
import { articlePage, demoArticles, demoHomePage, demoSitemap, helpCentrePage } from './demo';
import { webErrorHandler } from './errors';
import { servicesOf } from '../api/services';
import { accountRouter } from './public/account';
import { requireCsrf } from './session';

/** The seeded demo organization's widget key (see scripts/seed.ts). */
export const DEMO_WIDGET_KEY = 'pk_demo_lumen_notes_widget_key';
const KEY = /^[A-Za-z0-9_-]{1,200}$/;

/** Public pages whose forms post back to themselves. */
const PUBLIC_FORMS = [
  '/signup',
  '/login',
  '/logout',
  '/forgot-password',
  '/reset-password',
  '/verify-email',
  '/accept-invitation',
];

/**
 * Server-rendered pages: the landing and account pages, the console, public documents' article pages,
 * and the demo company's site.
 */
export function webRouter(): Router {
  const router = Router();
  const articles = demoArticles();
  router.use('/assets', assetsRouter());
  router.use('/static', express.static(path.join(projectRoot, 'src', 'web', 'static'), { maxAge: '5m' }));
  router.use('/console', consoleRouter());
  router.use(articlesRouter());
  // Form bodies are parsed only on the pages that take them, never on API routes.
  router.use(PUBLIC_FORMS, formsOnly, formBody({ limit: '64kb' }), requireCsrf);
  router.use(accountRouter());
  router.get('/demo', (req, res) => {
    const key =
      typeof req.query.key === 'string' && KEY.test(req.query.key) ? req.query.key : DEMO_WIDGET_KEY;
    res.type('html').send(demoHomePage(key, servicesOf(req).config.http.publicUrl).toString());
  });
  router.get('/demo/help', (_req, res) => {
    res.type('html').send(helpCentrePage(articles).toString());
  });
  router.get('/demo/help/:slug', (req, res, next) => {
    const article = articles.find((a) => a.slug === req.params.slug);
    if (!article) {
      next();
      return;
    }
    res.type('html').send(articlePage(article).toString());
  });
  router.get('/demo/sitemap.xml', (req, res) => {
    // PUBLIC_URL, never the Host header: a client chooses that, and it would land in the XML unescaped.
    res.type('application/xml').send(demoSitemap(servicesOf(req).config.http.publicUrl, articles));
  });
  router.use(webErrorHandler);
  return router;
}
