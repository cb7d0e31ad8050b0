import type { Request } from 'express';
import type { Actor } from '../../services/audit';
import { principalOf } from './principal';

/** The caller as the audit log records them: the principal plus the client's IP address. */
export function actorOf(req: Request): Actor {
  const { organizationId, userId, apiKeyId } = principalOf(req);
  return { organizationId, userId, apiKeyId, ip: req.ip ?? null };
}
