import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createParleyClient } from '../src/client';
import { projectRoot } from '../src/lib/paths';
import { ingestFiles } from './lib/knowledge';
import { apiServices, createTenant, runWithStack, spawnApi, spawnWorker, type BenchStack } from './lib/stack';
import { machine, ms, pct, sleep, summarize, table, verdict } from './lib/stats';
import { BenchVisitor } from './lib/visitor';
import scenarioSettings from '../loadtest/lib/settings.json';

/**
 * `npm run load:<profile>` (chat, api, ingest, soak): the scenarios of the k6 scripts in loadtest/,
 * driven from Node because k6 cannot be installed here — virtual users over `node:http` and `ws`.
 * Starts the API and a worker as child processes on the bench database, with a tenant holding the demo
 * help centre, an API key and a widget key; prints p50/p95/p99, the error rate, and the k6 thresholds
 * and this machine's goals from loadtest/lib/settings.json, whose users and durations it runs by
 * default, as k6 does. LOAD_SECONDS shortens or lengthens a run; LOAD_USERS changes the chat users.
 */

/**
 * The scenarios, defined once in loadtest/lib/settings.json: the k6 scripts read the same file
 * (tests/foundation/loadtest.test.ts checks both take it as it is).
 */
const settings = scenarioSettings;
const ORIGIN = 'https://www.load.example';

interface Target {
  baseUrl: string;
  apiKey: string;
  widgetKey: string;
  documentId: string;
  conversationId: string;
}

async function prepare(stack: BenchStack): Promise<Target> {
  await spawnWorker(stack);
  const baseUrl = await spawnApi(stack);
  const tenant = await createTenant(stack, 'Load', [ORIGIN]);
  const folder = path.join(projectRoot, 'seed', 'demo-docs');
  const ids = await ingestFiles(
    stack.knex,
    apiServices(stack).documents,
    tenant.organization.id,
    fs.readdirSync(folder).map((name) => ({ name, content: fs.readFileSync(path.join(folder, name)) })),
  );
  const login = await createParleyClient(baseUrl).POST('/v1/auth/login', {
    body: { email: tenant.email, password: tenant.password },
  });
  const client = createParleyClient(baseUrl, login.data!.accessToken);
  const key = await client.POST('/v1/api-keys', { body: { name: 'load test' } });
  const conversation = await createParleyClient(baseUrl, key.data!.key).POST('/v1/conversations', {
    body: { visitorId: 'load-visitor' },
  });
  return {
    baseUrl,
    apiKey: key.data!.key,
    widgetKey: tenant.organization.widgetKey,
    documentId: [...ids.values()][0]!,
    conversationId: conversation.data!.id,
  };
}

const errorLine = (failed: number, total: number) =>
  `errors ${failed} of ${total} (${pct(failed / Math.max(total, 1))}); threshold < ${pct(settings.thresholds.errorRate, 1)} ${verdict(failed / Math.max(total, 1) < settings.thresholds.errorRate)}`;

const latencyRow = (name: string, samples: number[]) => {
  const s = summarize(samples);
  return [name, s.n, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];
};

/**
 * Chat users on the widget socket: they arrive one by one over the settings' `rampSeconds` (k6's
 * ramping-vus), then all `users` stay for `seconds`; each asks, waits for the reply, thinks, and asks
 * again. The goal is judged on the questions asked once every user is there; the arrival phase is
 * reported beside it.
 */
