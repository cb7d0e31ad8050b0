import { createHmac, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../lib/paths';
import { parseAllowlist } from '../outbound/allowlist';

/** Parley's settings, read from the environment once at boot. See the table in README.md. */

const defaultCache = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'parley');

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const url = z.url();
const seconds = positiveInt;
const perMinute = positiveInt;

/**
 * The signing key of the test suite (NODE_ENV=test) when JWT_SECRET is unset. It is in the public
 * source, so anyone could sign an owner's token with it: every other mode refuses it.
 */
export const TEST_JWT_SECRET = 'parley-test-suite-secret-refused-unless-NODE_ENV-is-test';

/** Secrets anyone can read in this repository (the current test key, the old development default). */
const PUBLISHED_SECRETS = new Set([TEST_JWT_SECRET, 'parley-development-secret-do-not-use-in-production']);

/** A value with fewer different characters than this is a placeholder (`xxxx…`, `changeme…`), not random. */
const MIN_DISTINCT_CHARACTERS = 12;

const GENERATE_ONE = 'generate one with `openssl rand -base64 48`';

/** Why a secret is unfit, if it is: published in the source (outside tests) or a placeholder. */
function weakSecretProblem(value: string, nodeEnv: string | undefined): string | undefined {
  if (PUBLISHED_SECRETS.has(value) && !(nodeEnv === 'test' && value === TEST_JWT_SECRET)) {
    return `is a value published in Parley's source (allowed only with NODE_ENV=test); ${GENERATE_ONE}`;
  }
  if (new Set(value).size < MIN_DISTINCT_CHARACTERS) {
    return `looks like a placeholder (fewer than ${MIN_DISTINCT_CHARACTERS} different characters); ${GENERATE_ONE}`;
  }
  return undefined;
}

/**
 * Development without JWT_SECRET signs with a random key made once per process: nobody can forge
 * its tokens, and they end when it restarts (`bash scripts/up.sh` keeps one in .data/secrets.env).
 */
let processSecret: string | undefined;
const ephemeralSecret = (): string => (processSecret ??= randomBytes(48).toString('base64url'));

