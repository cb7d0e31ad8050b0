import type { Request } from 'express';
import type { Principal } from '../../domain/principal';
import { problems } from '../../lib/problem';

/** The authenticated caller, set by the tsoa authentication module; throws 401 when absent. */
export function principalOf(req: Request): Principal {
  const principal = (req as Request & { user?: Principal }).user;
  if (!principal) throw problems.unauthorized();
  return principal;
}
