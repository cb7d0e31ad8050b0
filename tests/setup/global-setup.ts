import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { createKnex } from '../../src/db/knex';
import { createLogger } from '../../src/lib/logger';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { bundleWorkflows } from '../../src/worker/bundle';
import './env';
import { buildWidget } from '../../scripts/build-widget';
import { createStripe, syncCatalog } from '../../src/billing/stripe';
import { startStripeFront, type StripeFront } from '../../scripts/stripe-emulator-front';

declare global {
  // Closed by global teardown.
  var parleyStripeFront: StripeFront | undefined;
}

/**
 * Once per run: recreate and migrate the test database, bundle the workflows, check that the
 * Temporal dev server answers, start the Stripe emulator's front from this checkout's code (in front
 * of localstripe, which scripts/test.sh and .ci/run start with Temporal) and sync its catalog.
 */
export default async function globalSetup(): Promise<void> {
  if (!process.env.STRIPE_API_BASE) {
    // The test files' processes start after this one and inherit its environment.
    globalThis.parleyStripeFront = await startStripeFront({
      port: 0,
      upstream: process.env.LOCALSTRIPE_URL!,
    });
    process.env.STRIPE_API_BASE = globalThis.parleyStripeFront.url;
  }
  const config = loadConfig();

  const knex = createKnex({ url: config.database.url, poolMax: 1 });
  try {
    await knex.raw('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
    await knex.migrate.latest();
  } catch (error) {
    throw new Error(`Test database ${config.database.url} is not usable (run scripts/postgres.sh)`, {
      cause: error,
    });
  } finally {
    await knex.destroy();
  }

  try {
    const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '3s' });
    await connection.close();
    await ensureSearchAttributes(config.temporal, createLogger({ level: 'silent', name: 'test-setup' }));
  } catch (error) {
    throw new Error(
      `Temporal is not answering at ${config.temporal.address}: run scripts/temporal.sh start`,
      { cause: error },
    );
  }

  // The emulator's products and prices, once per run (files running in parallel would race to create them).
  const stripe = createStripe(config.billing);
  if (stripe) {
    await syncCatalog(stripe).catch((error: unknown) => {
      throw new Error('localstripe is not answering: run scripts/stripe-emulator.sh start', {
        cause: error,
      });
    });
  }

  const code = await bundleWorkflows();
  fs.mkdirSync(path.dirname(config.temporal.workflowBundlePath), { recursive: true });
  fs.writeFileSync(config.temporal.workflowBundlePath, code);
  await buildWidget();
}
