import path from 'node:path';
import express, { Router } from 'express';
import { projectRoot } from '../lib/paths';
import { articlePage, demoArticles, demoHomePage, demoSitemap, helpCentrePage } from './demo';

/** The seeded demo organization's widget key (see scripts/seed.ts). */
export const DEMO_WIDGET_KEY = 'pk_demo_lumen_notes_widget_key';
const KEY = /^[A-Za-z0-9_-]{1,200}$/;

/** Server-rendered pages: the demo company's site (the console and public pages join here). */
export function webRouter(): Router {
  const router = Router();
  const articles = demoArticles();
  router.use('/static', express.static(path.join(projectRoot, 'src', 'web', 'static'), { maxAge: '5m' }));
  router.get('/demo', (req, res) => {
    const key =
      typeof req.query.key === 'string' && KEY.test(req.query.key) ? req.query.key : DEMO_WIDGET_KEY;
    res.type('html').send(demoHomePage(key).toString());
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
    res.type('application/xml').send(demoSitemap(`${req.protocol}://${req.get('host')}`, articles));
  });
  return router;
}
