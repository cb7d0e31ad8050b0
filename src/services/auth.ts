import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import type { Config } from '../config';
import {
  Invitation,
  Membership,
  Organization,
  RefreshToken,
  User,
  UserToken,
  type EmailDelivery,
  type UserTokenPurpose,
} from '../db/models';
import { PLAN_CATALOG } from '../domain/plans';
import type { Logger } from '../lib/logger';
import { hashPassword, verifyPassword } from '../lib/passwords';
import { newSecret, sha256 } from '../lib/secrets';
import { HttpProblem, problems } from '../lib/problem';
import type { Principal } from '../domain/principal';
import { ALL_SCOPES } from '../domain/scopes';
import type { Email, MemberRole, OpaqueToken, Password, Uuid } from '../domain/schemas';
import type { AccessTokens } from './access-tokens';
import { recordAudit } from './audit';
import type { TemporalGateway } from '../temporal/client';
import { queueEmail } from './emails';
import { createOrganizationWithOwner, toOrganizationView, type OrganizationView } from './organizations';
import { findUserByEmail, normalizeEmail, toUserView, type UserView } from './users';
import type { Integer } from '../domain/schemas';

/** What the account flows need from the app. */
export interface AuthDeps {
  config: Config;
  knex: Knex;
  logger: Logger;
  /** Emails are sent by workflows (src/workflows/email.ts). */
  temporal: TemporalGateway;
  accessTokens: AccessTokens;
}

/** @example {"organizationName": "Acme Kites", "name": "Dana Smith", "email": "dana@example.com", "password": "correct horse battery staple"} */
export interface SignUpRequest {
  /**
   * @minLength 1
   * @maxLength 200
   */
  organizationName: string;
  /**
   * Your name.
   * @minLength 1
   * @maxLength 200
   */
  name: string;
  email: Email;
  password: Password;
}

/** @example {"email": "dana@example.com", "password": "correct horse battery staple"} */
export interface LoginRequest {
  email: Email;
  /** @maxLength 200 */
  password: string;
  /** The organization to sign in to; defaults to the first one you joined. */
  organizationId?: Uuid;
}

/** @example {"refreshToken": "rt_3kq9Zx2mVb7LpQe1"} */
export interface RefreshRequest {
  refreshToken: OpaqueToken;
}

/** @example {"email": "dana@example.com"} */
export interface PasswordResetRequest {
  email: Email;
}

/** @example {"token": "pr_8FhX2nQa5", "password": "a new long passphrase"} */
export interface PasswordResetConfirmation {
  /** The token from the emailed link. */
  token: OpaqueToken;
  password: Password;
}

/** @example {"token": "ev_7DkP1sWq4"} */
export interface EmailVerification {
  /** The token from the emailed link. */
  token: OpaqueToken;
}

/** @example {"token": "inv_5LmQ9rTz2", "name": "Robin Lee", "password": "correct horse battery staple"} */
export interface InvitationAcceptance {
  /** The token from the emailed link. */
  token: OpaqueToken;
  /**
   * Required when no account exists yet for the invited email.
   * @minLength 1
   * @maxLength 200
   */
  name?: string;
  /** The new account's password, or the existing account's password. */
  password: Password;
}

/** A signed-in member in one organization. */
export interface Session {
  tokenType: 'Bearer';
  /** Send as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: Integer;
  /** Exchange at POST /v1/auth/refresh for a new session; each refresh token works once. */
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  user: UserView;
  organization: OrganizationView;
  role: MemberRole;
}

const REFRESH_PREFIX = 'rt_';

const invalidCredentials = (): HttpProblem =>
  new HttpProblem('unauthorized', 'The email or password is incorrect.');
const invalidLink = (): HttpProblem =>
  new HttpProblem('unauthorized', 'This link is invalid, has expired or was already used.');
const invalidRefreshToken = (): HttpProblem =>
  new HttpProblem('unauthorized', 'The refresh token is invalid, expired or revoked; sign in again.');

/** Verified when the email is unknown, so a wrong email costs as long as a wrong password. */
const DUMMY_HASH = hashPassword(newSecret(''));

const addSeconds = (seconds: number): Date => new Date(Date.now() + seconds * 1000);

