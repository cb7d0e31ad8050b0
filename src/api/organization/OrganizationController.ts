import { Readable } from 'node:stream';
import type { Request as ExRequest } from 'express';
import {
  Body,
  Controller,
  Delete,
  Get,
  Patch,
  Produces,
  Request,
  Response,
  Route,
  Security,
  SuccessResponse,
  Tags,
} from 'tsoa';
import { exportOrganization } from '../../services/organization-export';
import type {
  OrganizationDeletionRequest,
  OrganizationDeletionView,
} from '../../services/organization-deletion';
import {
  getOrganization,
  toOrganizationView,
  updateOrganization,
  type OrganizationUpdate,
  type OrganizationView,
} from '../../services/organizations';
import { getSettings, updateSettings, type SettingsUpdate, type SettingsView } from '../../services/settings';
import { actorOf } from '../auth/actor';
import { principalOf } from '../auth/principal';
import { PROBLEM_JSON as PROBLEM, type ProblemDocument } from '../../lib/problem';
import type { ApiServices } from '../services';

/** The caller's organization and its settings (widget, assistant, escalation, allowed origins). */
@Route('v1/organization')
@Tags('Organization')
export class OrganizationController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * The caller's organization.
   * @summary Get the organization
   */
  @Get()
  @Security('bearer', ['agent', 'organization:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getOrganization(@Request() req: ExRequest): Promise<OrganizationView> {
    return toOrganizationView(await getOrganization(this.services.knex, principalOf(req).organizationId));
  }

  /**
   * Renames the organization.
   * @summary Rename the organization
   */
  @Patch()
  @Security('bearer', ['admin', 'organization:write'])
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async updateOrganization(
    @Request() req: ExRequest,
    @Body() body: OrganizationUpdate,
  ): Promise<OrganizationView> {
    return toOrganizationView(await updateOrganization(this.services.knex, actorOf(req), body));
  }

  /**
   * The organization's settings.
   * @summary Get the settings
   */
  @Get('settings')
  @Security('bearer', ['agent', 'organization:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getSettings(@Request() req: ExRequest): Promise<SettingsView> {
    return getSettings(this.services.knex, principalOf(req).organizationId);
  }

  /**
   * Changes settings: each field given replaces the stored one whole; fields left out stay as they are.
   * @summary Update settings
   */
  @Patch('settings')
  @Security('bearer', ['admin', 'organization:write'])
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async updateSettings(
    @Request() req: ExRequest,
    @Body() body: SettingsUpdate,
  ): Promise<SettingsView> {
    return updateSettings(this.services.knex, actorOf(req), body);
  }

  /**
   * All of the organization's data as NDJSON, streamed: one JSON object a line, each with a `type`
   * (`export` first, then `organization`, `settings`, `subscription`, `member`, `document` with its
   * current text, `invitation`, `api_key`, `conversation`, `message`, `attachment`, `ticket`,
   * `ticket_event` (its own type in `eventType`), `usage_event`, `webhook_endpoint`, `audit_log`). One
   * consistent snapshot; no secrets (password, token and key hashes, webhook signing secrets), no
   * file bytes or embeddings.
   * @summary Export the organization's data
   */
  @Get('export')
  @Produces('application/x-ndjson')
  @Security('bearer', ['admin', 'organization:export'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async exportOrganization(@Request() req: ExRequest): Promise<Readable> {
    const { organizationId } = principalOf(req);
    const records = exportOrganization(this.services.knex, organizationId);
    // The first record is read before answering, so a failure to start is still a problem document.
    const first = await records.next();
    const stream = Readable.from(
      (async function* () {
        if (!first.done) yield `${JSON.stringify(first.value)}\n`;
        for await (const record of records) yield `${JSON.stringify(record)}\n`;
      })(),
    );
    const log = req.log;
    // tsoa pipes the stream into the response: a client that goes away ends the read (and its
    // transaction), and a failure half-way cuts the response short rather than ending it cleanly.
    req.res!.on('close', () => stream.destroy());
    stream.on('error', (error) => {
      log.error({ err: error, organizationId }, 'organization export failed half-way');
      req.res!.destroy(error);
    });
    this.setHeader('Content-Type', 'application/x-ndjson');
    this.setHeader('Content-Disposition', 'attachment; filename="organization-export.ndjson"');
    return stream;
  }

  /**
   * Deletes the organization and all its data: its Stripe subscription is canceled, its rows, stored
   * files and search indexes deleted, and the accounts of members who belong to no other
   * organization. Owners only, confirmed with the organization's name. The work runs as a durable
   * workflow: the answer is 202 with the deletion's status URL (also in `Location`), which stays
   * readable after the organization and its credentials are gone. A repeated request returns the same
   * deletion.
   * @summary Delete the organization
   */
  @Delete()
  @SuccessResponse(202, 'Deletion started')
  @Security('bearer', ['owner'])
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Only an owner may delete the organization', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(
    422,
    'Invalid fields, or a confirmation that is not the name',
    undefined,
    PROBLEM,
  )
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'Temporal is unavailable; nothing was deleted', undefined, PROBLEM)
  public async deleteOrganization(
    @Request() req: ExRequest,
    @Body() body: OrganizationDeletionRequest,
  ): Promise<OrganizationDeletionView> {
    const deletion = await this.services.organizationDeletions.request(actorOf(req), body);
    this.setStatus(202);
    this.setHeader('Location', deletion.statusUrl);
    return deletion;
  }
}
