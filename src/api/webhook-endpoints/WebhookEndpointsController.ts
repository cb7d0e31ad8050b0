import type { Request as ExRequest } from 'express';
import {
  Body,
  Controller,
  Header,
  Delete,
  Get,
  Patch,
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
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookDelivery,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  replayWebhookDelivery,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookDeliveryDetail,
  type WebhookDeliveryView,
  type WebhookEndpointCreation,
  type WebhookEndpointUpdate,
  type WebhookEndpointView,
  type WebhookEndpointWithSecret,
} from '../../services/webhooks';
import { actorOf } from '../auth/actor';
import { principalOf } from '../auth/principal';
import type { Page } from '../../lib/pagination';
import { PROBLEM_JSON as PROBLEM, type ProblemDocument } from '../../lib/problem';
import type { IdempotencyKeyHeader, Uuid } from '../../domain/schemas';
import type { WebhookDeliveryStatus } from '../../domain/webhooks';
import type { ApiServices } from '../services';
import { answerIdempotently } from '../idempotency';

/**
 * Endpoints that receive the organization's events, signed per Standard Webhooks (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature`), and the log of their deliveries.
 */
@Route('v1/webhook-endpoints')
@Tags('Webhooks')
export class WebhookEndpointsController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * Creates an endpoint. Its signing secret is in this response only (rotate it to get a new one).
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Create a webhook endpoint
   */
  @Post()
  @Security('bearer', ['admin', 'webhooks:write'])
  @SuccessResponse(201, 'Created')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async createWebhookEndpoint(
    @Request() req: ExRequest,
    @Body() body: WebhookEndpointCreation,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<WebhookEndpointWithSecret> {
    return answerIdempotently(this, req, idempotencyKey, body, async () => ({
      status: 201,
      body: await createWebhookEndpoint(this.services.knex, actorOf(req), body),
    }));
  }

  /**
   * The organization's endpoints, newest first by default.
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @param sort A field, descending with a leading `-`.
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @summary List webhook endpoints
   */
  @Get()
  @Security('bearer', ['admin', 'webhooks:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listWebhookEndpoints(
    @Request() req: ExRequest,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query() sort?: 'createdAt' | '-createdAt',
  ): Promise<Page<WebhookEndpointView>> {
    return listWebhookEndpoints(this.services.knex, principalOf(req).organizationId, {
      limit,
      cursor,
      sort,
    });
  }

  /**
   * One endpoint (without its secret).
   * @summary Get a webhook endpoint
   */
  @Get('{id}')
  @Security('bearer', ['admin', 'webhooks:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such endpoint in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getWebhookEndpoint(@Request() req: ExRequest, @Path() id: Uuid): Promise<WebhookEndpointView> {
    return getWebhookEndpoint(this.services.knex, principalOf(req).organizationId, id);
  }

  /**
   * Changes an endpoint's URL, events or description, or disables or enables it.
   * @summary Update a webhook endpoint
   */
  @Patch('{id}')
  @Security('bearer', ['admin', 'webhooks:write'])
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such endpoint in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async updateWebhookEndpoint(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: WebhookEndpointUpdate,
  ): Promise<WebhookEndpointView> {
    return updateWebhookEndpoint(this.services.knex, actorOf(req), id, body);
  }

  /**
   * Deletes an endpoint and its delivery log; deliveries under way stop.
   * @summary Delete a webhook endpoint
   */
  @Delete('{id}')
  @Security('bearer', ['admin', 'webhooks:write'])
  @SuccessResponse(204, 'Deleted')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such endpoint in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async deleteWebhookEndpoint(@Request() req: ExRequest, @Path() id: Uuid): Promise<void> {
    await deleteWebhookEndpoint(this.services.knex, actorOf(req), id);
    this.setStatus(204);
  }

  /**
   * Replaces the signing secret; the next attempt is signed with the new one, shown only here.
   * @summary Rotate an endpoint's signing secret
   */
  @Post('{id}/rotate-secret')
  @Security('bearer', ['admin', 'webhooks:write'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such endpoint in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async rotateWebhookSecret(
    @Request() req: ExRequest,
    @Path() id: Uuid,
  ): Promise<WebhookEndpointWithSecret> {
    return rotateWebhookSecret(this.services.knex, actorOf(req), id);
  }

  /**
   * An endpoint's deliveries, newest first by default.
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @param sort A field, descending with a leading `-`.
   * @param status Only deliveries in this state.
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @summary List an endpoint's deliveries
   */
  @Get('{id}/deliveries')
  @Security('bearer', ['admin', 'webhooks:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such endpoint in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listWebhookDeliveries(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query() sort?: 'createdAt' | '-createdAt',
    @Query() status?: WebhookDeliveryStatus,
  ): Promise<Page<WebhookDeliveryView>> {
    return listWebhookDeliveries(
      this.services.knex,
      principalOf(req).organizationId,
      id,
      { limit, cursor, sort },
      { status },
    );
  }

  /**
   * One delivery: the event's payload and every attempt (request, response status, body excerpt, duration).
   * @summary Get a delivery
   */
  @Get('{id}/deliveries/{deliveryId}')
  @Security('bearer', ['admin', 'webhooks:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such delivery of this endpoint', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getWebhookDelivery(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Path() deliveryId: Uuid,
  ): Promise<WebhookDeliveryDetail> {
    return getWebhookDelivery(this.services.knex, principalOf(req).organizationId, id, deliveryId);
  }

  /**
   * Sends a delivery's event again, as a new delivery with its own attempts. The `webhook-id` stays
   * the event's, so a receiver that deduplicates sees a repeat.
   * @summary Replay a delivery
   */
  @Post('{id}/deliveries/{deliveryId}/replay')
  @Security('bearer', ['admin', 'webhooks:write'])
  @SuccessResponse(202, 'Accepted')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such delivery of this endpoint', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'The endpoint is disabled', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async replayWebhookDelivery(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Path() deliveryId: Uuid,
  ): Promise<WebhookDeliveryView> {
    const replay = await replayWebhookDelivery(this.services.knex, actorOf(req), id, deliveryId);
    this.setStatus(202);
    return replay;
  }
}
