import { Controller, Get, Path, Response, Route, Tags } from 'tsoa';
import type { OrganizationDeletionView } from '../../services/organization-deletion';
import { PROBLEM_JSON as PROBLEM, type ProblemDocument } from '../../lib/problem';
import type { ApiServices } from '../services';

/**
 * The status of an organization's deletion. It outlives the organization and every credential of it,
 * so it takes none: the deletion's id, a random UUID given only to the owner who asked, is the key.
 */
@Route('v1/organization-deletions')
@Tags('Organization')
export class OrganizationDeletionsController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * Progress of a deletion: the stage, tables emptied, rows deleted; `deleted` when it is done.
   * @summary Get a deletion's progress
   */
  @Get('{deletionId}')
  @Response<ProblemDocument>(404, 'No deletion has this id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(
    503,
    'Progress unreadable for now (no worker or Temporal down)',
    undefined,
    PROBLEM,
  )
  public async getOrganizationDeletion(@Path() deletionId: string): Promise<OrganizationDeletionView> {
    return this.services.organizationDeletions.status(deletionId);
  }
}
