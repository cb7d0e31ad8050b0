import path from 'node:path';
import express, { Router } from 'express';
import { projectRoot } from '../lib/paths';
import { demoPage } from './demo';

/** The seeded demo organization's widget key (see scripts/seed.ts). */
export const DEMO_WIDGET_KEY = 'pk_demo_lumen_notes_widget_key';
const KEY = /^[A-Za-z0-9_-]{1,200}$/;

/** Server-rendered pages: the demo host page (the console and public pages join here). */
export function webRouter(): Router {
  const router = Router();
  router.use('/static', express.static(path.join(projectRoot, 'src', 'web', 'static'), { maxAge: '5m' }));
  router.get('/demo', (req, res) => {
    const key =
      typeof req.query.key === 'string' && KEY.test(req.query.key) ? req.query.key : DEMO_WIDGET_KEY;
    res.type('html').send(demoPage(key).toString());
  });
  return router;
}
