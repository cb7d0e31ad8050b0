import fs from 'node:fs';
import { createServer } from 'node:http';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfigOrExit } from '../config';
import { bindModels } from '../db/bind';
import { createKnex } from '../db/knex';
import { createLogger } from '../lib/logger';
import { backoffDelay, sleep } from '../lib/retry';
import { renderMetrics } from '../observability/metrics';
import { flushSentry, initSentry } from '../observability/sentry';
import { startTracing } from '../observability/tracing';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { createWorker } from './create-worker';
import { createActivityDependencies } from './dependencies';
import { installRuntime } from './observability';
import { turnSweeperWorkflowId, webhookDispatcherWorkflowId } from '../workflows/contracts';
import type { sweepOrphanedTurns } from '../workflows/sweeper';
import type { dispatchWebhooks } from '../workflows/webhooks';
import { documentsEmbeddedByOtherModels } from '../services/knowledge';

/** The worker process: connects to Temporal (retrying while it is down) and runs until SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, name: 'parley-worker' });
  installRuntime(logger, { host: config.http.host, metricsPort: config.worker.temporalMetricsPort });
  const tracing = startTracing({
    serviceName: 'parley-worker',
    otlpEndpoint: config.observability.otlpEndpoint,
  });
  await initSentry({
    dsn: config.observability.sentryDsn,
    environment: config.env,
    serverName: 'parley-worker',
  });
  if (!fs.existsSync(config.temporal.workflowBundlePath)) {
    logger.fatal(
      { path: config.temporal.workflowBundlePath },
      'workflow bundle missing: run `npm run build`',
    );
    process.exit(1);
  }
  const knex = createKnex({ url: config.database.url, poolMax: config.database.poolMax });
  bindModels(knex);

  let connection: NativeConnection | undefined;
  for (let attempt = 0; !connection; attempt++) {
    try {
      connection = await NativeConnection.connect({ address: config.temporal.address });
    } catch (error) {
      const delay = backoffDelay(attempt);
      logger.warn(
        { err: error, address: config.temporal.address, retryInMs: delay },
        'Temporal unreachable; retrying',
      );
      await sleep(delay);
    }
  }

  await ensureSearchAttributes(config.temporal, logger);
  const dependencies = await createActivityDependencies(config, knex, logger);
  const stale = await documentsEmbeddedByOtherModels(knex, dependencies.embeddingModel);
  if (stale.documents > 0) {
    logger.warn(
      { ...stale, embeddingModel: dependencies.embeddingModel },
      'documents embedded by another model are not searched until `npm run reindex` embeds them again',
    );
  }
  const worker = await createWorker({
    connection,
    temporal: config.temporal,
    dependencies,
    workflowBundlePath: config.temporal.workflowBundlePath,
    tracing,
  });

  // Durable: started once per task queue, they outlive worker restarts; later starts find them running.
  const client = new Client({ connection, namespace: config.temporal.namespace });
  if (config.worker.orphanedTurnSweeper) {
    await client.workflow.start<typeof sweepOrphanedTurns>('sweepOrphanedTurns', {
      workflowId: turnSweeperWorkflowId(config.temporal.taskQueue),
      taskQueue: config.temporal.taskQueue,
      args: [{}],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }
  if (config.worker.webhookDispatcher) {
    await client.workflow.start<typeof dispatchWebhooks>('dispatchWebhooks', {
      workflowId: webhookDispatcherWorkflowId(config.temporal.taskQueue),
      taskQueue: config.temporal.taskQueue,
      args: [{}],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }

  // Liveness for orchestrators: 200 while the worker polls, 503 otherwise; /metrics for Prometheus.
  const health = createServer((req, res) => {
    if (req.url === '/metrics') {
      void renderMetrics(dependencies.metrics.registry).then(({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
      });
      return;
    }
    const state = worker.getState();
    res.writeHead(state === 'RUNNING' ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ state }));
  });
  health.listen(config.worker.healthPort, config.http.host);

  logger.info(
    { taskQueue: config.temporal.taskQueue, healthPort: config.worker.healthPort },
    'worker running',
  );
  // The SDK's runtime turns SIGINT/SIGTERM into worker.shutdown(): in-flight tasks finish first.
  await worker.run();
  logger.info('worker stopped');
  health.close();
  dependencies.mailer.close();
  await Promise.allSettled([connection.close(), knex.destroy(), tracing.shutdown(), flushSentry()]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
