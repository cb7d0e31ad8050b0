import type { Principal } from './principal';

/**
 * What an API key may do. A key acts with the role `admin`, narrowed to its scopes; a key created
 * without scopes is unrestricted. Routes name the scope they need after the minimum role, e.g.
 * `@Security('bearer', ['admin', 'api_keys:write'])`; a route that names none admits members and
 * unrestricted keys only (closed by default).
 */
export type ApiKeyScope =
  | 'organization:read'
  | 'organization:write'
  /** The export of all the organization's data (`GET /v1/organization/export`). */
  | 'organization:export'
  | 'members:read'
  | 'members:write'
  | 'api_keys:read'
  | 'api_keys:write'
  | 'audit_log:read'
  | 'documents:read'
  | 'documents:write'
  | 'conversations:read'
  | 'conversations:write'
  | 'tickets:read'
  | 'tickets:write'
  | 'webhooks:read'
  | 'webhooks:write'
  | 'analytics:read'
  | 'test_sets:read'
  | 'test_sets:write'
  | 'usage:read';

/** Members and unrestricted keys hold every scope. */
export const ALL_SCOPES = '*';

export const hasScope = (principal: Principal, scope: string): boolean =>
  principal.scopes.includes(ALL_SCOPES) || principal.scopes.includes(scope);