async function startSession(
  deps: AuthDeps,
  user: User,
  membership: Membership,
  familyId: string = randomUUID(),
  db: Knex | Knex.Transaction = deps.knex,
): Promise<Session> {
  const refreshToken = newSecret(REFRESH_PREFIX);
  const expiresAt = addSeconds(deps.config.auth.refreshTokenTtlSeconds);
  const [organization] = await Promise.all([
    Organization.query(db).findById(membership.organizationId).throwIfNotFound(),
    RefreshToken.query(db)
      .forOrganization(membership.organizationId)
      .insert({ userId: user.id, familyId, tokenHash: sha256(refreshToken), expiresAt }),
  ]);
  const accessToken = await deps.accessTokens.sign({
    userId: user.id,
    organizationId: membership.organizationId,
    sessionId: familyId,
  });
  return {
    tokenType: 'Bearer',
    accessToken,
    expiresIn: deps.accessTokens.ttlSeconds,
    refreshToken,
    refreshTokenExpiresAt: expiresAt,
    user: toUserView(user),
    organization: toOrganizationView(organization),
    role: membership.role,
  };
}

async function revokeFamily(knex: Knex, organizationId: string, familyId: string): Promise<void> {
  await RefreshToken.query(knex)
    .forOrganization(organizationId)
    .patch({ revokedAt: new Date() })
    .where('familyId', familyId)
    .whereNull('revokedAt');
}

/** Marks a link token used, atomically: of two requests with the same link, only one gets the user. */
async function spendLinkToken(
  trx: Knex.Transaction,
  token: string,
  purpose: UserTokenPurpose,
): Promise<User> {
  const [spent] = await UserToken.query(trx)
    .patch({ usedAt: new Date() })
    .where({ tokenHash: sha256(token), purpose })
    .whereNull('usedAt')
    .where('expiresAt', '>', new Date())
    .returning('userId');
  if (!spent) throw invalidLink();
  return User.query(trx).findById(spent.userId).throwIfNotFound();
}

/** A new verification link, unless the member's email is verified already. */
export async function resendVerificationEmail(
  deps: AuthDeps,
  userId: string,
  organizationId: string,
): Promise<void> {
  const user = await User.query(deps.knex).findById(userId).throwIfNotFound();
  if (!user.emailVerifiedAt) await sendVerificationEmail(deps, user, organizationId);
}

/** Queues a verification email (its link is minted when it is sent); the delivery tells how it went. */
export function sendVerificationEmail(
  deps: AuthDeps,
  user: User,
  organizationId: string,
): Promise<EmailDelivery> {
  return queueEmail(deps, {
    organizationId,
    kind: 'email_verification',
    recipient: user.email,
    userId: user.id,
  });
}

export async function signUp(deps: AuthDeps, input: SignUpRequest, ip: string | null): Promise<Session> {
  let created: Awaited<ReturnType<typeof createOrganizationWithOwner>>;
  try {
    created = await createOrganizationWithOwner(deps.knex, {
      organizationName: input.organizationName,
      ownerName: input.name,
      ownerEmail: input.email,
      password: input.password,
    });
  } catch (error) {
    if (error instanceof UniqueViolationError && error.constraint === 'users_email_lower_unique') {
      throw problems.conflict('An account with this email already exists; sign in instead.');
    }
    throw error;
  }
  const { organization, owner } = created;
  const membership = await Membership.query(deps.knex)
    .forOrganization(organization.id)
    .findOne({ userId: owner.id });
  const actor = { organizationId: organization.id, userId: owner.id, apiKeyId: null, ip };
  await recordAudit(deps.knex, actor, 'organization.created', { type: 'organization', id: organization.id });
  await sendVerificationEmail(deps, owner, organization.id);
  return startSession(deps, owner, membership!);
}

/** The per-account sign-in throttle (api/rate-limits keeps the counts). */
export interface LoginThrottle {
  checkLogin(email: string): Promise<void>;
  recordLogin(email: string, succeeded: boolean): Promise<void>;
}

