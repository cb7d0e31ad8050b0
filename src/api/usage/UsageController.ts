import { Readable } from 'node:stream';
import type { Request as ExRequest } from 'express';
import { Controller, Get, Produces, Query, Request, Response, Route, Security, Tags } from 'tsoa';
import { usageEventsPage, usageSummary, type UsageEventView, type UsageSummary } from '../../services/usage';
import { principalOf } from '../auth/principal';
import type { Page } from '../../lib/pagination';
import { PROBLEM_JSON as PROBLEM, problems, type ProblemDocument } from '../../lib/problem';
import type { ApiServices } from '../services';

const CSV_COLUMNS = ['id', 'metric', 'subjectId', 'quantity', 'periodStart', 'createdAt'] as const;

const csvCell = (value: string | number | Date): string => {
  const text = value instanceof Date ? value.toISOString() : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

function checkCursor(cursor: string | undefined): void {
  if (cursor !== undefined && !/^[0-9]{1,19}$/.test(cursor)) {
    throw problems.validation([
      { field: 'query.cursor', message: 'is not a cursor returned by this endpoint' },
    ]);
  }
}

/** Metered usage against the plan's limits, and the events behind it for reconciliation with Stripe. */
@Route('v1/usage')
@Tags('Usage')
export class UsageController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * This billing period's usage per metric (answered messages, seats) and the plan's limits.
   * @summary Get usage against plan limits
   */
  @Get()
  @Security('bearer', ['admin', 'usage:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getUsage(@Request() req: ExRequest): Promise<UsageSummary> {
    return usageSummary(this.services.knex, principalOf(req).organizationId);
  }

  /**
   * Usage events (one per answered visitor message), oldest first.
   * @param limit Page size, 1 to 1000 (default 100).
   * @param cursor `nextCursor` of the previous page.
   * @param from Recorded at or after (ISO 8601).
   * @param to Recorded before (ISO 8601).
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 1000
   * @summary List usage events
   */
  @Get('events')
  @Security('bearer', ['admin', 'usage:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listUsageEvents(
    @Request() req: ExRequest,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query() from?: Date,
    @Query() to?: Date,
  ): Promise<Page<UsageEventView>> {
    checkCursor(cursor);
    return usageEventsPage(this.services.knex, principalOf(req).organizationId, {
      limit: limit ?? 100,
      cursor,
      from,
      to,
    });
  }

  /**
   * The same events as NDJSON (one JSON object a line) or CSV (with a header row), up to 10,000 a
   * request; when more remain, the `X-Next-Cursor` header holds the cursor of the next request.
   * @param format `ndjson` (default) or `csv`.
   * @param limit Events per request, 1 to 10000 (default 10000).
   * @param cursor `X-Next-Cursor` of the previous request.
   * @param from Recorded at or after (ISO 8601).
   * @param to Recorded before (ISO 8601).
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 10000
   * @summary Export usage events (NDJSON or CSV)
   */
  @Get('events/export')
  @Produces('application/x-ndjson')
  @Produces('text/csv')
  @Security('bearer', ['admin', 'usage:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async exportUsageEvents(
    @Request() req: ExRequest,
    @Query() format?: 'ndjson' | 'csv',
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query() from?: Date,
    @Query() to?: Date,
  ): Promise<Readable> {
    checkCursor(cursor);
    const page = await usageEventsPage(this.services.knex, principalOf(req).organizationId, {
      limit: limit ?? 10_000,
      cursor,
      from,
      to,
    });
    if (page.nextCursor) this.setHeader('X-Next-Cursor', page.nextCursor);
    if (format === 'csv') {
      this.setHeader('Content-Type', 'text/csv; charset=utf-8');
      const rows = page.items.map((e) => CSV_COLUMNS.map((c) => csvCell(e[c])).join(','));
      return Readable.from([[CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n']);
    }
    this.setHeader('Content-Type', 'application/x-ndjson');
    return Readable.from(page.items.map((e) => `${JSON.stringify(e)}\n`));
  }
}
