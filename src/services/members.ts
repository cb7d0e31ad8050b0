import type { Knex } from 'knex';
import { Membership, RefreshToken } from '../db/models';
import { paginate, type Page, type PageParams } from '../lib/pagination';
import { problems } from '../lib/problem';
import type { Principal } from '../domain/principal';
import type { MemberRole } from '../domain/schemas';
import { recordAudit, type Actor } from './audit';

export interface MemberView {
  /** The membership id (members are addressed by it). */
  id: string;
  userId: string;
  email: string;
  name: string;
  role: MemberRole;
  /** Whether the member takes new tickets in round-robin assignment. */
  available: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** @example {"role": "admin", "available": true} */
export interface MemberUpdate {
  /** Only an owner may grant or take away the owner role; the last owner cannot be demoted. */
  role?: MemberRole;
  available?: boolean;
}

export interface MemberFilters {
  role?: MemberRole;
}

const toView = (m: Membership): MemberView => ({
  id: m.id,
  userId: m.userId,
  email: m.user!.email,
  name: m.user!.name,
  role: m.role,
  available: m.available,
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
});

export async function listMembers(
  knex: Knex,
  organizationId: string,
  params: PageParams,
  filters: MemberFilters,
): Promise<Page<MemberView>> {
  const query = Membership.query(knex).forOrganization(organizationId).withGraphFetched('user');
  if (filters.role) query.where('role', filters.role);
  const page = await paginate(query, 'memberships', params);
  return { items: page.items.map(toView), nextCursor: page.nextCursor };
}

async function findMember(
  db: Knex | Knex.Transaction,
  organizationId: string,
  id: string,
): Promise<Membership> {
  const member = await Membership.query(db)
    .forOrganization(organizationId)
    .findById(id)
    .withGraphFetched('user');
  if (!member) throw problems.notFound('The member');
  return member;
}

export async function getMember(knex: Knex, organizationId: string, id: string): Promise<MemberView> {
  return toView(await findMember(knex, organizationId, id));
}

/** Owners are the last line of control: only owners touch owners, and one owner always remains. */
async function guardOwnerChange(
  trx: Knex.Transaction,
  principal: Principal,
  member: Membership,
): Promise<void> {
  if (principal.role !== 'owner') throw problems.forbidden('Only an owner can change or remove an owner.');
  // Lock the owners so two concurrent demotions cannot both see a second owner.
  const owners = await Membership.query(trx)
    .forOrganization(member.organizationId)
    .where('role', 'owner')
    .forUpdate();
  if (owners.length <= 1) throw problems.conflict('The organization must keep at least one owner.');
}

export async function updateMember(
  knex: Knex,
  principal: Principal,
  actor: Actor,
  id: string,
  update: MemberUpdate,
): Promise<MemberView> {
  return knex.transaction(async (trx) => {
    const member = await findMember(trx, actor.organizationId, id);
    const from = member.role;
    const roleChanges = update.role !== undefined && update.role !== from;
    if (roleChanges && update.role === 'owner' && principal.role !== 'owner') {
      throw problems.forbidden('Only an owner can make someone an owner.');
    }
    if (roleChanges && from === 'owner') await guardOwnerChange(trx, principal, member);
    await Membership.query(trx).forOrganization(actor.organizationId).findById(id).patch(update);
    if (roleChanges) {
      await recordAudit(
        trx,
        actor,
        'member.role_changed',
        { type: 'membership', id },
        { userId: member.userId, from, to: update.role },
      );
    }
    return toView(await findMember(trx, actor.organizationId, id));
  });
}

/** Removes the member and ends their sessions in this organization. */
export async function removeMember(
  knex: Knex,
  principal: Principal,
  actor: Actor,
  id: string,
): Promise<void> {
  await knex.transaction(async (trx) => {
    const member = await findMember(trx, actor.organizationId, id);
    if (member.role === 'owner') await guardOwnerChange(trx, principal, member);
    await Membership.query(trx).forOrganization(actor.organizationId).deleteById(id);
    await RefreshToken.query(trx)
      .forOrganization(actor.organizationId)
      .patch({ revokedAt: new Date() })
      .where({ userId: member.userId })
      .whereNull('revokedAt');
    await recordAudit(
      trx,
      actor,
      'member.removed',
      { type: 'membership', id },
      { userId: member.userId, email: member.user!.email, role: member.role },
    );
  });
}
