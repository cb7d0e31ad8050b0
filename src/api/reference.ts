import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import { projectRoot } from '../lib/paths';

/**
 * The committed OpenAPI spec at /openapi.json and a readable reference at /docs. Swagger UI is
 * served from node_modules (no CDN): self-hosted installs work offline and helmet's CSP holds.
 */
export function apiReference(): Router {
  const spec = fs.readFileSync(path.join(projectRoot, 'openapi', 'openapi.json'), 'utf8');
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(spec);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  router.use(
    '/docs/assets',
    express.static(path.dirname(require.resolve('swagger-ui-dist/package.json')), {
      index: false,
      immutable: true,
      maxAge: '1d',
    }),
  );
  return router;
}

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Parley API reference</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="reference"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

// A file rather than an inline script, so the Content-Security-Policy needs no 'unsafe-inline'.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: true,
});
`;
