import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ValidateError } from '@tsoa/runtime';
import { MulterError } from 'multer';
import { KnexTimeoutError } from 'knex';
import {
  CheckViolationError,
  DataError,
  DBError,
  ForeignKeyViolationError,
  NotFoundError,
  NotNullViolationError,
  UniqueViolationError,
  ValidationError,
} from 'objection';
import { TemporalUnavailableError } from '../temporal/client';
import { redactUrl } from '../lib/logger';
import { reportError } from '../observability/sentry';
import type { Principal } from '../domain/principal';
import { HttpProblem, problems, problemTypeUri, type FieldError } from '../lib/problem';
import { servicesOf, type ApiServices } from './services';

/** Where a request's parameters came from, to name a field by its place (`query.limit`). */
interface RequestParts {
  params: Record<string, unknown>;
  headers: Record<string, unknown>;
}

/**
 * tsoa reports body fields as `requestBody.email` or `body.email` and parameters by their bare name; clients know
 * them as `body.email`, `path.id`, `header.idempotency-key` and `query.limit`.
 */
function tsoaFieldErrors(error: ValidateError, request?: RequestParts): FieldError[] {
  const place = (field: string): string => {
    // The controllers name their body parameter `body`.
    if (/^(requestBody|body)\b/.test(field))
      return field.replace(/^(requestBody|body)\.?/, 'body.').replace(/\.$/, '');
    if (!request) return field;
    const name = field.split('.')[0]!;
    if (Object.hasOwn(request.params, name)) return `path.${field}`;
    if (Object.hasOwn(request.headers, name.toLowerCase())) return `header.${field.toLowerCase()}`;
    return `query.${field}`;
  };
  return Object.entries(error.fields).map(([field, { message }]) => ({ field: place(field), message }));
}

function objectionFieldErrors(error: ValidationError): FieldError[] {
  const data = (error.data ?? {}) as Record<string, { message: string }[]>;
  return Object.entries(data).flatMap(([field, list]) =>
    list.map(({ message }) => ({ field: `body.${field}`, message })),
  );
}

/**
 * PostgreSQL down, restarting or out of connections (SQLSTATE classes 08 and 57P, a refused or cut
 * socket, the pool's acquire timeout): the same request may well succeed in a moment.
 */
function databaseUnavailable(error: unknown): boolean {
  const cause = error instanceof DBError ? error.nativeError : error;
  if (cause instanceof KnexTimeoutError) return true;
  const { code, message } = (cause ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (/^(08|57P)/.test(code) || SOCKET_FAILURES.has(code))) return true;
  return typeof message === 'string' && /^Connection terminated/.test(message);
}
const SOCKET_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/**
 * A deadlock or a serialization failure (SQLSTATE 40P01, 40001): PostgreSQL rolled the transaction
 * back because another one touched the same rows; the same request succeeds when sent again.
 */
function concurrentWriteConflict(error: unknown): boolean {
  const cause = error instanceof DBError ? error.nativeError : error;
  const { code } = (cause ?? {}) as { code?: unknown };
  return code === '40P01' || code === '40001';
}

