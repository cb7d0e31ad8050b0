import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Principal } from '../domain/principal';
import { HttpProblem, problems } from '../lib/problem';
import { servicesOf, type ApiServices } from '../api/services';
import type { Organization, User } from '../db/models';
import { sha256 } from '../lib/secrets';
import { authenticateAccessToken, refreshSession, type Session } from '../services/auth';
import { findOrganization } from '../services/organizations';
import { findUser } from '../services/users';

/**
 * Console sessions ride on the auth service's own tokens: the JWT access token and the rotating
 * refresh token, each in an HttpOnly, SameSite=Lax cookie (Secure in production). An expired access
 * token is refreshed on the next request, so a session lasts as long as its refresh token.
 */

export const ACCESS_COOKIE = 'parley_access';
export const REFRESH_COOKIE = 'parley_refresh';
export const CSRF_COOKIE = 'parley_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';

export interface ConsoleUser {
  principal: Principal;
  user: User;
  organization: Organization;
}

export function parseCookies(req: Request): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    try {
      cookies[name] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      // a malformed cookie is ignored like a missing one
    }
  }
  return cookies;
}

const cookieOptions = (services: ApiServices, maxAgeSeconds: number) => ({
  httpOnly: true,
  sameSite: 'lax' as const,
  secure: services.config.env === 'production',
  path: '/',
  maxAge: maxAgeSeconds * 1000,
});

export function setSessionCookies(res: Response, services: ApiServices, session: Session): void {
  res.cookie(ACCESS_COOKIE, session.accessToken, cookieOptions(services, session.expiresIn));
  const refreshSeconds = Math.max(
    1,
    Math.floor((session.refreshTokenExpiresAt.getTime() - Date.now()) / 1000),
  );
  res.cookie(REFRESH_COOKIE, session.refreshToken, cookieOptions(services, refreshSeconds));
}

export function clearSessionCookies(res: Response, services: ApiServices): void {
  const { maxAge: _maxAge, ...options } = cookieOptions(services, 0);
  res.clearCookie(ACCESS_COOKIE, options);
  res.clearCookie(REFRESH_COOKIE, options);
}

/**
 * A refresh token works once, and presenting it twice revokes the session. A page fires several
 * requests at once (polling, fragments), so concurrent refreshes of one token share one rotation,
 * and the result is remembered briefly for requests that were already in flight with the old cookie.
 */
const REFRESH_GRACE_MS = 15_000;
const refreshes = new Map<string, { session: Promise<Session>; until: number }>();

function refreshOnce(services: ApiServices, token: string, ip: string | null): Promise<Session> {
  const now = Date.now();
  for (const [key, entry] of refreshes) if (entry.until < now) refreshes.delete(key);
  const key = sha256(token);
  const known = refreshes.get(key);
  if (known) return known.session;
  const session = refreshSession(services, token, ip);
  refreshes.set(key, { session, until: now + REFRESH_GRACE_MS });
  session.catch(() => refreshes.delete(key));
  return session;
}

/** The signed-in member behind the request's cookies, refreshing the access token when it expired. */
export async function authenticateConsole(
  req: Request,
  res: Response,
  services: ApiServices,
): Promise<ConsoleUser | undefined> {
  const cookies = parseCookies(req);
  let principal = cookies[ACCESS_COOKIE]
    ? await authenticateAccessToken(services, cookies[ACCESS_COOKIE])
    : undefined;
  if (!principal && cookies[REFRESH_COOKIE]) {
    try {
      const session = await refreshOnce(services, cookies[REFRESH_COOKIE], req.ip ?? null);
      setSessionCookies(res, services, session);
      principal = await authenticateAccessToken(services, session.accessToken);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status !== 401) throw error;
    }
  }
  if (!principal?.userId) {
    if (cookies[ACCESS_COOKIE] || cookies[REFRESH_COOKIE]) clearSessionCookies(res, services);
    return undefined;
  }
  const [user, organization] = await Promise.all([
    findUser(services.knex, principal.userId),
    findOrganization(services.knex, principal.organizationId),
  ]);
  if (!user || !organization) return undefined;
  return { principal, user, organization };
}

/** A path on this site to return to after signing in; anything else (other sites, `//host`) is dropped. */
export function safeNext(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return undefined;
  }
  return value.length <= 2000 ? value : undefined;
}

// --- CSRF: a random per-browser cookie, and a token that is its HMAC under the server's CSRF key. ---

const csrfFor = (services: ApiServices, secret: string): string =>
  createHmac('sha256', services.config.auth.csrfSecret).update(`csrf:${secret}`).digest('base64url');

/** The token for this browser's forms and htmx requests; sets the cookie on first visit. */
export function csrfToken(req: Request, res: Response, services: ApiServices): string {
  const existing = (res.locals.csrfSecret as string | undefined) ?? parseCookies(req)[CSRF_COOKIE];
  const secret =
    existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : randomBytes(32).toString('base64url');
  if (secret !== existing) {
    res.cookie(CSRF_COOKIE, secret, cookieOptions(services, 365 * 24 * 3600));
  }
  res.locals.csrfSecret = secret;
  return csrfFor(services, secret);
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every state-changing request carries the token, in the X-CSRF-Token header (htmx, from
 * `hx-headers` on <body>) or the `_csrf` form field (plain forms). A cross-site form can send the
 * cookie but cannot read the token. Runs after the body parsers.
 */
export const requireCsrf: RequestHandler = (req, _res, next) => {
  if (!UNSAFE.has(req.method)) {
    next();
    return;
  }
  const services = servicesOf(req);
  const secret = parseCookies(req)[CSRF_COOKIE];
  const body = req.body as Record<string, unknown> | undefined;
  const field = body?.[CSRF_FIELD];
  const sent = req.get(CSRF_HEADER) ?? (typeof field === 'string' ? field : '');
  // Bytes, not string lengths: 43 non-ASCII characters are more than 43 bytes (timingSafeEqual threw).
  const expected = secret ? Buffer.from(csrfFor(services, secret)) : undefined;
  const given = Buffer.from(sent);
  const valid =
    expected !== undefined && given.length === expected.length && timingSafeEqual(given, expected);
  next(
    valid
      ? undefined
      : problems.forbidden(
          'The form has expired or did not come from this site; reload the page and try again.',
        ),
  );
};
