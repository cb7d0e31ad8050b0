import type { Request } from 'express';
import { ROLES, type Role } from '../../db/models';
import { looksLikeApiKey } from '../../services/api-keys';
import { authenticateAccessToken } from '../../services/auth';
import { HttpProblem, problems } from '../../lib/problem';
import { servicesOf } from '../services';
import { rateLimitHeaders } from '../rate-limits';
import { hasRole, type Principal } from '../../domain/principal';
import { ALL_SCOPES, hasScope } from '../../domain/scopes';

/**
 * tsoa's authentication module (tsoa.json `routes.authenticationModule`). One scheme, `bearer`, takes
 * a JWT access token or an API key. Its tsoa scopes are the minimum role, then the API-key scopes the
 * route needs: `@Security('bearer', ['admin', 'api_keys:write'])`. `@Security('bearer')` admits any
 * member. The principal it returns becomes `req.user` (read it with `principalOf`).
 */
export async function expressAuthentication(
  request: Request,
  securityName: string,
  scopes: string[] = [],
): Promise<Principal> {
  if (securityName !== 'bearer') throw new Error(`Unknown security scheme "${securityName}"`);
  const services = servicesOf(request);
  const token = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const principal = !token
    ? undefined
    : looksLikeApiKey(token)
      ? await services.apiKeys.authenticate(token)
      : await authenticateAccessToken(services, token);
  if (!principal) {
    throw new HttpProblem(
      'unauthorized',
      token ? 'The access token or API key is invalid, expired or revoked.' : 'Send a bearer token.',
      { headers: { 'WWW-Authenticate': 'Bearer' } },
    );
  }
  // The handler's own log lines name the tenant too.
  request.log = request.log.child({ organizationId: principal.organizationId });
  const quotas = await services.rateLimits.consumePrincipal(principal);
  request.res?.set(rateLimitHeaders(quotas));

  const minimum = scopes.find((s): s is Role => (ROLES as readonly string[]).includes(s)) ?? 'agent';
  if (!hasRole(principal.role, minimum)) throw problems.forbidden();
  const needed = scopes.filter((s) => s.includes(':'));
  const allowed =
    needed.length === 0 ? principal.scopes.includes(ALL_SCOPES) : needed.every((s) => hasScope(principal, s));
  if (!allowed) {
    throw problems.forbidden(
      `This API key lacks the scope this endpoint needs (${needed.join(', ') || 'unrestricted key'}).`,
    );
  }
  return principal;
}