/** Turns anything thrown into a known problem, or undefined for a bug (reported as a 500). */
export function toProblem(error: unknown, request?: RequestParts): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  if (error instanceof ValidateError) return problems.validation(tsoaFieldErrors(error, request));
  if (error instanceof ValidationError) return problems.validation(objectionFieldErrors(error));
  if (error instanceof NotFoundError) return problems.notFound('The resource');
  if (error instanceof UniqueViolationError)
    return problems.conflict('A resource with these values already exists.');
  if (error instanceof ForeignKeyViolationError)
    return problems.conflict('The request refers to a missing resource.');
  if (
    error instanceof NotNullViolationError ||
    error instanceof CheckViolationError ||
    error instanceof DataError
  ) {
    return problems.badRequest('The request holds a value the server cannot store.');
  }
  if (error instanceof TemporalUnavailableError) {
    return problems.unavailable('The workflow engine is unreachable; try again shortly.');
  }
  if (databaseUnavailable(error)) {
    return problems.unavailable('The database is unreachable; try again shortly.');
  }
  if (concurrentWriteConflict(error)) {
    return new HttpProblem(
      'service-unavailable',
      'Another change to the same records ran at the same time; try again.',
      { headers: { 'Retry-After': '1' } },
    );
  }
  if (error instanceof MulterError) {
    return error.code === 'LIMIT_FILE_SIZE'
      ? new HttpProblem('payload-too-large', 'The file is larger than the upload limit.')
      : problems.validation([{ field: `body.${error.field ?? 'file'}`, message: error.message }]);
  }
  // Multer passes on busboy's parse errors (a broken multipart body) with the files it had stored.
  if (error instanceof Error && Array.isArray((error as { storageErrors?: unknown }).storageErrors)) {
    return problems.validation([
      { field: 'body', message: `is not a well-formed multipart body (${error.message})` },
    ]);
  }
  // body-parser and friends tag their errors with an HTTP status and a type.
  const tagged = error as { type?: string; status?: number; limit?: number; expose?: boolean };
  if (tagged.type === 'entity.too.large') {
    return new HttpProblem(
      'payload-too-large',
      `The request body exceeds the limit of ${tagged.limit} bytes.`,
    );
  }
  if (tagged.type === 'entity.parse.failed')
    return problems.badRequest('The request body is not valid JSON.');
  if (tagged.type === 'encoding.unsupported' || tagged.type === 'charset.unsupported') {
    return new HttpProblem('unsupported-media-type', 'The request body encoding is not supported.');
  }
  // The router could not decode a path parameter (`/x/%ED%A0%80` is not UTF-8): the URL names nothing.
  if (error instanceof URIError && tagged.status === 400) {
    return problems.badRequest('The URL holds a percent-encoding that is not UTF-8.');
  }
  // Anything else they mark as the client's fault, e.g. `Content-Encoding: gzip` on a body that is not.
  if (
    tagged.expose === true &&
    typeof tagged.status === 'number' &&
    tagged.status >= 400 &&
    tagged.status < 500
  ) {
    return problems.badRequest(`The request body could not be read (${(error as Error).message}).`);
  }
  return undefined;
}

export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const requestId = req.id as string; // set by pino-http's genReqId in app.ts
  // Problem types live on the server's public address; an app built without services (a test's bare
  // Express app) names the address it was reached at.
  const publicUrl =
    (servicesOf(req) as ApiServices | undefined)?.config.http.publicUrl ??
    `${req.protocol}://${req.get('host')}`;
  const problem = toProblem(error, req);
  if (!problem) {
    req.log.error({ err: error }, 'unhandled error');
    reportError(error, {
      requestId,
      organizationId: (req as { user?: Principal }).user?.organizationId,
      route: req.route ? String((req.route as { path: string }).path) : undefined,
    });
    res
      .status(500)
      .type('application/problem+json')
      .json({
        type: problemTypeUri('internal', publicUrl),
        title: 'Internal server error',
        status: 500,
        detail: `Something went wrong on our side. Quote request id ${requestId} when you contact support.`,
        instance: redactUrl(req.originalUrl),
        requestId,
      });
    return;
  }
  if (problem.status >= 500) req.log.warn({ err: error }, problem.message);
  for (const [name, value] of Object.entries(problem.extensions.headers ?? {})) res.setHeader(name, value);
  const send = () =>
    res
      .status(problem.status)
      .type('application/problem+json')
      .json(problem.toDocument(redactUrl(req.originalUrl), requestId, publicUrl));
  // A body refused unread (too large) is still arriving: closing at once would reset the connection
  // before a slow client reads the answer. Read the rest (bounded by the server's request timeout)
  // and discard it, then answer and close.
  if (problem.status === 413 && !req.complete) {
    res.setHeader('Connection', 'close');
    req.once('end', send);
    req.resume();
    return;
  }
  send();
};

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(problems.notFound(`${req.method} ${req.path}`));
};
