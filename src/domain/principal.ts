import type { Role } from '../db/models';

/**
 * Who is calling: a signed-in member (JWT access token) or an integrator (API key). Either way the
 * call acts inside exactly one organization, and every query it makes is scoped to that organization.
 */
export interface Principal {
  organizationId: string;
  /** The member, for JWT callers; null for API keys. */
  userId: string | null;
  /** The key, for API-key callers; null for members. */
  apiKeyId: string | null;
  /** Members have their membership's role; API keys act with the role `admin`, narrowed by their scopes. */
  role: Role;
  scopes: string[];
}

const RANK: Record<Role, number> = { agent: 1, admin: 2, owner: 3 };

/** True when `role` is at least `minimum` (owner > admin > agent). */
export const hasRole = (role: Role, minimum: Role): boolean => RANK[role] >= RANK[minimum];
