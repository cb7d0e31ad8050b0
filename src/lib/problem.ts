/**
 * RFC 9457 problem details. Every error the API sends has this shape; `type` is an absolute URI on
 * the server's public address, `<PUBLIC_URL>/problems/<slug>`, whose page explains the problem to
 * people; its slug is stable. `detail` is for humans, `errors` lists field problems.
 */
import type { Integer } from '../domain/schemas';

export interface FieldError {
  /** A JSON-pointer-like path into the request, e.g. `body.email` or `query.limit`. */
  field: string;
  message: string;
}

/** An error, as RFC 9457 problem details (`application/problem+json`). */
export interface ProblemDocument {
  /**
   * What kind of problem: an absolute URI whose page explains it (`…/problems/<slug>`).
   * @format uri
   * @example "https://parley.example.com/problems/validation"
   */
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
  'bad-request': {
    status: 400,
    title: 'Bad request',
    description: 'The request could not be read: malformed JSON or HTTP, or a value the server cannot store.',
  },
  unauthorized: {
    status: 401,
    title: 'Authentication required',
    description: 'Send a valid access token or API key as `Authorization: Bearer …`.',
  },
  'payment-required': {
    status: 402,
    title: 'Plan limit reached',
    description:
      "The plan's limit is reached; the `limit` member names it. Upgrade the plan or wait for the next period.",
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    description: "The caller's role, or the API key's scopes, do not allow this operation.",
  },
  'not-found': {
    status: 404,
    title: 'Not found',
    description:
      'No such resource in your organization (resources of other organizations are not found either).',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    description:
      'The request conflicts with the current state, e.g. a value that must be unique, or a request with the same idempotency key still running.',
  },
  'payload-too-large': {
    status: 413,
    title: 'Payload too large',
    description: 'The request body or the uploaded file exceeds the configured limit.',
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported media type',
    description:
      'The body is not of a type this operation accepts (or a file is not a supported document type).',
  },
  validation: {
    status: 422,
    title: 'Validation failed',
    description:
      'Fields of the request are invalid; `errors` lists each with its path (`body.email`, `query.limit`) and what is wrong.',
  },
  'headers-too-large': {
    status: 431,
    title: 'Request header fields too large',
    description: 'The URL and headers together exceed 16 KB.',
  },
  'rate-limited': {
    status: 429,
    title: 'Too many requests',
    description:
      'The rate limit is reached; retry after the seconds `Retry-After` gives (`RateLimit` tells how much quota is left).',
  },
  internal: {
    status: 500,
    title: 'Internal server error',
    description: 'A fault on the server; quote the `requestId` when you contact support.',
  },
  'service-unavailable': {
    status: 503,
    title: 'Service unavailable',
    description: 'A dependency (the database or the workflow engine) is unreachable; retry shortly.',
  },
} as const;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

/** The media type of every error response (for `@Response(…, PROBLEM_JSON)` in controllers). */
export const PROBLEM_JSON = 'application/problem+json';

/** The path of a problem type's page; its URI is this path on the server's public address. */
export const problemTypePath = (slug: ProblemSlug): string => `/problems/${slug}`;

/** A problem type's absolute URI on `publicUrl` (the server's public address). */
export const problemTypeUri = (slug: ProblemSlug, publicUrl: string): string =>
  new URL(problemTypePath(slug), `${publicUrl}/`).href;

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

  toDocument(instance: string, requestId: string, publicUrl: string): ProblemDocument {
    const { headers: _headers, ...extensions } = this.extensions;
    return {
      type: problemTypeUri(this.slug, publicUrl),
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
  rateLimited: (retryAfterSeconds: number, headers: Record<string, string> = {}) =>
    new HttpProblem('rate-limited', `Too many requests; retry in ${retryAfterSeconds} seconds.`, {
      headers: { ...headers, 'Retry-After': String(retryAfterSeconds) },
    }),
  unavailable: (detail: string) => new HttpProblem('service-unavailable', detail),
};
