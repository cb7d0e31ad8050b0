import { randomUUID } from 'node:crypto';
import { HttpProblem } from '../../src/lib/problem';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/lib/logger';
import { TicketService } from '../../src/services/tickets';
import { TemporalGateway } from '../../src/temporal/client';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { agentPrincipal, buildMember, buildTicket } from '../helpers/tickets';

const db = useTestDatabase();

/** With no worker on the task queue, Temporal holds a ticket update for as long as the client waits. */
describe('a ticket change while no worker runs', () => {
  let temporal: TemporalGateway;

  beforeAll(() => {
    temporal = new TemporalGateway(
      { ...loadConfig().temporal, taskQueue: `nobody-${randomUUID()}`, updateTimeoutMs: 1_000 },
      createLogger({ level: 'silent', name: 'no-worker' }),
    );
  });
  afterAll(() => temporal.close());

  it('answers 503 "try again" within the deadline instead of hanging the request', async () => {
    const organization = await buildOrganization({ plan: 'pro' });
    const agent = await buildMember(organization.id);
    const ticket = await buildTicket(organization.id, { status: 'assigned', assigneeUserId: agent.id });
    const tickets = new TicketService({ knex: db(), temporal });
    const principal = agentPrincipal(organization.id, agent.id);

    const started = Date.now();
    const error: unknown = await tickets.setStatus(principal, ticket.id, 'pending').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpProblem);
    expect(error).toMatchObject({ status: 503, message: 'The ticket did not answer in time; try again.' });
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
