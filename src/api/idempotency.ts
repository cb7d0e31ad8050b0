import type { Request } from 'express';
import type { Controller } from 'tsoa';
import { principalOf } from './auth/principal';
import { servicesOf } from './services';

/**
 * Answers a creating request through its `Idempotency-Key` (src/services/idempotency.ts): the first
 * request with a key runs `perform`; a retry with the same key and request gets the stored answer,
 * marked `Idempotent-Replayed: true`. The operation is the route, and the request its path
 * parameters with `request` (the body, the query, a file).
 */
export async function answerIdempotently<T>(
  controller: Controller,
  req: Request,
  key: string | undefined,
  request: unknown,
  perform: () => Promise<{ status: number; body: T }>,
): Promise<T> {
  const route = (req.route as { path?: string } | undefined)?.path ?? req.path;
  const answer = await servicesOf(req).idempotency.run(
    principalOf(req).organizationId,
    key,
    `${req.method} ${route}`,
    { params: req.params, request },
    perform,
  );
  controller.setStatus(answer.status);
  if (answer.replayed) controller.setHeader('Idempotent-Replayed', 'true');
  return answer.body;
}
