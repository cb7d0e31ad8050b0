import type { Request as ExRequest } from 'express';
import { Controller, Get, Query, Request, Response, Route, Security, Tags } from 'tsoa';
import { computeAnalytics, type AnalyticsReport } from '../../services/analytics';
import { principalOf } from '../auth/principal';
import { PROBLEM_JSON as PROBLEM, type ProblemDocument } from '../../lib/problem';
import type { ApiServices } from '../services';

/** Support figures: volume, how much the assistant resolves, escalations, satisfaction, speed, SLAs. */
@Route('v1/analytics')
@Tags('Analytics')
export class AnalyticsController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * The organization's figures over a date range (at most 366 days; the last 30 days by default),
   * with a daily series (UTC days).
   * @param from Start of the range, inclusive (ISO 8601).
   * @param to End of the range, exclusive (ISO 8601); now by default.
   * @summary Get analytics for a period
   */
  @Get()
  @Security('bearer', ['agent', 'analytics:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid range', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getAnalytics(
    @Request() req: ExRequest,
    @Query() from?: Date,
    @Query() to?: Date,
  ): Promise<AnalyticsReport> {
    return computeAnalytics(this.services.knex, principalOf(req).organizationId, { from, to });
  }
}
