import fs from 'node:fs';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { projectRoot } from '../src/lib/paths';
import { ingestFiles } from './lib/knowledge';
import { apiServices, createTenant, runWithStack, startWorker } from './lib/stack';
import { machine, ms, summarize, table, verdict } from './lib/stats';
import { workflowTimes } from './lib/history';

/**
 * `npm run bench:turn`: BENCH_TURNS (default 60) chat turns, one after another, on a tenant holding the
 * demo help centre, with the configured generator (extractive by default). For each turn, from its
 * workflow history: wall time (workflow started → completed), the time covered by activities (local
 * ones each from their own scheduling, not from the start of their workflow task), and the
 * orchestration overhead = wall time − activity time, split into workflow-task time (the worker
 * running workflow code, its local activities taken out) and the rest (Temporal's server and queues).
 * Goals: overhead p50 ≤ 50 ms, p95 ≤ 150 ms.
 */

const turns = Number(process.env.BENCH_TURNS ?? 60);
const QUESTIONS = [
  'How long do I have to ask for a refund?',
  'How do I turn on two-factor authentication?',
  'How do I export all of my notes?',
  'My notes are not syncing between devices, what can I do?',
  'How do I invite my team?',
  'Which plans do you offer?',
  'What is the airspeed of an unladen swallow?',
  'Can I change my email address?',
];

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

runWithStack(async (stack) => {
  await startWorker(stack);
  const { documents, conversations, temporal } = apiServices(stack);
  const tenant = await createTenant(stack, 'Turn bench');
  const organizationId = tenant.organization.id;
  const folder = path.join(projectRoot, 'seed', 'demo-docs');
  await ingestFiles(
    stack.knex,
    documents,
    organizationId,
    fs.readdirSync(folder).map((name) => ({ name, content: fs.readFileSync(path.join(folder, name)) })),
  );
  const client = await temporal.getClient();

  const rows = {
    client: [] as number[],
    wall: [] as number[],
    activities: [] as number[],
    local: [] as number[],
    overhead: [] as number[],
    workflowTasks: [] as number[],
    server: [] as number[],
  };
  const perActivity = new Map<string, number[]>();
  const outcomes = new Map<string, number>();
  for (let i = -3; i < turns; i++) {
    const conversation = await conversations.create(organizationId, { visitorId: `turn-bench-${i}` });
    const started = performance.now();
    const { workflowId } = await conversations.postVisitorMessage(organizationId, conversation.id, {
      content: QUESTIONS[(i + QUESTIONS.length) % QUESTIONS.length]!,
    });
    const { result } = await conversations.awaitReply(organizationId, workflowId, 60_000);
    const clientMs = performance.now() - started;
    if (i < 0) continue; // warm-up turns
    outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    const times = workflowTimes(events);
    for (const interval of times.intervals) {
      const list = perActivity.get(interval.type) ?? [];
      list.push(interval.end - interval.start);
      perActivity.set(interval.type, list);
    }
    rows.client.push(clientMs);
    rows.wall.push(times.wall);
    rows.activities.push(times.activities);
    rows.local.push(times.localActivities);
    rows.overhead.push(times.overhead);
    rows.workflowTasks.push(times.workflowTasks);
    rows.server.push(times.overhead - times.workflowTasks);
  }

  const line = (name: string, samples: number[]) => {
    const s = summarize(samples);
    return [name, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.mean)];
  };
  console.log(
    `${turns} turns (${[...outcomes].map(([o, n]) => `${n} ${o}`).join(', ')}), generator ` +
      `${stack.config.generation.provider}, one at a time; ${machine()}\n`,
  );
  console.log(
    table(
      ['per turn', 'p50 ms', 'p95 ms', 'p99 ms', 'mean ms'],
      [
        line('client: post message → reply stored', rows.client),
        line('workflow wall time (history)', rows.wall),
        line('activity time (union of intervals)', rows.activities),
        line('  of which local activities', rows.local),
        line('orchestration overhead (wall − activities)', rows.overhead),
        line('  workflow tasks (workflow code, no local activities)', rows.workflowTasks),
        line('  Temporal server and queues (the rest)', rows.server),
        ...[...perActivity].map(([type, samples]) => line(`  activity ${type}`, samples)),
      ],
    ),
  );
  const overhead = summarize(rows.overhead);
  console.log(
    `\ngoal: overhead p50 ${ms(overhead.p50)} ms ≤ 50 ms ${verdict(overhead.p50 <= 50)}, ` +
      `p95 ${ms(overhead.p95)} ms ≤ 150 ms ${verdict(overhead.p95 <= 150)}`,
  );
});
