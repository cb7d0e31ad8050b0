import type { Knex } from 'knex';
import { Document, Invitation, Membership, Message, Organization, User } from '../db/models';

/**
 * The getting-started checklist a new organization's overview shows. Every step ticks itself from
 * the organization's own state; the checklist shows until every step is done or an admin dismisses
 * it (stored on the organization, so it is gone for the whole team).
 */

export type OnboardingStepKey = 'documents' | 'test_chat' | 'widget' | 'teammate' | 'email';

export interface OnboardingStep {
  key: OnboardingStepKey;
  done: boolean;
}

export interface Onboarding {
  steps: OnboardingStep[];
  done: number;
  /** Whether the overview shows it: some step is open and nobody dismissed it. */
  visible: boolean;
}

export async function onboardingChecklist(
  knex: Knex,
  organizationId: string,
  userId: string,
): Promise<Onboarding> {
  const [organization, document, asked, members, invitations, user] = await Promise.all([
    Organization.query(knex).findById(organizationId),
    Document.query(knex).forOrganization(organizationId).select('id').first(),
    Message.query(knex).forOrganization(organizationId).where('role', 'visitor').select('id').first(),
    Membership.query(knex).forOrganization(organizationId).resultSize(),
    Invitation.query(knex).forOrganization(organizationId).resultSize(),
    User.query(knex).findById(userId),
  ]);
  const steps: OnboardingStep[] = [
    { key: 'documents', done: document !== undefined },
    // Someone asked the assistant: the console's test chat (or an early visitor) did.
    { key: 'test_chat', done: asked !== undefined },
    { key: 'widget', done: Boolean(organization?.widgetInstalledAt) },
    { key: 'teammate', done: members > 1 || invitations > 0 },
    { key: 'email', done: Boolean(user?.emailVerifiedAt) },
  ];
  const done = steps.filter((s) => s.done).length;
  return { steps, done, visible: done < steps.length && !organization?.onboardingDismissedAt };
}

export async function dismissOnboarding(knex: Knex, organizationId: string): Promise<void> {
  await Organization.query(knex)
    .findById(organizationId)
    .whereNull('onboardingDismissedAt')
    .patch({ onboardingDismissedAt: new Date() });
}

/** Records the first widget session started on a site other than Parley's own (idempotent). */
export async function markWidgetInstalled(knex: Knex, organizationId: string): Promise<void> {
  await Organization.query(knex)
    .findById(organizationId)
    .whereNull('widgetInstalledAt')
    .patch({ widgetInstalledAt: new Date() });
}
