import type { Request as ExRequest } from 'express';
import {
  Body,
  Controller,
  Delete,
  Get,
  Patch,
  Path,
  Query,
  Request,
  Response,
  Route,
  Security,
  SuccessResponse,
  Tags,
} from 'tsoa';
import {
  getMember,
  listMembers,
  removeMember,
  updateMember,
  type MemberUpdate,
  type MemberView,
} from '../../services/members';
import { actorOf } from '../auth/actor';
import { principalOf } from '../auth/principal';
import type { Page } from '../../lib/pagination';
import { PROBLEM_JSON as PROBLEM, type ProblemDocument } from '../../lib/problem';
import type { MemberRole, Uuid } from '../../domain/schemas';
import type { ApiServices } from '../services';

/** The people in the organization and their roles. Members are addressed by membership id. */
@Route('v1/members')
@Tags('Members')
export class MembersController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * The organization's members, oldest first by default.
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @param sort A field, descending with a leading `-`.
   * @param role Only members with this role.
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @summary List members
   */
  @Get()
  @Security('bearer', ['agent', 'members:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listMembers(
    @Request() req: ExRequest,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query() sort?: 'createdAt' | '-createdAt',
    @Query() role?: MemberRole,
  ): Promise<Page<MemberView>> {
    return listMembers(
      this.services.knex,
      principalOf(req).organizationId,
      { limit, cursor, sort: sort ?? 'createdAt' },
      { role },
    );
  }

  /**
   * One member.
   * @summary Get a member
   */
  @Get('{id}')
  @Security('bearer', ['agent', 'members:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such member in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getMember(@Request() req: ExRequest, @Path() id: Uuid): Promise<MemberView> {
    return getMember(this.services.knex, principalOf(req).organizationId, id);
  }

  /**
   * Changes a member's role or availability. Only owners touch the owner role; one owner always remains.
   * @summary Update a member
   */
  @Patch('{id}')
  @Security('bearer', ['admin', 'members:write'])
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such member in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'It would leave the organization without an owner', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async updateMember(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: MemberUpdate,
  ): Promise<MemberView> {
    return updateMember(this.services.knex, principalOf(req), actorOf(req), id, body);
  }

  /**
   * Removes a member and ends their sessions here. Only owners remove owners; the last owner stays.
   * @summary Remove a member
   */
  @Delete('{id}')
  @Security('bearer', ['admin', 'members:write'])
  @SuccessResponse(204, 'Removed')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such member in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'It would leave the organization without an owner', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async removeMember(@Request() req: ExRequest, @Path() id: Uuid): Promise<void> {
    await removeMember(this.services.knex, principalOf(req), actorOf(req), id);
    this.setStatus(204);
  }
}