/** The environment variables, each validated and given its default (README.md's table lists them). */
export const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: port.default(3000),
  PUBLIC_URL: url.default('http://localhost:3000'),

  DATABASE_URL: url.default('postgres://postgres@127.0.0.1:5432/parley'),
  DATABASE_POOL_MAX: positiveInt.default(10),

  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('parley'),
  TEMPORAL_UI_URL: url.default('http://127.0.0.1:8233'),
  TEMPORAL_UPDATE_TIMEOUT_MS: positiveInt.default(15_000),
  WORKER_HEALTH_PORT: port.default(3001),
  // Tests and benchmarks turn it off: each runs workers on task queues of its own, for a while.
  ORPHANED_TURN_SWEEPER: z.enum(['on', 'off']).default('on'),
  WORKFLOW_BUNDLE_PATH: z
    .string()
    .min(1)
    .default(path.join(projectRoot, 'dist', 'workflow-bundle.js')),

  PARLEY_CACHE: z.string().min(1).default(defaultCache),
  MODELS_DIR: z.string().min(1).optional(),
  EMBEDDINGS_PROVIDER: z.enum(['local', 'openai']).default('local'),
  EMBEDDING_MODEL: z.string().min(1).default('all-MiniLM-L6-v2'),
  // fp32 by default: on CPUs without VNNI the int8 model is no faster, and fp32 is exact.
  EMBEDDING_DTYPE: z.enum(['fp32', 'q8']).default('fp32'),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: url.optional(),
  OPENAI_EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
  OPENAI_CHAT_MODEL: z.string().min(1).default('gpt-4o-mini'),
  GENERATION_PROVIDER: z.enum(['extractive', 'llama', 'openai']).default('extractive'),
  LLAMA_MODEL_PATH: z.string().min(1).optional(),
  LLAMA_THREADS: positiveInt.default(1),
  GENERATION_TIMEOUT_SECONDS: positiveInt.default(60),
  SENTIMENT_MODEL: z.string().min(1).optional(),

  WIDGET_ATTACHMENT_MAX_BYTES: positiveInt.default(5 * 1024 * 1024),
  WIDGET_MESSAGES_PER_MINUTE: positiveInt.default(20),
  WIDGET_SESSIONS_PER_IP_PER_MINUTE: positiveInt.default(10),
  WIDGET_SESSIONS_PER_KEY_PER_MINUTE: positiveInt.default(120),

  RETRIEVAL_TOP_K: positiveInt.max(50).default(5),
  RETRIEVAL_MODE: z.enum(['hybrid', 'dense', 'lexical']).default('hybrid'),
  RETRIEVAL_FUSION: z.enum(['weighted', 'rrf']).default('weighted'),
  RETRIEVAL_CANDIDATES: positiveInt.max(500).default(40),
  MEMORY_TOKEN_BUDGET: positiveInt.default(1200),
  MAX_QUESTION_CHARS: positiveInt.default(2000),

  UPLOAD_MAX_BYTES: positiveInt.default(20 * 1024 * 1024),
  // About the 128 word pieces the default embedding model was trained on: one topic per passage
  // (`npm run eval`). Passages are cut at headings and whole blocks, so they need no overlap.
  CHUNK_SIZE: positiveInt.min(100).default(500),
  EMBED_BATCH_SIZE: positiveInt.default(64),
  SITEMAP_MAX_PAGES: positiveInt.default(200),
  FETCH_TIMEOUT_MS: positiveInt.default(15_000),
  RESYNC_INTERVAL_MINUTES: positiveInt.default(24 * 60),
  TEST_RUN_QUIET_SECONDS: positiveInt.default(60),
  FETCH_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const { rules, problems } = parseAllowlist(value);
      for (const message of problems) ctx.addIssue({ code: 'custom', message });
      return rules;
    }),

  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  CSRF_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL_SECONDS: seconds.default(15 * 60),
  REFRESH_TOKEN_TTL_SECONDS: seconds.default(30 * 24 * 3600),
  PASSWORD_RESET_TTL_SECONDS: seconds.default(3600),
  EMAIL_VERIFICATION_TTL_SECONDS: seconds.default(2 * 24 * 3600),
  INVITATION_TTL_SECONDS: seconds.default(7 * 24 * 3600),

  SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  SMTP_PORT: port.default(1025),
  SMTP_SECURE: z.stringbool().default(false),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().min(1).optional(),
  SMTP_FROM: z.string().min(3).default('Parley <no-reply@parley.local>'),
  SMTP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),

  RATE_LIMIT_AUTH_PER_MINUTE: perMinute.default(30),
  RATE_LIMIT_API_KEY_PER_MINUTE: perMinute.default(600),
  RATE_LIMIT_ORGANIZATION_PER_MINUTE: perMinute.default(1200),
  RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: positiveInt.default(10),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.url().refine((o) => new URL(o).origin === o, 'must be an origin like https://example.com')),
    ),
  HTTP_BODY_LIMIT_BYTES: positiveInt.default(1024 * 1024),

  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TEMPORAL_METRICS_PORT: port.optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  SENTRY_DSN: url.optional(),
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  STRIPE_API_BASE: url.optional(),
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: seconds.default(300),
  BILLING_GRACE_DAYS: z.coerce.number().positive().default(7),
  BILLING_RETURN_URL: url.optional(),

  // Tests turn it off and start one per organization they watch.
  WEBHOOK_DISPATCHER: z.enum(['on', 'off']).default('on'),
  WEBHOOK_TIMEOUT_MS: positiveInt.max(20_000).default(10_000),
  WEBHOOK_RETRY_INITIAL_MS: positiveInt.default(5_000),
  WEBHOOK_RETRY_WINDOW_HOURS: z.coerce.number().positive().default(72),
  WEBHOOK_DISABLE_AFTER_FAILURES: positiveInt.default(20),
  WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number().min(0).default(24),
});

/** Every environment variable Parley reads (the README's table lists each one). */
export const CONFIG_VARIABLES = Object.keys(environmentSchema.shape);

/**
 * The settings as the code reads them, grouped by concern with the derived values filled in. The
 * `Config` type is inferred from it: the schema is the one declaration of every setting.
 */
