import type { Request as ExRequest } from 'express';
import { Controller, Get, Query, Request, Response, Route, Security, Tags } from 'tsoa';
import { listAuditEntries, type AuditEntryView } from '../../services/audit';
import { principalOf } from '../auth/principal';
import type { Page } from '../../lib/pagination';
import { PROBLEM_JSON as PROBLEM, type ProblemDocument } from '../../lib/problem';
import type { Uuid } from '../../domain/schemas';
import type { ApiServices } from '../services';

/** Sensitive actions: sign-ins, key creation and revocation, role changes, removals, settings changes. */
@Route('v1/audit-log')
@Tags('Audit log')
export class AuditLogController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * The organization's audit entries, newest first by default.
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @param sort A field, descending with a leading `-`.
   * @param action Only this action, e.g. `api_key.created`.
   * @param actorUserId Only actions by this member (user id).
   * @param targetType Only actions on this kind of object, e.g. `membership`.
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @summary List audit entries
   */
  @Get()
  @Security('bearer', ['admin', 'audit_log:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listAuditEntries(
    @Request() req: ExRequest,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query() sort?: 'createdAt' | '-createdAt',
    @Query() action?: string,
    @Query() actorUserId?: Uuid,
    @Query() targetType?: string,
  ): Promise<Page<AuditEntryView>> {
    return listAuditEntries(
      this.services.knex,
      principalOf(req).organizationId,
      { limit, cursor, sort },
      { action, actorUserId, targetType },
    );
  }
}
