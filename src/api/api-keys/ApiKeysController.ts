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
  createApiKey,
  getApiKey,
  listApiKeys,
  type ApiKeyCreation,
  type ApiKeyView,
  type CreatedApiKey,
} from '../../services/api-keys';
import { actorOf } from '../auth/actor';
import { principalOf } from '../auth/principal';
import type { Page } from '../../lib/pagination';
import { PROBLEM_JSON as PROBLEM, type ProblemDocument } from '../../lib/problem';
import type { IdempotencyKeyHeader, Uuid } from '../../domain/schemas';
import type { ApiServices } from '../services';
import { answerIdempotently } from '../idempotency';

/** Keys for integrators: `Authorization: Bearer prly_…`. Each acts as an admin, narrowed by its scopes. */
@Route('v1/api-keys')
@Tags('API keys')
export class ApiKeysController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * Creates a key. The key is in this response only; Parley keeps just its hash and prefix.
   * A key may create keys only within its own scopes.
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Create an API key
   */
  @Post()
  @Security('bearer', ['admin', 'api_keys:write'])
  @SuccessResponse(201, 'Created')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async createApiKey(
    @Request() req: ExRequest,
    @Body() body: ApiKeyCreation,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<CreatedApiKey> {
    return answerIdempotently(this, req, idempotencyKey, body, async () => ({
      status: 201,
      body: await createApiKey(this.services.knex, principalOf(req), actorOf(req), body),
    }));
  }

  /**
   * The organization's keys, newest first by default.
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @param sort A field, descending with a leading `-`.
   * @param active true: keys in use; false: revoked keys.
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @summary List API keys
   */
  @Get()
  @Security('bearer', ['admin', 'api_keys:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listApiKeys(
    @Request() req: ExRequest,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query() sort?: 'createdAt' | '-createdAt' | 'name' | '-name',
    @Query() active?: boolean,
  ): Promise<Page<ApiKeyView>> {
    return listApiKeys(
      this.services.knex,
      principalOf(req).organizationId,
      { limit, cursor, sort },
      { active },
    );
  }

  /**
   * One key (without the secret).
   * @summary Get an API key
   */
  @Get('{id}')
  @Security('bearer', ['admin', 'api_keys:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such key in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getApiKey(@Request() req: ExRequest, @Path() id: Uuid): Promise<ApiKeyView> {
    return getApiKey(this.services.knex, principalOf(req).organizationId, id);
  }

  /**
   * Revokes a key at once; revoking a revoked key changes nothing.
   * @summary Revoke an API key
   */
  @Delete('{id}')
  @Security('bearer', ['admin', 'api_keys:write'])
  @SuccessResponse(204, 'Revoked')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such key in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async revokeApiKey(@Request() req: ExRequest, @Path() id: Uuid): Promise<void> {
    await this.services.apiKeys.revoke(principalOf(req), actorOf(req), id);
    this.setStatus(204);
  }
}
