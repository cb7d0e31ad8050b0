import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  executeChild,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  ingestionProgressQuery,
  ingestWorkflowId,
  resyncSignal,
  type IngestInput,
  type IngestionProgress,
} from './contracts';

/**
 * One ingestion workflow per document (id `ingest-<documentId>`): read → parse → chunk → embed in
 * batches → activate the version → update the tenant's FAISS index. URL and sitemap documents then
 * wait for their re-sync interval (a durable timer) or a `resync` signal, and run again.
 */

const work = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

/** Embedding heartbeats after every few chunks, so a crashed worker's batch is retried within seconds. */
const embedding = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

const PAGE_CONCURRENCY = 4;

export async function ingestDocument(input: IngestInput): Promise<IngestionProgress> {
  const ref = { organizationId: input.organizationId, documentId: input.documentId };
  let progress: IngestionProgress = { stage: 'fetching', chunksDone: 0, chunksTotal: 0 };
  let resyncs = 0;
  setHandler(ingestionProgressQuery, () => progress);
  setHandler(resyncSignal, () => {
    resyncs++;
  });
  // Re-sync requests that came with the start (signalWithStart) are served by this pass.
  const served = resyncs;

  try {
    const report = (next: IngestionProgress) => (progress = next);
    progress =
      input.sourceType === 'sitemap' ? await ingestSitemap(input, report) : await ingestOne(input, report);
  } catch (error) {
    const reason = failureReason(error);
    if (reason === undefined) throw error;
    if (reason === 'gone') return { ...progress, stage: 'failed', error: 'The document was deleted.' };
    await work.markFailed({ ...ref, reason });
    progress = { ...progress, stage: 'failed', error: reason };
    // An upload that cannot be read fails for good; a URL may come back, so it keeps its schedule.
    if (!input.resyncMinutes) throw ApplicationFailure.create({ message: reason, nonRetryable: true });
  }

  // A re-sync asked for while this pass ran gets a pass of its own.
  if (resyncs === served) {
    if (!input.resyncMinutes) return progress;
    progress = { ...progress, stage: 'waiting' };
    await condition(() => resyncs > served, `${input.resyncMinutes} minutes`);
  }
  // A fresh run keeps the history short however many times the source is re-synced.
  return continueAsNew<typeof ingestDocument>(input);
}

async function ingestOne(
  input: IngestInput,
  report: (progress: IngestionProgress) => void,
): Promise<IngestionProgress> {
  const ref = { organizationId: input.organizationId, documentId: input.documentId };
  report({ stage: 'fetching', chunksDone: 0, chunksTotal: 0 });
  const prepared = await work.prepareDocument(ref);
  if (prepared.unchanged) {
    await work.markUnchanged(ref);
    return { stage: 'unchanged', chunksDone: 0, chunksTotal: 0 };
  }
  const { version, chunkCount } = prepared;
  report({ stage: 'embedding', chunksDone: 0, chunksTotal: chunkCount });
  for (let from = 0; from < chunkCount; from += input.embedBatchSize) {
    const done = await embedding.embedChunks({
      ...ref,
      version,
      fromPosition: from,
      toPosition: from + input.embedBatchSize,
    });
    report({ stage: 'embedding', ...done });
  }
  report({ stage: 'indexing', chunksDone: chunkCount, chunksTotal: chunkCount });
  await work.activateVersion({ ...ref, version, contentHash: prepared.contentHash });
  await work.syncTenantIndex({ organizationId: ref.organizationId });
  return { stage: 'ready', chunksDone: chunkCount, chunksTotal: chunkCount };
}

/** A sitemap: reconcile its pages, then ingest each page as a child workflow, a few at a time. */
async function ingestSitemap(
  input: IngestInput,
  report: (progress: IngestionProgress) => void,
): Promise<IngestionProgress> {
  const ref = { organizationId: input.organizationId, documentId: input.documentId };
  const { documentIds } = await work.syncSitemapPages(ref);
  let done = 0;
  let failed = 0;
  report({ stage: 'pages', chunksDone: 0, chunksTotal: documentIds.length });
  const queue = [...documentIds];
  const runNext = async (): Promise<void> => {
    for (let documentId = queue.shift(); documentId; documentId = queue.shift()) {
      try {
        await executeChild(ingestDocument, {
          workflowId: ingestWorkflowId(documentId),
          args: [{ ...input, documentId, sourceType: 'url', resyncMinutes: undefined }],
        });
      } catch {
        failed++; // the page's own reason is on its document
      }
      done++;
      report({ stage: 'pages', chunksDone: done, chunksTotal: documentIds.length });
    }
  };
  await Promise.all(Array.from({ length: PAGE_CONCURRENCY }, runNext));
  await work.reportSitemapProgress({ ...ref, pagesDone: done, pagesTotal: documentIds.length, failed });
  await work.syncTenantIndex({ organizationId: input.organizationId });
  return { stage: 'ready', chunksDone: done, chunksTotal: documentIds.length };
}

/** The reason to store for a failure no retry can fix; 'gone' when the document was deleted meanwhile. */
function failureReason(error: unknown): string | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  if (cause.type === 'DocumentGone') return 'gone';
  if (cause.nonRetryable) return cause.message;
  // Retries ran out on a transient error (a server that stayed down): say so rather than fail silently.
  return `Could not be read after several attempts: ${cause.message}`;
}