export async function login(
  deps: AuthDeps & { rateLimits: LoginThrottle },
  input: LoginRequest,
  ip: string | null,
): Promise<Session> {
  await deps.rateLimits.checkLogin(input.email);
  const user = await findUserByEmail(deps.knex, input.email);
  const valid = await verifyPassword(input.password, user?.passwordHash ?? (await DUMMY_HASH));
  await deps.rateLimits.recordLogin(input.email, Boolean(user && valid));
  if (!user || !valid) throw invalidCredentials();
  const membership = input.organizationId
    ? await Membership.query(deps.knex).forOrganization(input.organizationId).findOne({ userId: user.id })
    : await Membership.query(deps.knex)
        .unscoped('a person signs in before choosing one of their organizations')
        .where({ userId: user.id })
        .orderBy('createdAt')
        .first();
  // Same answer as a wrong password: a sign-in must not reveal which organizations exist.
  if (!membership) throw invalidCredentials();
  const actor = { organizationId: membership.organizationId, userId: user.id, apiKeyId: null, ip };
  await recordAudit(deps.knex, actor, 'auth.login', { type: 'user', id: user.id });
  return startSession(deps, user, membership);
}

/** Rotates a refresh token. Presenting a spent token again means it leaked: the whole family is revoked. */
export async function refreshSession(deps: AuthDeps, token: string, ip: string | null): Promise<Session> {
  const row = await RefreshToken.query(deps.knex)
    .unscoped('a refresh token is looked up by its hash; the row names its organization')
    .findOne({ tokenHash: sha256(token) });
  if (!row || row.revokedAt || row.expiresAt <= new Date()) throw invalidRefreshToken();
  const spent = await RefreshToken.query(deps.knex)
    .forOrganization(row.organizationId)
    .patch({ usedAt: new Date() })
    .where({ id: row.id })
    .whereNull('usedAt');
  if (spent === 0) {
    await revokeFamily(deps.knex, row.organizationId, row.familyId);
    const actor = { organizationId: row.organizationId, userId: row.userId, apiKeyId: null, ip };
    await recordAudit(
      deps.knex,
      actor,
      'auth.refresh_token_reused',
      { type: 'user', id: row.userId },
      { familyId: row.familyId },
    );
    throw invalidRefreshToken();
  }
  const [user, membership] = await Promise.all([
    User.query(deps.knex).findById(row.userId),
    Membership.query(deps.knex).forOrganization(row.organizationId).findOne({ userId: row.userId }),
  ]);
  if (!user || !membership) {
    await revokeFamily(deps.knex, row.organizationId, row.familyId);
    throw invalidRefreshToken();
  }
  return startSession(deps, user, membership, row.familyId);
}

/** Ends the session the refresh token belongs to; its access tokens stop working too. */
export async function logout(knex: Knex, token: string): Promise<void> {
  const row = await RefreshToken.query(knex)
    .unscoped('a refresh token is looked up by its hash; the row names its organization')
    .findOne({ tokenHash: sha256(token) });
  if (row) await revokeFamily(knex, row.organizationId, row.familyId);
}

/**
 * Always succeeds, so the answer does not tell whether the email has an account; the email is queued
 * after the answer, so a known address takes no longer than an unknown one. The delivery is recorded
 * in the first organization the person joined (a person outside any organization gets none).
 */
export async function requestPasswordReset(deps: AuthDeps, email: string): Promise<void> {
  const user = await findUserByEmail(deps.knex, email);
  if (!user) return;
  const queue = async () => {
    const membership = await Membership.query(deps.knex)
      .unscoped('a password reset belongs to the person, recorded in their first organization')
      .where({ userId: user.id })
      .orderBy('createdAt')
      .first();
    if (!membership) return;
    await queueEmail(deps, {
      organizationId: membership.organizationId,
      kind: 'password_reset',
      recipient: user.email,
      userId: user.id,
    });
  };
  queue().catch((error: unknown) => deps.logger.error({ err: error }, 'password reset email not queued'));
}

/** Sets the new password and signs the person out everywhere, in every organization. */
export async function resetPassword(
  deps: AuthDeps,
  input: PasswordResetConfirmation,
  ip: string | null,
): Promise<void> {
  const passwordHash = await hashPassword(input.password);
  await deps.knex.transaction(async (trx) => {
    const user = await spendLinkToken(trx, input.token, 'password_reset');
    // The link proves the person reads this mailbox, so it verifies the address as well.
    await User.query(trx)
      .findById(user.id)
      .patch({ passwordHash, emailVerifiedAt: user.emailVerifiedAt ?? new Date() });
    await RefreshToken.query(trx)
      .unscoped('a password reset ends the person’s sessions in every organization')
      .patch({ revokedAt: new Date() })
      .where({ userId: user.id })
      .whereNull('revokedAt');
    const memberships = await Membership.query(trx)
      .unscoped('the reset is recorded in each organization the person belongs to')
      .where({ userId: user.id });
    for (const { organizationId } of memberships) {
      const actor = { organizationId, userId: user.id, apiKeyId: null, ip };
      await recordAudit(trx, actor, 'auth.password_reset', { type: 'user', id: user.id }, {});
    }
  });
}

