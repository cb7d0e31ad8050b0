import type { Request as ExRequest } from 'express';
import { Body, Controller, Get, Post, Request, Response, Route, Security, SuccessResponse, Tags } from 'tsoa';
import {
  acceptInvitation,
  login,
  logout,
  refreshSession,
  requestPasswordReset,
  resetPassword,
  resendVerificationEmail,
  signUp,
  verifyEmail,
  type EmailVerification,
  type InvitationAcceptance,
  type LoginRequest,
  type PasswordResetConfirmation,
  type PasswordResetRequest,
  type RefreshRequest,
  type Session,
  type SignUpRequest,
} from '../../services/auth';
import { getOrganization, toOrganizationView, type OrganizationView } from '../../services/organizations';
import { findUser, toUserView, type UserView } from '../../services/users';
import { PROBLEM_JSON as PROBLEM, problems, type ProblemDocument } from '../../lib/problem';
import type { MemberRole } from '../../domain/schemas';
import type { ApiServices } from '../services';
import { principalOf } from './principal';

export interface Me {
  organization: OrganizationView;
  role: MemberRole;
  /** The signed-in member; null when the caller is an API key. */
  user: UserView | null;
  /** The calling API key; null for members. */
  apiKeyId: string | null;
  /** `*` for members and unrestricted keys. */
  scopes: string[];
}

/** Sign-up, sign-in, sessions and the emailed-link flows. POSTs here are rate-limited per IP address. */
@Route('v1/auth')
@Tags('Auth')
export class AuthController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * Creates an organization and its owner, emails a verification link, and signs the owner in.
   * @summary Sign up
   */
  @Post('signup')
  @SuccessResponse(201, 'Signed up')
  @Response<ProblemDocument>(409, 'An account with this email exists', undefined, PROBLEM)
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async signUp(@Request() req: ExRequest, @Body() body: SignUpRequest): Promise<Session> {
    const session = await signUp(this.services, body, req.ip ?? null);
    this.setStatus(201);
    return session;
  }

  /**
   * Signs in with email and password. A wrong email and a wrong password get the same answer.
   * @summary Sign in
   */
  @Post('login')
  @Response<ProblemDocument>(401, 'Wrong email or password', undefined, PROBLEM)
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async login(@Request() req: ExRequest, @Body() body: LoginRequest): Promise<Session> {
    return login(this.services, body, req.ip ?? null);
  }

  /**
   * Exchanges a refresh token for a new session. Reusing a spent refresh token ends the session.
   * @summary Refresh a session
   */
  @Post('refresh')
  @Response<ProblemDocument>(401, 'Invalid, expired, revoked or reused refresh token', undefined, PROBLEM)
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async refresh(@Request() req: ExRequest, @Body() body: RefreshRequest): Promise<Session> {
    return refreshSession(this.services, body.refreshToken, req.ip ?? null);
  }

  /**
   * Ends the session of this refresh token; its access tokens stop working too.
   * @summary Sign out
   */
  @Post('logout')
  @SuccessResponse(204, 'Signed out')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async logout(@Body() body: RefreshRequest): Promise<void> {
    await logout(this.services.knex, body.refreshToken);
    this.setStatus(204);
  }

  /**
   * Emails a password-reset link when the address has an account; the answer is the same either way.
   * @summary Request a password reset
   */
  @Post('password-reset')
  @SuccessResponse(202, 'If the address has an account, a link is on its way')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async requestPasswordReset(@Body() body: PasswordResetRequest): Promise<void> {
    await requestPasswordReset(this.services, body.email);
    this.setStatus(202);
  }

  /**
   * Sets a new password with the emailed token (once) and signs the person out everywhere.
   * @summary Reset the password
   */
  @Post('password-reset/confirm')
  @SuccessResponse(204, 'Password changed')
  @Response<ProblemDocument>(401, 'Invalid, expired or used link', undefined, PROBLEM)
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async resetPassword(
    @Request() req: ExRequest,
    @Body() body: PasswordResetConfirmation,
  ): Promise<void> {
    await resetPassword(this.services, body, req.ip ?? null);
    this.setStatus(204);
  }

  /**
   * Confirms the email address with the emailed token (once).
   * @summary Verify the email address
   */
  @Post('verify-email')
  @SuccessResponse(204, 'Email verified')
  @Response<ProblemDocument>(401, 'Invalid, expired or used link', undefined, PROBLEM)
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async verifyEmail(@Body() body: EmailVerification): Promise<void> {
    await verifyEmail(this.services, body.token);
    this.setStatus(204);
  }

  /**
   * Emails a new verification link to the signed-in member.
   * @summary Resend the verification email
   */
  @Post('verify-email/resend')
  @Security('bearer')
  @SuccessResponse(202, 'A link is on its way')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Not a member (API keys have no email)', undefined, PROBLEM)
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async resendVerification(@Request() req: ExRequest): Promise<void> {
    const { userId, organizationId } = principalOf(req);
    if (!userId) throw problems.forbidden('Only a signed-in member has an email address to verify.');
    await resendVerificationEmail(this.services, userId, organizationId);
    this.setStatus(202);
  }

  /**
   * Accepts an emailed invitation: joins the organization (creating the account if needed) and signs in.
   * @summary Accept an invitation
   */
  @Post('accept-invitation')
  @Response<ProblemDocument>(
    401,
    'Invalid, expired or used invitation, or wrong password',
    undefined,
    PROBLEM,
  )
  @Response<ProblemDocument>(402, 'The plan has no free seat', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'Already a member', undefined, PROBLEM)
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async acceptInvitation(
    @Request() req: ExRequest,
    @Body() body: InvitationAcceptance,
  ): Promise<Session> {
    return acceptInvitation(this.services, body, req.ip ?? null);
  }

  /**
   * Who is calling: the member or API key, its organization, role and scopes.
   * @summary Who am I
   */
  @Get('me')
  @Security('bearer')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'A restricted API key', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async me(@Request() req: ExRequest): Promise<Me> {
    const principal = principalOf(req);
    const [organization, user] = await Promise.all([
      getOrganization(this.services.knex, principal.organizationId),
      principal.userId ? findUser(this.services.knex, principal.userId) : undefined,
    ]);
    return {
      organization: toOrganizationView(organization),
      role: principal.role,
      user: user ? toUserView(user) : null,
      apiKeyId: principal.apiKeyId,
      scopes: principal.scopes,
    };
  }
}
