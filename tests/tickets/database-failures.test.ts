import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { HttpProblem } from '../../src/lib/problem';
import { loadConfig } from '../../src/config';
import { Ticket } from '../../src/db/models';
import { createLogger } from '../../src/lib/logger';
import { loadTicketSnapshot } from '../../src/services/ticket-store';
import { TicketService } from '../../src/services/tickets';
import { TemporalGateway } from '../../src/temporal/client';
import { nonRetryableDatabaseFailure } from '../../src/worker/database-failures';
import { assignTicketUpdate, DATABASE_FAILURES, ticketStartOptions } from '../../src/workflows/contracts';
import type { ticketLifecycle } from '../../src/workflows/tickets';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { useTestWorker } from '../helpers/temporal';
import { agentPrincipal, buildMember, buildTicket, eventsOf } from '../helpers/tickets';

const db = useTestDatabase();
const worker = useTestWorker(db);

/** The error PostgreSQL (through Knex, or Objection) raises for `run`. */
const errorOf = async (run: () => PromiseLike<unknown>): Promise<unknown> =>
  run().then(
    () => undefined,
    (e: unknown) => e,
  );

describe("activities' database failures", () => {
  it('make data exceptions (class 22) and integrity violations (class 23) non-retryable, nothing else', async () => {
    await db().raw('create temporary table once_only (id int primary key)');
    await db().raw('insert into once_only values (1)');
    const cases: [string, unknown, string][] = [
      [
        'NUL in text (22021)',
        await errorOf(() => db().raw('select ?::text', ['a\u0000b'])),
        DATABASE_FAILURES.refusedValue,
      ],
      [
        'out-of-range integer (22003)',
        await errorOf(() => db().raw('select ?::int', [2 ** 40])),
        DATABASE_FAILURES.refusedValue,
      ],
      [
        'not a uuid, through Objection (22P02)',
        await errorOf(() => Ticket.query().unscoped('test').findById('nope')),
        DATABASE_FAILURES.refusedValue,
      ],
      [
        'duplicate key (23505)',
        await errorOf(() => db().raw('insert into once_only values (1)')),
        DATABASE_FAILURES.integrityViolation,
      ],
    ];
    for (const [what, error, type] of cases) {
      expect([what, error]).not.toEqual([what, undefined]);
      const failure = nonRetryableDatabaseFailure(error);
      expect([what, failure]).toEqual([what, expect.any(ApplicationFailure)]);
      expect(failure).toMatchObject({ type, nonRetryable: true });
      expect(failure!.message).toMatch(/^The database refused the change \(SQLSTATE 2[23]/);
    }
    // What may pass on a later attempt stays retryable.
    for (const error of [
      Object.assign(new Error('could not serialize access'), { code: '40001' }),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection'), { code: '57P01' }),
      new Error('a bug'),
      ApplicationFailure.create({ type: 'TicketConflict', message: 'closed', nonRetryable: true }),
    ]) {
      expect(nonRetryableDatabaseFailure(error)).toBeUndefined();
    }
  });

  describe('in a ticket workflow', () => {
    let temporal: TemporalGateway;
    beforeAll(() => {
      temporal = new TemporalGateway(
        { ...loadConfig().temporal, taskQueue: worker().taskQueue, updateTimeoutMs: 5_000 },
        createLogger({ level: 'silent', name: 'database-failures' }),
      );
    });
    afterAll(() => temporal.close());

    it('fail the change fast with a clear error, and the ticket takes the next change', async () => {
      const organization = await buildOrganization({ plan: 'pro' });
      const agent = await buildMember(organization.id);
      const ticket = await buildTicket(organization.id, { status: 'assigned', assigneeUserId: agent.id });
      const tickets = new TicketService({ knex: db(), temporal });
      const principal = agentPrincipal(organization.id, agent.id);

      // Past the edge's checks (a caller of the service, a future path): the activity meets the database.
      const started = Date.now();
      const note = await tickets
        .addNote(principal, ticket.id, { content: 'before\u0000after' })
        .catch((e: unknown) => e);
      expect(note).toBeInstanceOf(HttpProblem);
      expect(note).toMatchObject({ status: 422, message: 'The change holds a value that cannot be stored.' });
      expect(Date.now() - started).toBeLessThan(4_000);

      // A PostgreSQL data exception inside the activity (a user id that is not a uuid).
      const client = await temporal.getClient();
      const snapshot = await loadTicketSnapshot(db(), organization.id, ticket.id);
      const update = client.workflow.executeUpdateWithStart(assignTicketUpdate, {
        args: [{ userId: 'not-a-uuid', actorUserId: agent.id }],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof ticketLifecycle>('ticketLifecycle', {
          ...ticketStartOptions(snapshot!, worker().taskQueue),
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
      const failed = await update.catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(WorkflowUpdateFailedError);
      const types: string[] = [];
      for (let cause: unknown = (failed as Error).cause; cause instanceof Error; cause = cause.cause) {
        types.push((cause as { type?: string }).type ?? cause.name);
      }
      expect(types).toContain(DATABASE_FAILURES.refusedValue);
      expect(Date.now() - started).toBeLessThan(8_000);

      // The workflow is still there and serves the next change at once.
      const content = `A normal note ${randomUUID()}`;
      const next = await tickets.addNote(principal, ticket.id, { content });
      expect(next.message.content).toBe(content);
      expect((await eventsOf(organization.id, ticket.id)).map((e) => e.type)).toContain('note');
      const description = await client.workflow.getHandle(`ticket-${ticket.id}`).describe();
      expect(description.status.name).toBe('RUNNING');
    });
  });
});
