// Test settings: the test database, quiet logs, and the workflow bundle built by global setup.
import os from 'node:os';
import path from 'node:path';

const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/parley';
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL = process.env.TEST_DATABASE_URL ?? `${base.replace(/\/[^/]*$/, '')}/parley_test`;
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
// Test workers run on task queues of their own; the sweeper test starts its own, for one organization.
process.env.ORPHANED_TURN_SWEEPER = 'off';
// Likewise the webhook dispatcher: webhook tests start one for the organization they watch.
process.env.WEBHOOK_DISPATCHER = 'off';
// Models come from the real cache; vector indexes and other state go to a test-only folder.
const cache =
  process.env.PARLEY_CACHE ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'parley');
process.env.MODELS_DIR ??= path.join(cache, 'models');
process.env.PARLEY_CACHE = path.join(__dirname, '..', '..', '.data', 'test-cache');
process.env.WORKFLOW_BUNDLE_PATH = path.join(__dirname, '..', '..', '.data', 'test-workflow-bundle.js');
// The suites' local web sites (tests/helpers/site.ts) listen on 127.0.0.1, which the outbound guard
// refuses unless allowed; tests/ingestion/ssrf.test.ts checks the guard with policies of its own.
process.env.FETCH_ALLOWED_HOSTS ??= '127.0.0.1';
// The Stripe emulator: localstripe started by scripts/services.sh, behind a front of this checkout's
// code that global setup starts (STRIPE_API_BASE names it; set it to test against another Stripe).
process.env.STRIPE_SECRET_KEY ??= 'sk_test_parley';
process.env.STRIPE_WEBHOOK_SECRET ??= 'whsec_test_parley';
process.env.LOCALSTRIPE_URL ??= `http://127.0.0.1:${process.env.STRIPE_EMULATOR_PORT ?? 8420}`;
