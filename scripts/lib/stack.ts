import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Knex } from 'knex';
import type { ActivityDependencies } from '../../src/activities';
import { loadConfigOrExit, type Config } from '../../src/config';
import { bindModels } from '../../src/db/bind';
import { createKnex } from '../../src/db/knex';
import { Organization, OrganizationSettings, Subscription } from '../../src/db/models';
import { createLogger } from '../../src/lib/logger';
import { projectRoot } from '../../src/lib/paths';
import { ConversationService } from '../../src/services/conversations';
import { DocumentService } from '../../src/services/documents';
import { createOrganizationWithOwner } from '../../src/services/organizations';
import { TemporalGateway } from '../../src/temporal/client';
import { createWorker } from '../../src/worker/create-worker';
import { createActivityDependencies } from '../../src/worker/dependencies';
import { userCacheDir } from './cache';
import { sleep } from './stats';

/**
 * The harness of the benchmark, evaluation and load scripts: a database, cache and task queue of
 * their own (so runs never disturb the tests or a developer's stack), the worker in-process or as a
 * child process, the API as a child process, and a tenant with documents. Everything started here is
 * stopped by `stop()`.
 */

export interface BenchStack {
  config: Config;
  knex: Knex;
  /** Things to stop, last started first. */
  stoppers: (() => Promise<void> | void)[];
  stop(): Promise<void>;
}

/**
 * Points this process (and the children it spawns) at the bench database (BENCH_DATABASE, default
 * `parley_bench`, created and migrated here), a cache folder and a task queue of its own, and builds
 * the workflow bundle. Call before anything else reads the configuration.
 */
export async function openBenchStack(): Promise<BenchStack> {
  const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/parley';
  const database = process.env.BENCH_DATABASE ?? 'parley_bench';
  process.env.MODELS_DIR ??= path.join(userCacheDir(), 'models');
  process.env.PARLEY_CACHE = path.join(projectRoot, '.data', 'bench-cache');
  process.env.DATABASE_URL = base.replace(/\/[^/]*$/, `/${database}`);
  process.env.TEMPORAL_TASK_QUEUE = `bench-${process.pid}-${randomBytes(3).toString('hex')}`;
  process.env.WORKFLOW_BUNDLE_PATH = path.join(
    projectRoot,
    '.data',
    `bench-workflow-bundle-${process.pid}.js`,
  );
  process.env.LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'error';
  // The API children and this process must sign and verify with one key: a throwaway one per run.
  process.env.JWT_SECRET ??= randomBytes(48).toString('base64url');
  // A bench's task queue dies with it; a sweeper started there would run on with no worker.
  process.env.ORPHANED_TURN_SWEEPER = 'off';
  // Benches measure throughput, not abuse protection.
  process.env.RATE_LIMIT_AUTH_PER_MINUTE = '1000000';
  process.env.RATE_LIMIT_API_KEY_PER_MINUTE = '1000000';
  process.env.RATE_LIMIT_ORGANIZATION_PER_MINUTE = '1000000';
  process.env.WIDGET_MESSAGES_PER_MINUTE = '1000000';
  process.env.WIDGET_SESSIONS_PER_IP_PER_MINUTE = '1000000';
  process.env.WIDGET_SESSIONS_PER_KEY_PER_MINUTE = '1000000';

  const admin = createKnex({ url: base.replace(/\/[^/]*$/, '/postgres'), poolMax: 1 });
  try {
    const exists = await admin.raw<{ rows: unknown[] }>('select 1 from pg_database where datname = ?', [
      database,
    ]);
    if (exists.rows.length === 0) await admin.raw('CREATE DATABASE ??', [database]);
  } finally {
    await admin.destroy();
  }

  const config = loadConfigOrExit();
  const knex = createKnex({ url: config.database.url, poolMax: config.database.poolMax });
  bindModels(knex);
  await knex.migrate.latest();

  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(projectRoot, 'src', 'workflows', 'index.ts'),
    logger: new DefaultLogger('WARN'),
  });
  fs.mkdirSync(path.dirname(config.temporal.workflowBundlePath), { recursive: true });
  fs.mkdirSync(config.cacheDir, { recursive: true });
  fs.writeFileSync(config.temporal.workflowBundlePath, code);

  const stack: BenchStack = {
    config,
    knex,
    stoppers: [() => fs.rmSync(config.temporal.workflowBundlePath, { force: true }), () => knex.destroy()],
    async stop() {
      for (const stopper of stack.stoppers.splice(0).reverse()) {
        await Promise.resolve(stopper()).catch((error: unknown) => console.error('cleanup failed:', error));
      }
    },
  };
  return stack;
}

