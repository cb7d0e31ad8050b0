import { randomBytes, randomUUID } from 'node:crypto';
import { Organization, OrganizationSettings, Subscription } from '../../src/db/models';
import type { Plan } from '../../src/domain/plans';

const unique = (): string => randomUUID().slice(0, 8);

/** An organization with its settings and subscription rows, as sign-up creates them. */
export async function buildOrganization(
  overrides: { name?: string; plan?: Plan } = {},
): Promise<Organization> {
  const suffix = unique();
  const organization = await Organization.query().insert({
    name: overrides.name ?? `Acme ${suffix}`,
    slug: `acme-${suffix}`,
    plan: overrides.plan ?? 'free',
    widgetKey: `wk_${randomBytes(16).toString('hex')}`,
  });
  await OrganizationSettings.query().forOrganization(organization.id).insert({});
  await Subscription.query()
    .forOrganization(organization.id)
    .insert({ plan: organization.plan, status: 'free' });
  return organization;
}
