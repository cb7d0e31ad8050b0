import type { Request, Response } from 'express';
import { hasRole } from '../domain/principal';
import { servicesOf } from '../api/services';
import type { Role } from '../db/models';
import { html, type SafeHtml } from './html';
import { CSRF_FIELD, csrfToken, type ConsoleUser } from './session';

/**
 * One layout for the public pages and one for the console, both around the same design system.
 * A page is a title and a main region; an htmx request to the same URL gets only the page's
 * fragment (the main region unless the page names a smaller one), so every response varies on
 * HX-Request.
 */

export interface Page {
  title: string;
  main: SafeHtml;
  /** What an htmx request to this URL receives; the main region by default. */
  fragment?: SafeHtml;
  status?: number;
}

/** What every template may need from the request. */
export interface PageContext {
  csrf: string;
  path: string;
  /** Where visitors and emails reach this server (PUBLIC_URL). */
  publicUrl: string;
  console?: ConsoleUser;
}

export function contextOf(req: Request, res: Response): PageContext {
  const services = servicesOf(req);
  return {
    csrf: csrfToken(req, res, services),
    path: req.originalUrl.split('?')[0]!,
    publicUrl: services.config.http.publicUrl.replace(/\/+$/, ''),
    console: res.locals.console as ConsoleUser | undefined,
  };
}

/** The hidden field that carries the CSRF token in plain (non-htmx) forms. */
export const csrfField = (ctx: PageContext): SafeHtml =>
  html`<input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrf}" />`;

/** htmx asks for fragments; a history restore (back button after the cache expired) wants the page. */
export const wantsFragment = (req: Request): boolean =>
  req.get('HX-Request') === 'true' && req.get('HX-History-Restore-Request') !== 'true';

const HTMX_CONFIG = JSON.stringify({
  // The CSP forbids inline scripts and eval; htmx must not need either.
  allowEval: false,
  includeIndicatorStyles: false,
  historyCacheSize: 0,
  // Forms answered with 422 show their errors; other errors are left to the error handler.
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    { code: '422', swap: true },
    { code: '[45]..', swap: false, error: true },
  ],
});