/** Runs `main` with a bench stack, stopping it afterwards however `main` ends (Ctrl-C included). */
export function runWithStack(main: (stack: BenchStack) => Promise<void>): void {
  let stack: BenchStack | undefined;
  const stopAndExit = (code: number) => {
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  process.once('SIGINT', () => stopAndExit(130));
  process.once('SIGTERM', () => stopAndExit(143));
  openBenchStack()
    .then(async (opened) => {
      stack = opened;
      await main(opened);
      stopAndExit(0);
    })
    .catch((error: unknown) => {
      console.error(error);
      stopAndExit(1);
    });
}

let runtimeInstalled = false;

/** A real worker in this process on the stack's task queue; its dependencies are the worker's own. */
export async function startWorker(stack: BenchStack): Promise<ActivityDependencies> {
  if (!runtimeInstalled) {
    // Core's own warnings (slow workflow tasks on a loaded machine) go to the logger, filtered there.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
    runtimeInstalled = true;
  }
  const { config, knex } = stack;
  const dependencies = await createActivityDependencies(
    config,
    knex,
    createLogger({ level: config.logLevel, name: 'bench-worker' }),
  );
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createWorker({
    connection,
    temporal: config.temporal,
    dependencies,
    workflowBundlePath: config.temporal.workflowBundlePath,
  });
  const run = worker.run();
  stack.stoppers.push(async () => {
    worker.shutdown();
    await run;
    await connection.close();
  });
  return dependencies;
}

/** The API-side services, starting workflows on the stack's task queue. */
export function apiServices(stack: BenchStack): {
  documents: DocumentService;
  conversations: ConversationService;
  temporal: TemporalGateway;
} {
  const temporal = new TemporalGateway(
    stack.config.temporal,
    createLogger({ level: stack.config.logLevel, name: 'bench-api' }),
  );
  stack.stoppers.push(() => temporal.close());
  const deps = { knex: stack.knex, temporal, config: stack.config };
  return { documents: new DocumentService(deps), conversations: new ConversationService(deps), temporal };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForHealth(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`the ${what} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`the ${what} did not become healthy in 60 s`);
}

/** A Parley process (`src/api/server.ts` or `src/worker/main.ts`) run from sources with tsx. */
async function spawnProcess(
  stack: BenchStack,
  entry: string,
  what: string,
  healthUrl: (port: number) => string,
  env: NodeJS.ProcessEnv,
  port: number,
): Promise<ChildProcess> {
  // Their output goes to a log file beside the bench cache, so the bench's own report stays readable.
  const log = fs.openSync(path.join(stack.config.cacheDir, `${what.toLowerCase()}-${process.pid}.log`), 'w');
  const child = spawn(path.join(projectRoot, 'node_modules', '.bin', 'tsx'), [entry], {
    cwd: projectRoot,
    stdio: ['ignore', log, log],
    env: { ...process.env, HTTP_HOST: '127.0.0.1', ...env },
  });
  stack.stoppers.push(async () => {
    fs.closeSync(log);
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
  });
  await waitForHealth(healthUrl(port), child, what);
  return child;
}

/** The API as a child process on a free port; returns its base URL. */
export async function spawnApi(stack: BenchStack, env: NodeJS.ProcessEnv = {}): Promise<string> {
  // The routes are generated from the controllers (a fresh checkout has none yet, a changed one stale).
  execFileSync(path.join(projectRoot, 'node_modules', '.bin', 'tsoa'), ['routes'], { cwd: projectRoot });
  const port = await freePort();
  const url = (p: number) => `http://127.0.0.1:${p}`;
  await spawnProcess(
    stack,
    'src/api/server.ts',
    'API',
    (p) => `${url(p)}/healthz`,
    { ...env, HTTP_PORT: String(port), PUBLIC_URL: url(port) },
    port,
  );
  return url(port);
}

/** A worker as a child process (its own event loop and CPU, as in production). */
export async function spawnWorker(stack: BenchStack, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const port = await freePort();
  await spawnProcess(
    stack,
    'src/worker/main.ts',
    'worker',
    (p) => `http://127.0.0.1:${p}/`,
    { ...env, WORKER_HEALTH_PORT: String(port) },
    port,
  );
}

export interface BenchTenant {
  organization: Organization;
  email: string;
  password: string;
}

/**
 * A fresh organization on the unlimited plan (so long runs never hit the message quota) with an owner
 * who can sign in, and the given allowed widget origins.
 */
export async function createTenant(
  stack: BenchStack,
  name: string,
  allowedOrigins: string[] = [],
): Promise<BenchTenant> {
  const suffix = randomBytes(4).toString('hex');
  const email = `bench-${suffix}@bench.parley.local`;
  const password = `bench-password-${suffix}`;
  const { organization } = await createOrganizationWithOwner(stack.knex, {
    organizationName: `${name} ${suffix}`,
    ownerName: 'Bench Owner',
    ownerEmail: email,
    password,
    emailVerified: true,
  });
  const upgraded = await Organization.query(stack.knex).patchAndFetchById(organization.id, {
    plan: 'enterprise',
  });
  await Subscription.query(stack.knex).forOrganization(organization.id).patch({ plan: 'enterprise' });
  // Bench tenants' visitors send far more than the default hourly budget.
  await OrganizationSettings.query(stack.knex)
    .forOrganization(organization.id)
    .patch({ anonymousMessagesPerHour: 100_000, ...(allowedOrigins.length ? { allowedOrigins } : {}) });
  return { organization: upgraded, email, password };
}
