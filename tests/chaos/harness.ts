import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { loadConfig, type Config } from '../../src/config';
import { Message } from '../../src/db/models';
import { createLogger } from '../../src/lib/logger';
import { ConversationService } from '../../src/services/conversations';
import { DocumentService } from '../../src/services/documents';
import { TemporalGateway } from '../../src/temporal/client';
import { turnWorkflowId } from '../../src/workflows/contracts';
import { buildOrganization } from '../helpers/factories';
import { uploaded, waitForDocument } from '../helpers/knowledge';
import { startWorkerProcess, waitForExit } from '../helpers/worker-process';

/** Shared parts of the chaos tests: real worker processes, real turns, and exactly-once checks. */

export const root = path.join(__dirname, '..', '..');
export const DATA = path.join(root, '.data');
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ARTICLE = `# Returns

Items can be returned within 30 days of delivery for a full refund. Refunds reach the original
payment method within 5 working days after the parcel arrives at our warehouse.
`;

/** Worker processes of one test, on its task queue, killed at the end whatever happened. */
export class Workers {
  readonly children: ChildProcess[] = [];
  readonly logFile: string;

  constructor(
    readonly taskQueue: string,
    private readonly env: Record<string, string> = {},
  ) {
    fs.mkdirSync(DATA, { recursive: true });
    this.logFile = path.join(DATA, `chaos-${taskQueue}.log`);
  }

  start(): ChildProcess {
    const child = startWorkerProcess(this.taskQueue, this.logFile, this.env);
    this.children.push(child);
    return child;
  }

  get alive(): ChildProcess[] {
    return this.children.filter((c) => c.exitCode === null && c.signalCode === null);
  }

  async kill(child: ChildProcess): Promise<void> {
    child.kill('SIGKILL');
    await waitForExit(child);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.alive.map((c) => this.kill(c)));
  }
}

export interface Tenant {
  organizationId: string;
  conversations: ConversationService;
  temporal: TemporalGateway;
}

/** API-side services for a task queue (and optionally another Temporal or database). */
export function apiServices(
  knex: Knex,
  taskQueue: string,
  temporalAddress?: string,
): Tenant & { config: Config } {
  const config = loadConfig();
  const temporal = new TemporalGateway(
    { ...config.temporal, taskQueue, address: temporalAddress ?? config.temporal.address },
    createLogger({ level: 'silent', name: 'chaos-api' }),
  );
  return {
    organizationId: '',
    config,
    temporal,
    conversations: new ConversationService({ knex, temporal, config }),
  };
}

/** An organization with one help article, ingested by the running workers. */
export async function prepareTenant(knex: Knex, services: Tenant & { config: Config }): Promise<Tenant> {
  const organization = await buildOrganization({ plan: 'pro' });
  const documents = new DocumentService({ knex, temporal: services.temporal, config: services.config });
  const document = await documents.upload(organization.id, uploaded('returns.md', Buffer.from(ARTICLE)));
  expect(await waitForDocument(organization.id, document.id, ['ready', 'failed'], 180_000)).toMatchObject({
    status: 'ready',
  });
  return { ...services, organizationId: organization.id };
}

/**
 * Posts `count` visitor messages, each in its own conversation, the way a client does: with an
 * idempotency key, retrying while the API cannot reach its dependencies. Returns the message ids.
 */
export async function ask(tenant: Tenant, count: number, label: string): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const key = `${label}-${i}-${randomUUID().slice(0, 8)}`;
      const deadline = Date.now() + 120_000;
      let conversationId: string | undefined;
      for (;;) {
        try {
          conversationId ??= (await tenant.conversations.create(tenant.organizationId, { visitorId: key }))
            .id;
          const { message } = await tenant.conversations.postVisitorMessage(
            tenant.organizationId,
            conversationId,
            { content: `How many days do I have to return an item? (${label} ${i})`, clientMessageId: key },
          );
          return message.id;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await sleep(250);
        }
      }
    }),
  );
}

