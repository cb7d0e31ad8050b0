import type { Request, Response } from 'express';
import type { Role } from '../../db/models';
import { hasRole } from '../../domain/principal';
import { problems } from '../../lib/problem';
import { isUuid } from '../../lib/uuid';
import type { Actor } from '../../services/audit';
import type { ConsoleUser } from '../session';

// What the console pages read from a request. Kept out of index.ts, which mounts the pages, so that
// the pages and their router do not import each other.

/** The signed-in member of a console request (set by the session middleware). */
export function consoleUser(res: Response): ConsoleUser {
  return res.locals.console as ConsoleUser;
}

/** The same role rule as the API route's `@Security('bearer', [role, …])`. */
export function requireRole(res: Response, minimum: Role): void {
  if (!hasRole(consoleUser(res).principal.role, minimum)) {
    throw problems.forbidden(`This needs the ${minimum} role or higher.`);
  }
}

/** The member as the audit log records them. */
export function consoleActor(req: Request, res: Response): Actor {
  const { organizationId, userId } = consoleUser(res).principal;
  return { organizationId, userId, apiKeyId: null, ip: req.ip ?? null };
}

/** An object id from the URL; anything that is not a UUID cannot name an object, so it is a 404. */
export function idParam(req: Request, name = 'id'): string {
  const value = req.params[name];
  if (typeof value !== 'string' || !isUuid(value)) throw problems.notFound('The page');
  return value;
}
