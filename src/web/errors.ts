import type { ErrorRequestHandler, Request, Response } from 'express';
import { toProblem } from '../api/error-handler';
import { html } from './html';
import { sendPage, wantsFragment } from './layout';
import { safeNext } from './session';

/**
 * Errors as pages: a missing object (or another organization's: the same 404) gets the not-found
 * page, a forbidden action a 403 page, a bug a 500 page with the request id. htmx requests get the
 * same message as a fragment, which console.js shows in the page's alert region.
 */

export function notFoundPage(req: Request, res: Response): void {
  sendPage(
    req,
    res,
    {
      title: 'Not found',
      status: 404,
      main: html`<section class="error-page">
        <h1>Page not found</h1>
        <p>There is nothing here, or it belongs to another organization.</p>
        <p><a class="button" href="${res.locals.console ? '/console' : '/'}">Back to the start</a></p>
      </section>`,
    },
    res.locals.console ? 'console' : 'public',
  );
}

/** Where a request without a session is sent: the sign-in page, then back to the page it came from. */
export function redirectToLogin(req: Request, res: Response): void {
  const current = req.get('HX-Current-URL');
  let back: string | undefined;
  if (current) {
    try {
      const url = new URL(current);
      back = safeNext(url.pathname + url.search);
    } catch {
      back = undefined;
    }
  } else if (req.method === 'GET') {
    back = safeNext(req.originalUrl);
  }
  const target = back ? `/login?next=${encodeURIComponent(back)}` : '/login';
  if (wantsFragment(req)) {
    res.set('HX-Redirect', target).status(401).end();
    return;
  }
  res.redirect(303, target);
}

export const webErrorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const problem = toProblem(error);
  if (problem?.status === 404) {
    notFoundPage(req, res);
    return;
  }
  if (problem?.status === 401 && res.locals.console === undefined) {
    redirectToLogin(req, res);
    return;
  }
  const requestId = req.id as string;
  if (!problem) req.log.error({ err: error }, 'unhandled error');
  // A form refused before its page could show the errors beside the inputs (a value that cannot be
  // stored): the fields by their input names.
  const fields = (problem?.extensions.errors ?? []).map(
    ({ field, message }) => html`<li>${field.replace(/^body\./, '')}: ${message}</li>`,
  );
  const fieldList =
    fields.length > 0
      ? html`<ul class="field-errors">
          ${fields}
        </ul>`
      : '';
  const status = problem?.status ?? 500;
  for (const [name, value] of Object.entries(problem?.extensions.headers ?? {})) res.setHeader(name, value);
  sendPage(
    req,
    res,
    {
      title: problem?.title ?? 'Something went wrong',
      status,
      main: html`<section class="error-page" role="alert">
        <h1>${problem?.title ?? 'Something went wrong'}</h1>
        <p>
          ${
            problem?.message ??
            `Something went wrong on our side. Quote request id ${requestId} when you contact support.`
          }
        </p>
        ${fieldList}
        <p><a class="button" href="${res.locals.console ? '/console' : '/'}">Back to the start</a></p>
      </section>`,
      fragment: html`<div class="alert alert-error" role="alert">
        ${problem?.message ?? `Something went wrong on our side (request id ${requestId}).`} ${fieldList}
      </div>`,
    },
    res.locals.console ? 'console' : 'public',
  );
};
