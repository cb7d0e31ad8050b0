import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { Membership, Organization, OrganizationSettings, Subscription, User } from '../db/models';
import { hashPassword } from '../lib/passwords';
import { recordAudit, type Actor } from './audit';

export interface NewOrganization {
  organizationName: string;
  ownerEmail: string;
  ownerName: string;
  password: string;
  /** Defaults to a slug derived from the name; a suffix is added when it is taken. */
  slug?: string;
  emailVerified?: boolean;
}

export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug || 'org';
}

export const newWidgetKey = (): string => `pk_${randomBytes(18).toString('base64url')}`;

/** Sign-up: the organization, its settings and Free subscription, the owner and the membership, atomically. */
export async function createOrganizationWithOwner(
  knex: Knex,
  input: NewOrganization,
): Promise<{ organization: Organization; owner: User }> {
  const passwordHash = await hashPassword(input.password);
  return knex.transaction(async (trx) => {
    const base = input.slug ?? slugify(input.organizationName);
    const taken = await Organization.query(trx).where('slug', base).resultSize();
    const slug = taken ? `${base}-${randomBytes(3).toString('hex')}` : base;
    // returning('*'): callers get the database defaults (timestamps) too.
    const organization = await Organization.query(trx)
      .insert({ name: input.organizationName, slug, plan: 'free', widgetKey: newWidgetKey() })
      .returning('*');
    await OrganizationSettings.query(trx).forOrganization(organization.id).insert({});
    await Subscription.query(trx).forOrganization(organization.id).insert({ plan: 'free', status: 'free' });
    const owner = await User.query(trx)
      .insert({
        email: input.ownerEmail.trim().toLowerCase(),
        name: input.ownerName,
        passwordHash,
        emailVerifiedAt: input.emailVerified ? new Date() : null,
      })
      .returning('*');
    await Membership.query(trx).forOrganization(organization.id).insert({ userId: owner.id, role: 'owner' });
    return { organization, owner };
  });
}

export interface OrganizationView {
  id: string;
  name: string;
  slug: string;
  plan: 'free' | 'pro' | 'enterprise';
  /** Public key the widget snippet presents; it identifies the organization and grants nothing else. */
  widgetKey: string;
  createdAt: Date;
  updatedAt: Date;
}

export const toOrganizationView = (o: Organization): OrganizationView => ({
  id: o.id,
  name: o.name,
  slug: o.slug,
  plan: o.plan,
  widgetKey: o.widgetKey,
  createdAt: o.createdAt,
  updatedAt: o.updatedAt,
});

/** @example {"name": "Acme Kites"} */
export interface OrganizationUpdate {
  /**
   * @minLength 1
   * @maxLength 200
   */
  name?: string;
}

export async function findOrganization(
  knex: Knex,
  organizationId: string,
): Promise<Organization | undefined> {
  return Organization.query(knex).findById(organizationId);
}

export async function getOrganization(knex: Knex, organizationId: string): Promise<Organization> {
  return Organization.query(knex).findById(organizationId).throwIfNotFound();
}

export async function updateOrganization(
  knex: Knex,
  actor: Actor,
  update: OrganizationUpdate,
): Promise<Organization> {
  return knex.transaction(async (trx) => {
    const organization = await Organization.query(trx)
      .patchAndFetchById(actor.organizationId, update)
      .throwIfNotFound();
    await recordAudit(
      trx,
      actor,
      'organization.updated',
      { type: 'organization', id: organization.id },
      { ...update },
    );
    return organization;
  });
}