async function chat(
  target: Target,
  users: number,
  seconds: number,
): Promise<{ p95: number; lines: string[] }> {
  const arriving = { reply: [] as number[], firstToken: [] as number[] };
  const steady = { reply: [] as number[], firstToken: [] as number[] };
  const failures = new Map<string, number>();
  const fail = (error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    failures.set(reason, (failures.get(reason) ?? 0) + 1);
  };
  const { rampSeconds, thinkMinSeconds, thinkMaxSeconds } = settings.chat;
  const started = performance.now();
  const steadyFrom = started + rampSeconds * 1000;
  const deadline = steadyFrom + seconds * 1000;
  await Promise.all(
    Array.from({ length: users }, async (_, u) => {
      await sleep((u / users) * rampSeconds * 1000);
      // One socket per visitor, a new one (a returning visitor) after each session, as in k6.
      const open = () => BenchVisitor.open(target.baseUrl, target.widgetKey, ORIGIN, `u${u}`);
      let visitor: BenchVisitor;
      let opened = performance.now();
      try {
        visitor = await open();
      } catch (error) {
        fail(error);
        return;
      }
      for (let i = 0; performance.now() < deadline; i++) {
        if (performance.now() - opened >= settings.chat.sessionSeconds * 1000) {
          visitor.close();
          try {
            visitor = await open();
            opened = performance.now();
          } catch (error) {
            fail(error);
            return;
          }
        }
        const phase = performance.now() >= steadyFrom ? steady : arriving;
        try {
          const timing = await visitor.ask(settings.questions[(u + i) % settings.questions.length]!);
          phase.reply.push(timing.replyMs);
          if (timing.firstTokenMs !== null) phase.firstToken.push(timing.firstTokenMs);
        } catch (error) {
          fail(error);
        }
        await sleep(1000 * (thinkMinSeconds + Math.random() * (thinkMaxSeconds - thinkMinSeconds)));
      }
      visitor.close();
    }),
  );
  const p95 = summarize(steady.reply).p95;
  const answered = steady.reply.length + arriving.reply.length;
  const failed = [...failures.values()].reduce((sum, n) => sum + n, 0);
  return {
    p95,
    lines: [
      table(
        ['chat (widget socket)', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
        [
          latencyRow(`first streamed token, ${users} users`, steady.firstToken),
          latencyRow(`full reply, ${users} users`, steady.reply),
          latencyRow(`full reply, users arriving (${rampSeconds} s)`, arriving.reply),
        ],
      ),
      `reply p95 at ${users} users ${ms(p95)} ms: threshold < ${settings.thresholds.chatReplyP95Ms} ms ${verdict(p95 < settings.thresholds.chatReplyP95Ms)}, ` +
        `goal ≤ ${settings.goals.chatReplyP95Ms} ms ${verdict(p95 <= settings.goals.chatReplyP95Ms)}`,
      errorLine(failed, answered + failed),
      ...[...failures].map(([reason, n]) => `  ${n} × ${reason}`),
    ],
  };
}

/** One keep-alive HTTP request; resolves with its status and wall time. */
function timedRequest(
  agent: http.Agent,
  url: URL,
  method: string,
  headers: http.OutgoingHttpHeaders,
  body?: string,
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(url, { agent, method, headers }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.once('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(body);
  });
}

/**
 * The API mix of loadtest/api.js, as k6 runs it: `users` virtual users, each looping over five reads
 * (lists and details) one after another, a new conversation every tenth loop, then 100 ms of sleep.
 */
async function api(
  target: Target,
  users: number,
  seconds: number,
): Promise<{ p95: number; lines: string[] }> {
  const latencies: number[] = [];
  let failed = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: users });
  const headers = { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/json' };
  const reads = [
    '/v1/documents?limit=20',
    '/v1/conversations?limit=20',
    `/v1/documents/${target.documentId}`,
    `/v1/conversations/${target.conversationId}`,
    '/v1/organization',
  ].map((path) => new URL(path, target.baseUrl));
  const create = new URL('/v1/conversations', target.baseUrl);
  const record = ({ status, ms }: { status: number; ms: number }) => {
    latencies.push(ms);
    if (status < 200 || status >= 300) failed++;
  };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: users }, async (_, u) => {
      for (let iteration = 0; performance.now() < deadline; iteration++) {
        for (const url of reads) record(await timedRequest(agent, url, 'GET', headers));
        if (iteration % 10 === 0) {
          const body = JSON.stringify({ visitorId: `load-${u}-${iteration}` });
          record(await timedRequest(agent, create, 'POST', headers, body));
        }
        await sleep(100);
      }
    }),
  );
  agent.destroy();
  const rate = latencies.length / ((performance.now() - started) / 1000);
  const p95 = summarize(latencies).p95;
  return {
    p95,
    lines: [
      table(
        ['API mix (5 reads, a write every 10th loop)', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
        [latencyRow(`${users} users, ${rate.toFixed(0)} req/s`, latencies)],
      ),
      `p95 ${ms(p95)} ms: threshold < ${settings.thresholds.apiP95Ms} ms ${verdict(p95 < settings.thresholds.apiP95Ms)}, ` +
        `goal ≤ ${settings.goals.apiP95Ms} ms ${verdict(p95 <= settings.goals.apiP95Ms)}`,
      errorLine(failed, latencies.length),
    ],
  };
}