export async function verifyEmail(deps: AuthDeps, token: string): Promise<void> {
  await deps.knex.transaction(async (trx) => {
    const user = await spendLinkToken(trx, token, 'email_verification');
    if (!user.emailVerifiedAt) await User.query(trx).findById(user.id).patch({ emailVerifiedAt: new Date() });
  });
}

/** Joins the invitation's organization, creating the account when the email has none. */
export async function acceptInvitation(
  deps: AuthDeps,
  input: InvitationAcceptance,
  ip: string | null,
): Promise<Session> {
  const existing = await findUserByEmail(deps.knex, await invitedEmail(deps.knex, input.token));
  if (existing && !(await verifyPassword(input.password, existing.passwordHash))) throw invalidCredentials();
  if (!existing && !input.name) {
    throw problems.validation([{ field: 'body.name', message: 'is required to create your account' }]);
  }
  const passwordHash = existing ? undefined : await hashPassword(input.password);

  return deps.knex.transaction(async (trx) => {
    const invitation = await Invitation.query(trx)
      .unscoped('an invitation is looked up by its token; the row names its organization')
      .findOne({ tokenHash: sha256(input.token) })
      .whereNull('acceptedAt')
      .where('expiresAt', '>', new Date())
      .forUpdate();
    if (!invitation) throw invalidLink();
    const organizationId = invitation.organizationId;
    const organization = await Organization.query(trx).findById(organizationId).forUpdate().throwIfNotFound();
    const seats = PLAN_CATALOG[organization.plan].seats;
    const members = await Membership.query(trx).forOrganization(organizationId).resultSize();
    if (seats !== null && members >= seats) {
      throw problems.paymentRequired(`The ${organization.plan} plan has no free seat.`, { seats });
    }
    const user =
      existing ??
      (await User.query(trx)
        .insert({
          email: normalizeEmail(invitation.email),
          name: input.name!,
          passwordHash: passwordHash!,
          emailVerifiedAt: new Date(),
        })
        .returning('*'));
    const already = await Membership.query(trx).forOrganization(organizationId).findOne({ userId: user.id });
    if (already) throw problems.conflict('You are already a member of this organization.');
    const membership = await Membership.query(trx)
      .forOrganization(organizationId)
      .insert({ userId: user.id, role: invitation.role });
    await Invitation.query(trx)
      .forOrganization(organizationId)
      .findById(invitation.id)
      .patch({ acceptedAt: new Date() });
    const actor = { organizationId, userId: user.id, apiKeyId: null, ip };
    await recordAudit(
      trx,
      actor,
      'invitation.accepted',
      { type: 'invitation', id: invitation.id },
      { role: invitation.role },
    );
    return startSession(deps, user, membership, undefined, trx);
  });
}

/** The email an invitation token was sent to; the same 401 as any bad link when there is none. */
async function invitedEmail(knex: Knex, token: string): Promise<string> {
  const invitation = await Invitation.query(knex)
    .unscoped('an invitation is looked up by its token; the row names its organization')
    .findOne({ tokenHash: sha256(token) })
    .whereNull('acceptedAt')
    .where('expiresAt', '>', new Date());
  if (!invitation) throw invalidLink();
  return invitation.email;
}

/** The principal behind a valid access token whose session is live and whose member still belongs. */
export async function authenticateAccessToken(deps: AuthDeps, token: string): Promise<Principal | undefined> {
  const claims = await deps.accessTokens.verify(token);
  if (!claims) return undefined;
  const membership = await Membership.query(deps.knex)
    .forOrganization(claims.organizationId)
    .findOne({ userId: claims.userId })
    .whereNotExists(
      RefreshToken.query(deps.knex)
        .forOrganization(claims.organizationId)
        .where('familyId', claims.sessionId)
        .whereNotNull('revokedAt'),
    );
  if (!membership) return undefined;
  return {
    organizationId: claims.organizationId,
    userId: claims.userId,
    apiKeyId: null,
    role: membership.role,
    scopes: [ALL_SCOPES],
  };
}
