import { EmailDelivery } from '../../src/db/models';
import { PASSWORD, signUp, upgrade, uniqueEmail } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { consoleAgent } from '../helpers/console';
import { useTestDatabase } from '../helpers/db';
import { linkToken } from '../helpers/mailbox';

/**
 * Email as a durable step: each email is a delivery sent by its own workflow against a real SMTP peer
 * (tests/helpers/mailbox.ts) that can refuse. The console says "sent" only once the peer accepted it.
 */

const db = useTestDatabase();
// Two attempts (2 s apart) before a delivery is failed, so the give-up path runs in seconds.
const api = useTestApi(db, {
  configure: (config) => ({ ...config, smtp: { ...config.smtp, maxAttempts: 2 } }),
});

async function deliveryOf(organizationId: string, recipient: string, settled = true): Promise<EmailDelivery> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const row = await EmailDelivery.query()
      .forOrganization(organizationId)
      .where({ recipient })
      .orderBy('createdAt', 'desc')
      .first();
    if (row && (!settled || row.status !== 'sending')) return row;
    if (Date.now() > deadline) throw new Error(`no settled delivery to ${recipient}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterEach(() => api().mailbox.refuseNext(0));

it('retries a mail server that answers "try again later", and shows the email as sent once it took it', async () => {
  api().mailbox.refuseNext(1, 451);
  const account = await signUp(api());
  const mail = await api().mailbox.waitFor(account.email, /Confirm your email/, 20_000);
  expect(api().mailbox.refused).toBeGreaterThanOrEqual(1);

  const delivery = await deliveryOf(account.session.organization.id, account.email);
  expect(delivery).toMatchObject({
    status: 'sent',
    attempts: 2,
    lastError: null,
    kind: 'email_verification',
  });
  // The link minted by the attempt that got through works.
  const verified = await api()
    .client()
    .POST('/v1/auth/verify-email', { body: { token: linkToken(mail) } });
  expect(verified.response.status).toBe(204);

  const agent = consoleAgent(api());
  await agent.signIn(account.email, PASSWORD);
  const status = await agent.page('/console/emails/verification', true);
  expect(status.body).toContain('data-status="sent"');
  expect(status.body.replace(/\s+/g, ' ')).toContain(`Email sent to ${account.email}`);
});

it('says plainly that the email could not be sent when the server keeps refusing, and sends it again on request', async () => {
  api().mailbox.refuseNext(2, 451);
  const account = await signUp(api());
  const organizationId = account.session.organization.id;
  const failed = await deliveryOf(organizationId, account.email);
  expect(failed).toMatchObject({ status: 'failed', attempts: 2, sentAt: null });
  expect(failed.lastError).toMatch(/451/);

  const agent = consoleAgent(api());
  await agent.signIn(account.email, PASSWORD);
  const page = await agent.page('/console/overview');
  expect(page.body).toContain('Please confirm your email address');
  expect(page.body).not.toMatch(/we sent a link/i);
  const status = await agent.page('/console/emails/verification', true);
  expect(status.body).toContain('data-status="failed"');
  expect(status.body.replace(/\s+/g, ' ')).toContain(`The email to ${account.email} could not be sent: `);

  const again = await agent.post('/console/verify-email/resend', {}, { htmx: true });
  expect(again.status).toBe(200);
  expect(again.body).toMatch(/data-status="(sending|sent)"/);
  await api().mailbox.waitFor(account.email, /Confirm your email/, 20_000);
  expect(await deliveryOf(organizationId, account.email)).toMatchObject({ status: 'sent', attempts: 1 });
});

it('gives up at once on a permanent refusal (5xx)', async () => {
  api().mailbox.refuseNext(1, 550);
  const account = await signUp(api());
  const failed = await deliveryOf(account.session.organization.id, account.email);
  expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
  expect(failed.lastError).toMatch(/550/);
});

it('sends an invitation again with a new link, after which the first link no longer works', async () => {
  const owner = await signUp(api());
  const organizationId = owner.session.organization.id;
  await upgrade(organizationId);
  const agent = consoleAgent(api());
  await agent.signIn(owner.email, PASSWORD);
  await agent.page('/console/team');
  const email = uniqueEmail('invitee');
  expect((await agent.post('/console/team/invitations', { email, role: 'agent' })).status).toBe(303);
  const first = await api().mailbox.waitFor(email, /invited/, 20_000);
  const delivery = await deliveryOf(organizationId, email);
  const team = await agent.page('/console/team');
  expect(team.body.replace(/\s+/g, ' ')).toContain(`Email sent to ${email}`);

  const invitationId = delivery.invitationId!;
  expect((await agent.post(`/console/team/invitations/${invitationId}/resend`, {})).status).toBe(303);
  const second = await api().mailbox.waitFor(email, /invited/, 20_000);
  expect(linkToken(second)).not.toBe(linkToken(first));
  const stale = await api()
    .client()
    .POST('/v1/auth/accept-invitation', {
      body: { token: linkToken(first), name: 'In Vitee', password: PASSWORD },
    });
  expect(stale.response.status).toBe(401);
  const accepted = await api()
    .client()
    .POST('/v1/auth/accept-invitation', {
      body: { token: linkToken(second), name: 'In Vitee', password: PASSWORD },
    });
  expect(accepted.response.status).toBe(200);
});

it('does not show one organization the emails of another', async () => {
  const owner = await signUp(api());
  const other = await signUp(api());
  const delivery = await deliveryOf(owner.session.organization.id, owner.email, false);
  const outsider = consoleAgent(api());
  await outsider.signIn(other.email, PASSWORD);
  // An invitation's email of another organization is a 404, as is a verification email by id.
  expect((await outsider.page(`/console/emails/${delivery.id}`, true)).status).toBe(404);
  const own = await outsider.page('/console/emails/verification', true);
  expect(own.body).not.toContain(owner.email);
});
