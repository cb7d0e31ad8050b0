import { randomUUID } from 'node:crypto';
import type { components, ParleyClient } from '../../src/client';
import { Organization } from '../../src/db/models';
import type { TestApi } from './api';
import { linkToken } from './mailbox';

export type Session = components['schemas']['Session'];

export const PASSWORD = 'correct horse battery staple';

export const uniqueEmail = (label = 'user'): string => `${label}-${randomUUID().slice(0, 8)}@example.com`;

export interface Account {
  session: Session;
  email: string;
  /** The generated client, signed in as the owner. */
  client: ParleyClient;
}

/** Signs up a new organization through the API and returns its owner's session. */
export async function signUp(
  api: TestApi,
  overrides: { email?: string; organizationName?: string } = {},
): Promise<Account> {
  const email = overrides.email ?? uniqueEmail('owner');
  const { data, error, response } = await api.client().POST('/v1/auth/signup', {
    body: {
      organizationName: overrides.organizationName ?? `Org ${randomUUID().slice(0, 6)}`,
      name: 'Owner Person',
      email,
      password: PASSWORD,
    },
  });
  if (!data) throw new Error(`sign-up failed: ${response.status} ${JSON.stringify(error)}`);
  return { session: data, email, client: api.client(data.accessToken) };
}

/** Plans with more than one seat, for tests that invite people. */
export async function upgrade(organizationId: string, plan: 'pro' | 'enterprise' = 'pro'): Promise<void> {
  await Organization.query().findById(organizationId).patch({ plan });
}

/** Invites `email` with `role`, accepts through the emailed link, and returns the new member's session. */
export async function addMember(
  api: TestApi,
  owner: Account,
  role: 'owner' | 'admin' | 'agent',
  email = uniqueEmail(role),
): Promise<Account> {
  const invited = await owner.client.POST('/v1/invitations', { body: { email, role } });
  if (!invited.data)
    throw new Error(`invitation failed: ${invited.response.status} ${JSON.stringify(invited.error)}`);
  const mail = await api.mailbox.waitFor(email, /invited/);
  const { data, error, response } = await api.client().POST('/v1/auth/accept-invitation', {
    body: { token: linkToken(mail), name: `${role} person`, password: PASSWORD },
  });
  if (!data) throw new Error(`accepting failed: ${response.status} ${JSON.stringify(error)}`);
  return { session: data, email, client: api.client(data.accessToken) };
}

/** jest's asymmetric matchers are typed `any`; these keep the lint's no-unsafe-assignment quiet. */
export const anyString = (): unknown => expect.any(String);
export const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);
