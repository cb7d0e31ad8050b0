import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/lib/paths';
import { ingestFiles } from './lib/knowledge';
import { apiServices, createTenant, runWithStack, spawnApi, spawnWorker } from './lib/stack';
import { machine, ms, pct, summarize, table } from './lib/stats';
import { BenchVisitor, DEMO_QUESTIONS } from './lib/visitor';

/**
 * `npm run bench:widget`: BENCH_VISITORS (default 100) visitors, each on its own WebSocket, send
 * BENCH_MESSAGES (default 3) messages at the same moment and again as soon as each reply arrives,
 * against the API and a worker running as separate processes (extractive generator). Prints p50/p95
 * time to the first streamed token and to the full reply, and the errors.
 */

const visitors = Number(process.env.BENCH_VISITORS ?? 100);
const messages = Number(process.env.BENCH_MESSAGES ?? 3);
const ORIGIN = 'https://www.bench.example';

runWithStack(async (stack) => {
  await spawnWorker(stack);
  const baseUrl = await spawnApi(stack);
  const { documents } = apiServices(stack);
  const tenant = await createTenant(stack, 'Widget bench', [ORIGIN]);
  const folder = path.join(projectRoot, 'seed', 'demo-docs');
  await ingestFiles(
    stack.knex,
    documents,
    tenant.organization.id,
    fs.readdirSync(folder).map((name) => ({ name, content: fs.readFileSync(path.join(folder, name)) })),
  );
  const key = tenant.organization.widgetKey;
  // Warm-up: the worker's first turns load code paths and the tenant's index.
  const warm = await BenchVisitor.open(baseUrl, key, ORIGIN, 'warm');
  for (const question of DEMO_QUESTIONS.slice(0, 3)) await warm.ask(question);
  warm.close();

  const sockets = await Promise.all(
    Array.from({ length: visitors }, (_, i) => BenchVisitor.open(baseUrl, key, ORIGIN, `v${i}`)),
  );
  const firstToken: number[] = [];
  const reply: number[] = [];
  const errors = new Map<string, number>();
  const started = performance.now();
  await Promise.all(
    sockets.map(async (socket, v) => {
      for (let m = 0; m < messages; m++) {
        try {
          const timing = await socket.ask(DEMO_QUESTIONS[(v + m) % DEMO_QUESTIONS.length]!);
          reply.push(timing.replyMs);
          if (timing.firstTokenMs !== null) firstToken.push(timing.firstTokenMs);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          errors.set(reason, (errors.get(reason) ?? 0) + 1);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const socket of sockets) socket.close();

  const sent = visitors * messages;
  const failed = [...errors.values()].reduce((a, b) => a + b, 0);
  const line = (name: string, samples: number[]) => {
    const s = summarize(samples);
    return [name, s.n, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];
  };
  console.log(
    `${visitors} visitor sockets × ${messages} messages (${sent} turns) in ${seconds.toFixed(1)} s ` +
      `(${(reply.length / seconds).toFixed(1)} replies/s); API and worker as separate processes, generator ` +
      `${stack.config.generation.provider}; ${machine()}\n`,
  );
  console.log(
    table(
      ['visitor sees', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [line('first streamed token', firstToken), line('full reply', reply)],
    ),
  );
  console.log(`\nerrors: ${failed} of ${sent} (${pct(failed / sent)})`);
  for (const [reason, count] of errors) console.log(`  ${count} × ${reason}`);
});
