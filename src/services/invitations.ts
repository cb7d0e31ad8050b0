import type { Knex } from 'knex';
import { Invitation, Membership, Organization } from '../db/models';
import { PLAN_CATALOG } from '../domain/plans';
import { newSecret, sha256 } from '../lib/secrets';
import { paginate, type Page, type PageParams } from '../lib/pagination';
import { problems } from '../lib/problem';
import type { Principal } from '../domain/principal';
import type { Email, MemberRole } from '../domain/schemas';
import type { AuthDeps } from './auth';
import { recordAudit, type Actor } from './audit';
import { queueEmail } from './emails';
import { seatsInUse } from './usage';
import { findUserByEmail, normalizeEmail } from './users';

export type InvitationStatus = 'pending' | 'accepted' | 'expired';

export interface InvitationView {
  id: string;
  email: string;
  role: MemberRole;
  status: InvitationStatus;
  invitedByUserId: string | null;
  expiresAt: Date;
  acceptedAt: Date | null;
  createdAt: Date;
}

/** @example {"email": "dana@example.com", "role": "agent"} */
export interface InvitationCreation {
  email: Email;
  /** Only an owner may invite an owner. */
  role: MemberRole;
}

export interface InvitationFilters {
  status?: InvitationStatus;
}

const statusOf = (i: Invitation): InvitationStatus =>
  i.acceptedAt ? 'accepted' : i.expiresAt <= new Date() ? 'expired' : 'pending';

const toView = (i: Invitation): InvitationView => ({
  id: i.id,
  email: i.email,
  role: i.role,
  status: statusOf(i),
  invitedByUserId: i.invitedByUserId,
  expiresAt: i.expiresAt,
  acceptedAt: i.acceptedAt,
  createdAt: i.createdAt,
});

/** Invites someone by email; inviting the same address again replaces the pending invitation. */
export async function createInvitation(
  deps: AuthDeps,
  principal: Principal,
  actor: Actor,
  input: InvitationCreation,
): Promise<InvitationView> {
  if (input.role === 'owner' && principal.role !== 'owner') {
    throw problems.forbidden('Only an owner can invite an owner.');
  }
  const email = normalizeEmail(input.email);
  // A placeholder that is never sent: the delivery mints the link it mails (src/services/emails.ts).
  const token = newSecret('lt_');
  const ttl = deps.config.auth.invitationTtlSeconds;
  const { invitation, organization } = await deps.knex.transaction(async (trx) => {
    // Locking the organization serializes seat counting between concurrent invitations.
    const organization = await Organization.query(trx)
      .findById(actor.organizationId)
      .forUpdate()
      .throwIfNotFound();
    const user = await findUserByEmail(trx, email);
    if (user) {
      const member = await Membership.query(trx)
        .forOrganization(organization.id)
        .findOne({ userId: user.id });
      if (member) throw problems.conflict('This person is already a member.');
    }
    await Invitation.query(trx)
      .forOrganization(organization.id)
      .where({ email })
      .whereNull('acceptedAt')
      .delete();
    const seats = PLAN_CATALOG[organization.plan].seats;
    if (seats !== null) {
      const used = await seatsInUse(trx, organization.id);
      if (used >= seats) {
        throw problems.paymentRequired(
          `The ${PLAN_CATALOG[organization.plan].name} plan has ${seats} seat${seats === 1 ? '' : 's'}, all taken by members and pending invitations. Upgrade to invite more people.`,
          { metric: 'seats', limit: seats, used, plan: organization.plan },
        );
      }
    }
    const invitation = await Invitation.query(trx)
      .forOrganization(organization.id)
      .insert({
        email,
        role: input.role,
        tokenHash: sha256(token),
        invitedByUserId: actor.userId,
        expiresAt: new Date(Date.now() + ttl * 1000),
      })
      .returning('*');
    await recordAudit(
      trx,
      actor,
      'invitation.created',
      { type: 'invitation', id: invitation.id },
      { email, role: input.role },
    );
    return { invitation, organization };
  });
  await queueEmail(deps, {
    organizationId: organization.id,
    kind: 'invitation',
    recipient: email,
    invitationId: invitation.id,
  });
  return toView(invitation);
}

export async function listInvitations(
  knex: Knex,
  organizationId: string,
  params: PageParams,
  filters: InvitationFilters,
): Promise<Page<InvitationView>> {
  const query = Invitation.query(knex).forOrganization(organizationId);
  const now = new Date();
  if (filters.status === 'accepted') query.whereNotNull('acceptedAt');
  if (filters.status === 'pending') query.whereNull('acceptedAt').where('expiresAt', '>', now);
  if (filters.status === 'expired') query.whereNull('acceptedAt').where('expiresAt', '<=', now);
  const page = await paginate(query, 'invitations', params);
  return { items: page.items.map(toView), nextCursor: page.nextCursor };
}

export async function getInvitation(knex: Knex, organizationId: string, id: string): Promise<InvitationView> {
  const invitation = await Invitation.query(knex).forOrganization(organizationId).findById(id);
  if (!invitation) throw problems.notFound('The invitation');
  return toView(invitation);
}

/** Withdraws an invitation: its link stops working. */
export async function revokeInvitation(knex: Knex, actor: Actor, id: string): Promise<void> {
  await knex.transaction(async (trx) => {
    const invitation = await Invitation.query(trx).forOrganization(actor.organizationId).findById(id);
    if (!invitation) throw problems.notFound('The invitation');
    await Invitation.query(trx).forOrganization(actor.organizationId).deleteById(id);
    await recordAudit(
      trx,
      actor,
      'invitation.revoked',
      { type: 'invitation', id },
      { email: invitation.email },
    );
  });
}

/** Emails a pending invitation again, with a new link (the one sent before stops working). */
export async function resendInvitation(deps: AuthDeps, actor: Actor, id: string): Promise<void> {
  const invitation = await Invitation.query(deps.knex).forOrganization(actor.organizationId).findById(id);
  if (!invitation) throw problems.notFound('The invitation');
  if (statusOf(invitation) !== 'pending') {
    throw problems.conflict(`The invitation is ${statusOf(invitation)}; invite the person again instead.`);
  }
  await queueEmail(deps, {
    organizationId: actor.organizationId,
    kind: 'invitation',
    recipient: invitation.email,
    invitationId: invitation.id,
  });
}