/** Every document uploaded at once through the REST API, each followed until it is ready. */
async function ingest(target: Target, documents: number): Promise<string[]> {
  const upload: number[] = [];
  const ready: number[] = [];
  let failed = 0;
  const auth = { authorization: `Bearer ${target.apiKey}` };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: documents }, async (_, d) => {
      const text = `# Load test article ${d}\n\n${'Orders ship within two working days. '.repeat(200)}Reference ${d}-${Date.now()}.\n`;
      const form = new FormData();
      form.append('file', new Blob([text], { type: 'text/markdown' }), `article-${d}.md`);
      const t0 = performance.now();
      const res = await fetch(`${target.baseUrl}/v1/documents/upload`, {
        method: 'POST',
        headers: auth,
        body: form,
      });
      upload.push(performance.now() - t0);
      if (!res.ok) {
        failed++;
        return;
      }
      const { id } = (await res.json()) as { id: string };
      for (let i = 0; i < 2400; i++) {
        const doc = (await (
          await fetch(`${target.baseUrl}/v1/documents/${id}`, { headers: auth })
        ).json()) as {
          status: string;
        };
        if (doc.status === 'ready') {
          ready.push(performance.now() - t0);
          return;
        }
        if (doc.status === 'failed') break;
        await sleep(250);
      }
      failed++;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return [
    table(
      ['ingestion burst', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [latencyRow('upload request', upload), latencyRow('upload → ready', ready)],
    ),
    `${documents} documents ready in ${seconds.toFixed(1)} s (${(ready.length / seconds).toFixed(2)} documents/s)`,
    errorLine(failed, documents),
  ];
}

const profile = process.argv[2];
const seconds = (definition: number) => Number(process.env.LOAD_SECONDS ?? definition);
if (!['chat', 'api', 'ingest', 'soak'].includes(profile ?? '')) {
  console.error('usage: tsx scripts/load.ts chat|api|ingest|soak');
  process.exit(64);
}

runWithStack(async (stack) => {
  const target = await prepare(stack);
  const header = (what: string) => console.log(`load:${profile} — ${what}; ${machine()}\n`);
  if (profile === 'chat') {
    const users = Number(process.env.LOAD_USERS ?? settings.chat.users);
    header(
      `${users} widget users arriving over ${settings.chat.rampSeconds} s, then ${seconds(settings.chat.seconds)} s; think time ${settings.chat.thinkMinSeconds}–${settings.chat.thinkMaxSeconds} s`,
    );
    console.log((await chat(target, users, seconds(settings.chat.seconds))).lines.join('\n'));
  } else if (profile === 'api') {
    header(`${settings.api.users} users, ${seconds(settings.api.seconds)} s`);
    await api(target, 10, 3); // warm-up
    console.log((await api(target, settings.api.users, seconds(settings.api.seconds))).lines.join('\n'));
  } else if (profile === 'ingest') {
    const documents = Number(process.env.LOAD_DOCUMENTS ?? settings.ingest.documents);
    header(`${documents} documents at once`);
    console.log((await ingest(target, documents)).join('\n'));
  } else {
    const { chatUsers, apiUsers } = settings.soak;
    header(
      `${chatUsers} widget users and ${apiUsers} API users together, ${seconds(settings.soak.seconds)} s`,
    );
    const [chatResult, apiResult] = await Promise.all([
      chat(target, chatUsers, seconds(settings.soak.seconds)),
      api(target, apiUsers, seconds(settings.soak.seconds)),
    ]);
    console.log([...chatResult.lines, '', ...apiResult.lines].join('\n'));
  }
});