/** Assistant replies per visitor message, read straight from the database. */
export async function replyCounts(
  knex: Knex,
  organizationId: string,
  messageIds: string[],
): Promise<number[]> {
  const rows = await Message.query(knex)
    .forOrganization(organizationId)
    .whereIn('replyToMessageId', messageIds)
    .where('role', 'assistant')
    .select('replyToMessageId');
  const counts = new Map(messageIds.map((id) => [id, 0]));
  for (const row of rows) counts.set(row.replyToMessageId!, counts.get(row.replyToMessageId!)! + 1);
  return messageIds.map((id) => counts.get(id)!);
}

/**
 * Polls until every message has a reply; returns when that happened (ms since epoch). On a timeout
 * the error carries `explain()`, so a failure in CI says where the turns stand.
 */
export async function waitAnswered(
  knex: Knex,
  organizationId: string,
  messageIds: string[],
  timeoutMs = 180_000,
  until: (answered: number) => boolean = (answered) => answered === messageIds.length,
  explain: () => Promise<string> = () => Promise.resolve(''),
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answered = (await replyCounts(knex, organizationId, messageIds)).filter((n) => n > 0).length;
    if (until(answered)) return Date.now();
    if (Date.now() > deadline) {
      const details = await explain().catch((error: unknown) => `(no details: ${String(error)})`);
      throw new Error(`${answered} of ${messageIds.length} turns answered in time\n${details}`);
    }
    await sleep(100);
  }
}

/** Where each unanswered turn stands (workflow status, pending activities), and the workers' last complaints. */
export async function explainTurns(
  knex: Knex,
  client: Client,
  organizationId: string,
  messageIds: string[],
  workers: Workers,
): Promise<string> {
  const counts = await replyCounts(knex, organizationId, messageIds);
  const lines: string[] = [];
  for (const [i, id] of messageIds.entries()) {
    if (counts[i]! > 0) continue;
    const { raw, status } = await client.workflow.getHandle(turnWorkflowId(id)).describe();
    const pending = (raw.pendingActivities ?? []).map(
      (a) => `${a.activityType?.name} attempt ${a.attempt}: ${a.lastFailure?.message ?? 'no failure'}`,
    );
    lines.push(`${turnWorkflowId(id)} ${status.name} ${pending.join('; ') || 'no pending activity'}`);
  }
  const complaints = fs.existsSync(workers.logFile)
    ? fs
        .readFileSync(workers.logFile, 'utf8')
        .split('\n')
        .filter((line) => line && !line.includes('"level":30'))
        .slice(-30)
        .map((line) => line.slice(0, 400))
    : [];
  return [...lines, `worker processes alive: ${workers.alive.length}`, ...complaints].join('\n');
}

/**
 * Every turn workflow completes (none stuck, none failed: a reply is stored just before its workflow
 * finishes, so wait for the results), and every turn was answered exactly once.
 */
export async function expectExactlyOnce(
  knex: Knex,
  client: Client,
  organizationId: string,
  messageIds: string[],
  timeoutMs = 180_000,
): Promise<void> {
  const stuck = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`turn workflows still open after ${timeoutMs} ms`)), timeoutMs).unref(),
  );
  await Promise.race([
    Promise.all(messageIds.map((id) => client.workflow.getHandle(turnWorkflowId(id)).result())),
    stuck,
  ]);
  const statuses = await Promise.all(
    messageIds.map(
      async (id) => (await client.workflow.getHandle(turnWorkflowId(id)).describe()).status.name,
    ),
  );
  expect(statuses).toEqual(messageIds.map(() => 'COMPLETED'));
  expect(await replyCounts(knex, organizationId, messageIds)).toEqual(messageIds.map(() => 1));
}

/** Recovery times are the figures these tests exist for: print them where CI logs show them. */
export function report(name: string, figures: Record<string, number>): void {
  const text = Object.entries(figures)
    .map(([k, v]) => `${k}=${(v / 1000).toFixed(1)}s`)
    .join(' ');
  process.stdout.write(`[chaos] ${name}: ${text}\n`);
  fs.appendFileSync(path.join(DATA, 'chaos-recovery.txt'), `${new Date().toISOString()} ${name}: ${text}\n`);
}

/** A process of our own (a Temporal dev server, a PostgreSQL cluster), with its output in a log file. */
export function spawnLogged(command: string, args: string[], log: string): ChildProcess {
  const fd = fs.openSync(log, 'a');
  return spawn(command, args, { stdio: ['ignore', fd, fd] });
}