function document(ctx: PageContext, title: string, bodyClass: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content="${HTMX_CONFIG}" />
        <title>${title} · Parley</title>
        <link rel="stylesheet" href="/assets/console.css" />
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <script src="/assets/htmx.min.js" defer></script>
        <script src="/assets/console.js" defer></script>
      </head>
      <body class="${bodyClass}" hx-headers="${JSON.stringify({ 'X-CSRF-Token': ctx.csrf })}">
        <a class="skip-link" href="#main">Skip to content</a>
        ${body}
      </body>
    </html>`;
}

const logo = html`<svg class="logo-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
  <path d="M6 6h14a6 6 0 0 1 6 6v4a6 6 0 0 1-6 6h-6l-6 5v-5H6a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2z" />
</svg>`;

export function publicLayout(ctx: PageContext, page: Page): SafeHtml {
  const signedIn = ctx.console !== undefined;
  return document(
    ctx,
    page.title,
    'public',
    html`<header class="site-header">
        <div class="container row">
          <a class="brand" href="/">${logo}<span>Parley</span></a>
          <nav aria-label="Site">
            <a href="/#features">Features</a>
            <a href="/#pricing">Pricing</a>
            <a href="/docs">API</a>
            ${
              signedIn
                ? html`<a class="button" href="/console">Open the console</a>`
                : html`<a href="/login">Sign in</a> <a class="button" href="/signup">Start free</a>`
            }
          </nav>
        </div>
      </header>
      <main id="main" tabindex="-1">${page.main}</main>
      <footer class="site-footer">
        <div class="container footer-grid">
          <div>
            <a class="brand" href="/">${logo}<span>Parley</span></a>
            <p>Self-hosted AI customer support that cites its sources and knows when to hand over.</p>
          </div>
          <nav aria-label="Product">
            <h2>Product</h2>
            <a href="/#features">Features</a>
            <a href="/#pricing">Pricing</a>
            <a href="/demo">Live demo</a>
          </nav>
          <nav aria-label="Developers">
            <h2>Developers</h2>
            <a href="/docs">REST API reference</a>
            <a href="/openapi.json">OpenAPI spec</a>
          </nav>
          <nav aria-label="Account">
            <h2>Account</h2>
            <a href="/signup">Sign up</a>
            <a href="/login">Sign in</a>
            <a href="/forgot-password">Forgot password</a>
          </nav>
        </div>
        <p class="container fine-print">Parley is open source under the Apache-2.0 licence.</p>
      </footer>`,
  );
}

interface NavItem {
  href: string;
  label: string;
  minimum: Role;
}

const NAV: NavItem[] = [
  { href: '/console/overview', label: 'Overview', minimum: 'agent' },
  { href: '/console/conversations', label: 'Conversations', minimum: 'agent' },
  { href: '/console/tickets', label: 'Tickets', minimum: 'agent' },
  { href: '/console/documents', label: 'Documents', minimum: 'agent' },
  { href: '/console/knowledge-gaps', label: 'Knowledge gaps', minimum: 'agent' },
  { href: '/console/test-sets', label: 'Answer tests', minimum: 'agent' },
  { href: '/console/team', label: 'Team', minimum: 'agent' },
  { href: '/console/settings', label: 'Settings', minimum: 'agent' },
  { href: '/console/api-keys', label: 'API keys', minimum: 'admin' },
  { href: '/console/webhooks', label: 'Webhooks', minimum: 'admin' },
  { href: '/console/billing', label: 'Billing', minimum: 'admin' },
];

/**
 * Asks an unconfirmed member to confirm their address. Whether the link was sent loads from
 * /console/emails/verification (src/web/console/emails.ts): "sent" only once the mail server took it.
 */
function verificationBanner(ctx: PageContext, email: string): SafeHtml {
  return html`<div class="alert alert-info" role="status">
    Please confirm your email address, ${email}.
    <span
      id="verification-email"
      class="email-status"
      hx-get="/console/emails/verification"
      hx-trigger="load"
      hx-swap="outerHTML"
    ></span>
    <form
      method="post"
      action="/console/verify-email/resend"
      class="inline"
      hx-post="/console/verify-email/resend"
      hx-target="#verification-email"
      hx-swap="outerHTML"
    >
      ${csrfField(ctx)}
      <button type="submit" class="link-button">Send the link again</button>
    </form>
  </div>`;
}

export const bellIcon = html`<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
  <path
    d="M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0"
    fill="none"
    stroke="currentColor"
    stroke-width="2"
  />
</svg>`;

export const NOTIFICATION_BADGE_ID = 'notification-badge';

/**
 * The link to the member's notifications; the unread count loads from /console/notifications/badge
 * (src/web/console/notifications.ts), which replaces it with a badge that polls itself.
 */
const notificationLink = html`<a
  id="${NOTIFICATION_BADGE_ID}"
  class="notification-link"
  href="/console/notifications"
  aria-label="Notifications"
  hx-get="/console/notifications/badge"
  hx-trigger="load"
  hx-swap="outerHTML"
  >${bellIcon}</a
>`;

export function consoleLayout(ctx: PageContext, page: Page): SafeHtml {
  const session = ctx.console!;
  const role = session.principal.role;
  return document(
    ctx,
    page.title,
    'console',
    html`<div class="console-shell">
      <header class="console-header">
        <a class="brand" href="/console">${logo}<span>Parley</span></a>
        <span class="org-name">${session.organization.name}</span>
        ${notificationLink}
        <details class="account-menu">
          <summary>${session.user.name} <span class="muted">(${role})</span></summary>
          <div class="menu">
            <p class="muted">${session.user.email}</p>
            <form method="post" action="/logout">
              ${csrfField(ctx)}
              <button type="submit" class="button secondary">Sign out</button>
            </form>
          </div>
        </details>
      </header>
      <nav class="console-nav" aria-label="Console">
        ${NAV.filter((item) => hasRole(role, item.minimum)).map(
          (item) =>
            html`<a href="${item.href}" ${ctx.path.startsWith(item.href) ? html`aria-current="page"` : ''}
              >${item.label}</a
            >`,
        )}
      </nav>
      <main id="main" tabindex="-1" class="console-main">
        <div id="flash" aria-live="assertive"></div>
        ${session.user.emailVerifiedAt ? '' : verificationBanner(ctx, session.user.email)} ${page.main}
      </main>
    </div>`,
  );
}

/** Sends the page, or its fragment to htmx; public or console layout by whether a member is signed in here. */
export function sendPage(
  req: Request,
  res: Response,
  page: Page,
  layout: 'public' | 'console' = 'console',
): void {
  res.vary('HX-Request');
  res.status(page.status ?? 200).type('html');
  if (wantsFragment(req)) {
    res.send((page.fragment ?? page.main).toString());
    return;
  }
  const ctx = contextOf(req, res);
  res.send(
    (layout === 'console' && ctx.console ? consoleLayout(ctx, page) : publicLayout(ctx, page)).toString(),
  );
}

/** Formats a date for people, in UTC (the console does not know the reader's zone). */
export function when(date: Date | string | null | undefined): string {
  if (!date) return '—';
  const d = typeof date === 'string' ? new Date(date) : date;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function timeTag(date: Date | null | undefined): SafeHtml | string {
  return date ? html`<time datetime="${date.toISOString()}">${when(date)}</time>` : '—';
}
