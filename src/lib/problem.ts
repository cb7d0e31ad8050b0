/**
 * RFC 9457 problem details. Every error the API sends has this shape; `type` is stable and
 * documented at /problems/<slug>, `detail` is for humans, `errors` lists field problems.
 */
import type { Integer } from '../domain/schemas';

export interface FieldError {
  /** A JSON-pointer-like path into the request, e.g. `body.email` or `query.limit`. */
  field: string;
  message: string;
}

export interface ProblemDocument {
  type: string;
  title: string;
  /** The HTTP status code. */
  status: Integer;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  /** Extension members, e.g. the limit that was reached. */
  [extension: string]: unknown;
}

export const PROBLEM_TYPES = {
  'bad-request': { status: 400, title: 'Bad request' },
  unauthorized: { status: 401, title: 'Authentication required' },
  'payment-required': { status: 402, title: 'Plan limit reached' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  validation: { status: 422, title: 'Validation failed' },
  'headers-too-large': { status: 431, title: 'Request header fields too large' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  'service-unavailable': { status: 503, title: 'Service unavailable' },
} as const;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

/** The media type of every error response (for `@Response(…, PROBLEM_JSON)` in controllers). */
export const PROBLEM_JSON = 'application/problem+json';

export const problemTypeUri = (slug: ProblemSlug): string => `/problems/${slug}`;

/** A known failure that maps to an HTTP status; thrown by services, rendered by the error handler. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly slug: ProblemSlug,
    detail: string,
    readonly extensions: {
      errors?: FieldError[];
      headers?: Record<string, string>;
      [key: string]: unknown;
    } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = PROBLEM_TYPES[slug].status;
    this.title = PROBLEM_TYPES[slug].title;
  }

  toDocument(instance: string, requestId: string): ProblemDocument {
    const { headers: _headers, ...extensions } = this.extensions;
    return {
      type: problemTypeUri(this.slug),
      title: this.title,
      status: this.status,
      detail: this.message,
      instance,
      requestId,
      ...extensions,
    };
  }
}

export const problems = {
  badRequest: (detail: string) => new HttpProblem('bad-request', detail),
  unauthorized: (detail = 'Missing or invalid credentials.') => new HttpProblem('unauthorized', detail),
  forbidden: (detail = 'Your role does not allow this action.') => new HttpProblem('forbidden', detail),
  notFound: (what: string) => new HttpProblem('not-found', `${what} was not found.`),
  conflict: (detail: string) => new HttpProblem('conflict', detail),
  validation: (errors: FieldError[], detail = 'The request has invalid fields.') =>
    new HttpProblem('validation', detail, { errors }),
  paymentRequired: (detail: string, limit: Record<string, unknown>) =>
    new HttpProblem('payment-required', detail, { limit }),
  rateLimited: (retryAfterSeconds: number) =>
    new HttpProblem('rate-limited', `Too many requests; retry in ${retryAfterSeconds} seconds.`, {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    }),
  unavailable: (detail: string) => new HttpProblem('service-unavailable', detail),
};
