import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import { projectRoot } from '../lib/paths';
import { PROBLEM_TYPES, type ProblemSlug } from '../lib/problem';

/**
 * The committed OpenAPI spec at /openapi.json and a readable reference at /docs. Swagger UI is
 * served from node_modules (no CDN): self-hosted installs work offline and helmet's CSP holds.
 * Each problem `type` URI (`/problems/<slug>`) is a page explaining that problem to people.
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
  router.get('/problems', (_req, res) => {
    res.type('html').send(problemsPage());
  });
  router.get('/problems/:slug', (req, res, next) => {
    const slug = req.params.slug;
    if (Object.hasOwn(PROBLEM_TYPES, slug)) res.type('html').send(problemPage(slug as ProblemSlug));
    else next();
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

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Escapes, then shows `code` spans as code. */
const prose = (text: string): string => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(title)} · Parley API</title>
  </head>
  <body>
${body}
  </body>
</html>
`;
}

function problemPage(slug: ProblemSlug): string {
  const { status, title, description } = PROBLEM_TYPES[slug];
  return page(
    title,
    `    <h1>${escapeHtml(title)}</h1>
    <p>HTTP status <strong>${status}</strong>; problem type <code>${escapeHtml(slug)}</code>.</p>
    <p>${prose(description)}</p>
    <p>Errors are RFC 9457 problem documents (<code>application/problem+json</code>): <code>detail</code>
      says what went wrong for this request, <code>requestId</code> identifies it in the server's logs.
      See <a href="/problems">every problem type</a> and <a href="/docs">the API reference</a>.</p>`,
  );
}

function problemsPage(): string {
  const rows = (Object.keys(PROBLEM_TYPES) as ProblemSlug[])
    .map((slug) => {
      const { status, title } = PROBLEM_TYPES[slug];
      return `      <li><a href="/problems/${slug}">${escapeHtml(title)}</a> (${status})</li>`;
    })
    .join('\n');
  return page('Problem types', `    <h1>Problem types</h1>\n    <ul>\n${rows}\n    </ul>`);
}