const configSchema = environmentSchema.transform((env) => {
  const modelsDir = env.MODELS_DIR ?? path.join(env.PARLEY_CACHE, 'models');
  const jwtSecret = env.JWT_SECRET ?? (env.NODE_ENV === 'test' ? TEST_JWT_SECRET : ephemeralSecret());
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: {
      host: env.HTTP_HOST,
      port: env.HTTP_PORT,
      publicUrl: env.PUBLIC_URL.replace(/\/$/, ''),
      bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
    },
    database: { url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX },
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      /**
       * Where email workflows run: the task queue itself (the worker serves every workflow). Tests give
       * email a worker of its own, so an API under test sends mail without a full worker.
       */
      emailTaskQueue: env.TEMPORAL_TASK_QUEUE,
      uiUrl: env.TEMPORAL_UI_URL.replace(/\/$/, ''),
      /** How long the API waits for a workflow to take a change (an agent's reply) before answering 503. */
      updateTimeoutMs: env.TEMPORAL_UPDATE_TIMEOUT_MS,
      workflowBundlePath: env.WORKFLOW_BUNDLE_PATH,
    },
    worker: {
      healthPort: env.WORKER_HEALTH_PORT,
      /** Where the Temporal Core SDK serves its own Prometheus metrics; off when unset. */
      temporalMetricsPort: env.TEMPORAL_METRICS_PORT,
      /** Whether the worker keeps the task queue's orphaned-turn sweeper running (workflows/sweeper.ts). */
      orphanedTurnSweeper: env.ORPHANED_TURN_SWEEPER === 'on',
      /** Whether the worker keeps the task queue's webhook dispatcher running (workflows/webhooks.ts). */
      webhookDispatcher: env.WEBHOOK_DISPATCHER === 'on',
    },
    observability: {
      /** Bearer token `/metrics` requires; open when unset (keep it on a private network then). */
      metricsToken: env.METRICS_TOKEN,
      /** OTLP/HTTP collector for traces; tracing is off when unset. */
      otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
      sentryDsn: env.SENTRY_DSN,
    },
    auth: {
      /** Signs access tokens (also carried by the console's session cookie) and widget visitor tokens. */
      jwtSecret,
      /** True when JWT_SECRET was unset outside tests: a random key of this process (see ephemeralSecret). */
      ephemeralJwtSecret: env.JWT_SECRET === undefined && env.NODE_ENV !== 'test',
      /** Keys the console's CSRF tokens: CSRF_SECRET, or a key derived from the signing key. */
      csrfSecret:
        env.CSRF_SECRET ?? createHmac('sha256', jwtSecret).update('parley csrf key').digest('base64url'),
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
      passwordResetTtlSeconds: env.PASSWORD_RESET_TTL_SECONDS,
      emailVerificationTtlSeconds: env.EMAIL_VERIFICATION_TTL_SECONDS,
      invitationTtlSeconds: env.INVITATION_TTL_SECONDS,
    },
    smtp: {
      host: env.SMTP_HOST,
      port: env.SMTP_PORT,
      secure: env.SMTP_SECURE,
      user: env.SMTP_USER,
      password: env.SMTP_PASSWORD,
      from: env.SMTP_FROM,
      /** Attempts per email (2 s apart, doubling up to 2 min) before it is marked failed. */
      maxAttempts: env.SMTP_MAX_ATTEMPTS,
    },
    rateLimits: {
      authPerMinute: env.RATE_LIMIT_AUTH_PER_MINUTE,
      apiKeyPerMinute: env.RATE_LIMIT_API_KEY_PER_MINUTE,
      organizationPerMinute: env.RATE_LIMIT_ORGANIZATION_PER_MINUTE,
      /** Failed sign-ins to one account in 15 minutes, from any address, before it is throttled. */
      loginFailuresPerAccount: env.RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT,
    },
    cors: { origins: env.CORS_ORIGINS },
    billing: {
      /** Absent when STRIPE_SECRET_KEY is unset: billing endpoints then answer 503. */
      stripe: env.STRIPE_SECRET_KEY
        ? {
            secretKey: env.STRIPE_SECRET_KEY,
            apiBase: env.STRIPE_API_BASE?.replace(/\/$/, ''),
            /**
             * Where Checkout and the Billing Portal are hosted: Stripe's own pages, or the emulator's at
             * STRIPE_API_BASE. The console's CSP lets forms go there (its 303s to them count as the form's).
             */
            hostedPageOrigins: env.STRIPE_API_BASE
              ? [new URL(env.STRIPE_API_BASE).origin]
              : ['https://checkout.stripe.com', 'https://billing.stripe.com'],
          }
        : undefined,
      webhookSecret: env.STRIPE_WEBHOOK_SECRET,
      webhookToleranceSeconds: env.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
      /** How long a subscription whose payment failed keeps its plan before dropping to Free. */
      graceDays: env.BILLING_GRACE_DAYS,
      /** Where Checkout and the Billing Portal send the customer back to. */
      returnUrl: env.BILLING_RETURN_URL ?? `${env.PUBLIC_URL.replace(/\/$/, '')}/console`,
    },
    cacheDir: env.PARLEY_CACHE,
    embeddings: {
      provider: env.EMBEDDINGS_PROVIDER,
      /**
       * Which model makes the vectors, stored beside each one: vectors of two models never share an
       * index, and a document embedded by another model is embedded again on re-sync. Not the
       * quantisation: q8 and fp32 vectors of one model agree to a cosine of 0.996 or more.
       */
      modelId:
        env.EMBEDDINGS_PROVIDER === 'openai'
          ? `openai/${env.OPENAI_EMBEDDING_MODEL}`
          : `local/${env.EMBEDDING_MODEL}`,
      model: env.EMBEDDING_MODEL,
      dtype: env.EMBEDDING_DTYPE,
      modelsDir,
      openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL, model: env.OPENAI_EMBEDDING_MODEL },
    },
    generation: {
      provider: env.GENERATION_PROVIDER,
      timeoutSeconds: env.GENERATION_TIMEOUT_SECONDS,
      llamaModelPath:
        env.LLAMA_MODEL_PATH ??
        path.join(modelsDir, 'SmolLM2-135M-Instruct', 'SmolLM2-135M-Instruct.Q4_1.gguf'),
      llamaThreads: env.LLAMA_THREADS,
      openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL, model: env.OPENAI_CHAT_MODEL },
    },
    sentimentModel: env.SENTIMENT_MODEL,
    chat: {
      topK: env.RETRIEVAL_TOP_K,
      memoryTokenBudget: env.MEMORY_TOKEN_BUDGET,
      maxQuestionChars: env.MAX_QUESTION_CHARS,
    },
    retrieval: {
      /** Lexical (BM25) and dense (FAISS) rankings fused, or one of them alone (for comparison). */
      mode: env.RETRIEVAL_MODE,
      fusion: env.RETRIEVAL_FUSION,
      /** Passages each ranking retrieves before fusion. */
      candidates: env.RETRIEVAL_CANDIDATES,
    },
    widget: {
      attachmentMaxBytes: env.WIDGET_ATTACHMENT_MAX_BYTES,
      messagesPerMinute: env.WIDGET_MESSAGES_PER_MINUTE,
      /** New visitor sessions per minute from one IP address, and for one widget key. */
      sessionsPerIpPerMinute: env.WIDGET_SESSIONS_PER_IP_PER_MINUTE,
      sessionsPerKeyPerMinute: env.WIDGET_SESSIONS_PER_KEY_PER_MINUTE,
    },
    ingestion: {
      uploadMaxBytes: env.UPLOAD_MAX_BYTES,
      chunkSize: env.CHUNK_SIZE,
      embedBatchSize: env.EMBED_BATCH_SIZE,
      sitemapMaxPages: env.SITEMAP_MAX_PAGES,
      fetchTimeoutMs: env.FETCH_TIMEOUT_MS,
      resyncIntervalMinutes: env.RESYNC_INTERVAL_MINUTES,
    },
    testRuns: {
      /** Seconds without a knowledge change before the test sets run again (a bulk upload runs them once). */
      quietSeconds: env.TEST_RUN_QUIET_SECONDS,
    },
    outbound: {
      /**
       * FETCH_ALLOWED_HOSTS: the intranet origins, hosts and networks that requests to user-supplied
       * URLs may reach; every other loopback, private or link-local address is refused (src/outbound).
       */
      allowlist: env.FETCH_ALLOWED_HOSTS,
    },
    webhooks: {
      /** For one delivery attempt, answer included. */
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      /** A failed delivery is retried after this, then twice as long each time (at most 12 hours)… */
      retryInitialMs: env.WEBHOOK_RETRY_INITIAL_MS,
      /** …for this long after its first attempt. */
      retryWindowMs: env.WEBHOOK_RETRY_WINDOW_HOURS * 3_600_000,
      /** An endpoint is disabled (its admins told) after this many failed attempts in a row… */
      disableAfterFailures: env.WEBHOOK_DISABLE_AFTER_FAILURES,
      /** …spanning at least this long. */
      disableAfterMs: env.WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000,
    },
  };
});

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Rules between variables; checked on the raw values so they are reported with the per-variable ones. */
function crossFieldProblems(source: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  for (const variable of ['EMBEDDINGS_PROVIDER', 'GENERATION_PROVIDER'] as const) {
    if (source[variable] === 'openai' && !source.OPENAI_API_KEY && !source.OPENAI_BASE_URL) {
      problems.push(`OPENAI_API_KEY: is required when ${variable}=openai (or set OPENAI_BASE_URL)`);
    }
  }
  for (const name of ['JWT_SECRET', 'CSRF_SECRET', 'METRICS_TOKEN'] as const) {
    const value = source[name];
    const problem = value ? weakSecretProblem(value, source.NODE_ENV) : undefined;
    if (problem) problems.push(`${name}: ${problem}`);
  }
  if (source.ALLOW_PRIVATE_URLS !== undefined && source.ALLOW_PRIVATE_URLS !== 'false') {
    // It used to open every private address outside production; refusing it beats ignoring it.
    problems.push(
      'ALLOW_PRIVATE_URLS: was removed (the address guard is always on); list the intranet hosts or networks to fetch from in FETCH_ALLOWED_HOSTS',
    );
  }
  if (source.NODE_ENV === 'production' && !source.JWT_SECRET) {
    // Replicas and restarts must agree on it: a per-process key would sign everyone out.
    problems.push(`JWT_SECRET: is required in production; ${GENERATE_ONE}`);
  }
  return problems;
}

/** Validates every variable at once, so a bad deploy reports all its problems in one go. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(source);
  const problems = [
    ...(parsed.error?.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`) ??
      []),
    ...crossFieldProblems(source),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return parsed.data;
}

/** For process entry points: a bad configuration ends the process with the list of problems. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}
