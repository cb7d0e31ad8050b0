import { randomUUID } from 'node:crypto';
import type { Principal } from '../../src/domain/principal';
import { ALL_SCOPES } from '../../src/domain/scopes';
import type { ParleyClient } from '../../src/client';
import { Conversation, Membership, Ticket, TicketEvent, User } from '../../src/db/models';

export const HUMAN_PLEASE = 'Can I talk to a real person please?';

/** Posts a visitor message through the API and waits for its chat turn. */
export async function visitorSays(client: ParleyClient, conversationId: string, content: string) {
  const { data, error, response } = await client.POST('/v1/conversations/{id}/messages', {
    params: { path: { id: conversationId }, query: { wait: true } },
    body: { content },
  });
  if (!data) throw new Error(`posting failed: ${response.status} ${JSON.stringify(error)}`);
  return data;
}

/** Polls until `test` holds for the value `read` returns (workflows run in the worker). */
export async function eventually<T>(
  read: () => Promise<T>,
  test: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (test(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const ticketsOf = async (organizationId: string, conversationId: string): Promise<Ticket[]> =>
  await Ticket.query()
    .forOrganization(organizationId)
    .where('conversationId', conversationId)
    .orderBy('number');

export const eventsOf = async (organizationId: string, ticketId: string): Promise<TicketEvent[]> =>
  await TicketEvent.query().forOrganization(organizationId).where('ticketId', ticketId).orderBy('id');

/** Waits until the ticket's timeline has an event of `type` (e.g. the first assignment attempt). */
export const eventOf = async (organizationId: string, ticketId: string, type: string): Promise<TicketEvent> =>
  (
    await eventually(
      () => eventsOf(organizationId, ticketId),
      (events) => events.some((e) => e.type === type),
      `a ${type} event on ticket ${ticketId}`,
    )
  ).find((e) => e.type === type)!;

/** A member of the organization (a user row and a membership), for tests that need an assignee. */
export async function buildMember(
  organizationId: string,
  role: 'owner' | 'admin' | 'agent' = 'agent',
): Promise<User> {
  const user = await User.query().insert({
    email: `${role}-${randomUUID().slice(0, 8)}@example.com`,
    name: `${role} person`,
    passwordHash: 'not-a-password',
  });
  await Membership.query().forOrganization(organizationId).insert({ userId: user.id, role });
  return user;
}

/** A member acting through the console or the API: what the ticket service is called with. */
export const agentPrincipal = (organizationId: string, userId: string): Principal => ({
  organizationId,
  userId,
  apiKeyId: null,
  role: 'agent',
  scopes: [ALL_SCOPES],
});

/** A conversation escalated to a ticket, as the escalation activity leaves it (without its workflow). */
export async function buildTicket(
  organizationId: string,
  overrides: Partial<
    Pick<Ticket, 'status' | 'priority' | 'assigneeUserId' | 'firstResponseDueAt' | 'resolutionDueAt'>
  > = {},
): Promise<Ticket> {
  const conversation = await Conversation.query()
    .forOrganization(organizationId)
    .insert({ visitorId: `visitor-${randomUUID()}`, status: 'escalated', handledBy: 'agent' });
  const last = (await Ticket.query()
    .forOrganization(organizationId)
    .max('number as max')
    .first()) as unknown as {
    max: number | null;
  };
  const ticket = await Ticket.query()
    .forOrganization(organizationId)
    .insert({
      conversationId: conversation.id,
      number: (last?.max ?? 0) + 1,
      reason: 'visitor asked for a human',
      status: overrides.assigneeUserId ? 'assigned' : 'open',
      ...overrides,
    })
    .returning('*');
  await TicketEvent.query().forOrganization(organizationId).insert({ ticketId: ticket.id, type: 'created' });
  return ticket;
}
