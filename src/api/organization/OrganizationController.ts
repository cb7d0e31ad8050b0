import type { Request as ExRequest } from 'express';
import { Body, Controller, Get, Patch, Request, Response, Route, Security, Tags } from 'tsoa';
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
}
