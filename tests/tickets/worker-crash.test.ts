import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { Ticket } from '../../src/db/models';
import { createLogger } from '../../src/lib/logger';
import { TicketService } from '../../src/services/tickets';
import { TemporalGateway } from '../../src/temporal/client';
import { ticketStateQuery, ticketWorkflowId } from '../../src/workflows/contracts';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { Mailbox } from '../helpers/mailbox';
import { agentPrincipal, buildMember, buildTicket, eventOf, eventually } from '../helpers/tickets';
import { startWorkerProcess, waitForExit } from '../helpers/worker-process';

const db = useTestDatabase();

describe('a worker killed with SIGKILL while a ticket workflow waits on its SLA timer', () => {
  const children: ChildProcess[] = [];
  const mailbox = new Mailbox();
  const taskQueue = `ticket-crash-${randomUUID()}`;
  const logFile = path.join(__dirname, '..', '..', '.data', `ticket-crash-${taskQueue}.log`);
  let smtpPort: number;
  let temporal: TemporalGateway;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    smtpPort = await mailbox.start();
    const config = loadConfig();
    temporal = new TemporalGateway(
      { ...config.temporal, taskQueue },
      createLogger({ level: 'silent', name: 't' }),
    );
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await temporal.close();
    await connection.close();
    await mailbox.stop();
  });

  /** Starts a worker process and waits until its health endpoint says it polls. */
  async function startWorker(): Promise<ChildProcess> {
    const healthPort = 20_000 + Math.floor(Math.random() * 20_000);
    const child = startWorkerProcess(taskQueue, logFile, {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtpPort),
      WORKER_HEALTH_PORT: String(healthPort),
    });
    children.push(child);
    await eventually(
      () =>
        fetch(`http://127.0.0.1:${healthPort}/`)
          .then((res) => res.status)
          .catch(() => 0),
      (status) => status === 200,
      'the worker to run',
      120_000,
    );
    return child;
  }

  it('keeps the ticket state and fires the timer after a restart', async () => {
    const organization = await buildOrganization({ plan: 'pro' });
    const [first, second] = [await buildMember(organization.id), await buildMember(organization.id)];
    const tickets = new TicketService({ knex: db(), temporal });
    const principal = agentPrincipal(organization.id, first.id);
    const crashed = await startWorker();

    const ticket = await buildTicket(organization.id, {
      priority: 'normal',
      assigneeUserId: first.id,
      firstResponseDueAt: new Date(Date.now() + 15_000),
      resolutionDueAt: new Date(Date.now() + 3_600_000),
    });
    // The API's first change starts the workflow from the row; it then waits on the first-response timer.
    await tickets.assign(principal, ticket.id, second.id);
    const handle = client.workflow.getHandle(ticketWorkflowId(ticket.id));
    const before = await handle.query(ticketStateQuery);
    expect(before).toMatchObject({ status: 'assigned', assigneeUserId: second.id, priority: 'normal' });

    crashed.kill('SIGKILL');
    await waitForExit(crashed);
    const killedAt = Date.now();
    expect(await Ticket.query().forOrganization(organization.id).findById(ticket.id)).toMatchObject({
      assigneeUserId: second.id,
      firstResponseBreachedAt: null,
    });

    await startWorker();
    const breach = await eventOf(organization.id, ticket.id, 'sla_breached');
    expect(breach.data).toMatchObject({ kind: 'first_response', from: 'normal', to: 'high' });
    expect(new Date(breach.createdAt).getTime()).toBeGreaterThan(killedAt);
    await mailbox.waitFor(second.email, /missed its first-response target/, 30_000);
    const after = await handle.query(ticketStateQuery);
    expect(after).toMatchObject({
      status: 'assigned',
      assigneeUserId: second.id,
      priority: 'high',
      firstResponseBreachedAt: expect.any(String) as string,
    });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    // The timer fired once: one breach, one email.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(mailbox.messages.filter((m) => m.to.includes(second.email.toLowerCase()))).toHaveLength(0);
  }, 300_000);
});
