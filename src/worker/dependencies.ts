import path from 'node:path';
import type { Knex } from 'knex';
import type { Config } from '../config';
import type { ActivityDependencies } from '../activities';
import { createEmbeddings } from '../ai/embeddings';
import { createGenerator } from '../ai/generation';
import { createSentimentScorer } from '../ai/sentiment';
import { TenantIndexStore } from '../ai/tenant-index';
import { createStripe } from '../billing/stripe';
import type { Logger } from '../lib/logger';
import { createDomainMetrics } from '../observability/metrics';
import { createMailer } from '../lib/mailer';
import { OutboundPolicy } from '../outbound';

/** Builds what the activities need from configuration; the embedding model loads here, once per process. */
export async function createActivityDependencies(
  config: Config,
  knex: Knex,
  logger: Logger,
): Promise<ActivityDependencies> {
  const embeddings = createEmbeddings(config.embeddings);
  // The index dimension is the model's: ask it once (this also loads the model before the first task).
  const dimension = (await embeddings.embedQuery('dimension probe')).length;
  const embeddingModel = config.embeddings.modelId;
  return {
    knex,
    embeddings,
    embeddingModel,
    indexes: new TenantIndexStore({
      knex,
      dir: path.join(config.cacheDir, 'indexes'),
      embedder: { model: embeddingModel, dimension },
      logger,
    }),
    generator: await createGenerator(config.generation),
    sentiment: createSentimentScorer({
      model: config.sentimentModel,
      modelsDir: config.embeddings.modelsDir,
      embeddings,
      embeddingModel,
    }),
    chat: config.chat,
    retrieval: config.retrieval,
    ingestion: config.ingestion,
    testRuns: config.testRuns,
    outbound: new OutboundPolicy(config.outbound.allowlist),
    metrics: createDomainMetrics(),
    mailer: createMailer(config.smtp, logger),
    publicUrl: config.http.publicUrl,
    emailLinks: { publicUrl: config.http.publicUrl, auth: config.auth },
    emailMaxAttempts: config.smtp.maxAttempts,
    stripe: createStripe(config.billing),
    billing: config.billing,
    webhooks: config.webhooks,
    logger,
  };
}
