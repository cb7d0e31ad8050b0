import type { Request as ExRequest } from 'express';
import {
  Body,
  Header,
  Controller,
  Delete,
  Get,
  Path,
  Post,
  Query,
  Request,
  Response,
  Route,
  Security,
  SuccessResponse,
  Tags,
} from 'tsoa';
import {
  createInvitation,
  getInvitation,
  listInvitations,
  revokeInvitation,
  type InvitationCreation,
  type InvitationStatus,
  type InvitationView,
} from '../../services/invitations';
import { actorOf } from '../auth/actor';
import { principalOf } from '../auth/principal';
import type { Page } from '../../lib/pagination';
import { PROBLEM_JSON as PROBLEM, type ProblemDocument } from '../../lib/problem';
import type { IdempotencyKeyHeader, Uuid } from '../../domain/schemas';
import type { ApiServices } from '../services';
import { answerIdempotently } from '../idempotency';

/** Invitations by email; the invitee accepts at POST /v1/auth/accept-invitation. */
@Route('v1/invitations')
@Tags('Members')
export class InvitationsController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * Invites someone with a role and emails them a link. Inviting an address again replaces its pending invitation.
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Invite someone
   */
  @Post()
  @Security('bearer', ['admin', 'members:write'])
  @SuccessResponse(201, 'Invited')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(402, 'The plan has no free seat', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'Already a member', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async createInvitation(
    @Request() req: ExRequest,
    @Body() body: InvitationCreation,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<InvitationView> {
    return answerIdempotently(this, req, idempotencyKey, body, async () => ({
      status: 201,
      body: await createInvitation(this.services, principalOf(req), actorOf(req), body),
    }));
  }

  /**
   * The organization's invitations, newest first by default.
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @param sort A field, descending with a leading `-`.
   * @param status Only invitations in this state.
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @summary List invitations
   */
  @Get()
  @Security('bearer', ['admin', 'members:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listInvitations(
    @Request() req: ExRequest,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query() sort?: 'createdAt' | '-createdAt',
    @Query() status?: InvitationStatus,
  ): Promise<Page<InvitationView>> {
    return listInvitations(
      this.services.knex,
      principalOf(req).organizationId,
      { limit, cursor, sort },
      { status },
    );
  }

  /**
   * One invitation.
   * @summary Get an invitation
   */
  @Get('{id}')
  @Security('bearer', ['admin', 'members:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such invitation in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getInvitation(@Request() req: ExRequest, @Path() id: Uuid): Promise<InvitationView> {
    return getInvitation(this.services.knex, principalOf(req).organizationId, id);
  }

  /**
   * Withdraws an invitation; its link stops working.
   * @summary Revoke an invitation
   */
  @Delete('{id}')
  @Security('bearer', ['admin', 'members:write'])
  @SuccessResponse(204, 'Revoked')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such invitation in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async revokeInvitation(@Request() req: ExRequest, @Path() id: Uuid): Promise<void> {
    await revokeInvitation(this.services.knex, actorOf(req), id);
    this.setStatus(204);
  }
}
