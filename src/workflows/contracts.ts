import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TurnRecord } from '../activities/chat';

/**
 * What the API and the worker share about workflows: ids (business ids, so a retried request cannot
 * start the work twice), inputs and outputs, signals and queries. No activity proxies live here, so the
 * API can import it freely.
 */

export const ingestWorkflowId = (documentId: string): string => `ingest-${documentId}`;
export const turnWorkflowId = (messageId: string): string => `turn-${messageId}`;

export interface IngestInput {
  organizationId: string;
  documentId: string;
  sourceType: 'upload' | 'url' | 'sitemap';
  /** Chunks embedded per activity call: the granularity of progress and of work redone after a crash. */
  embedBatchSize: number;
  /** Minutes between re-syncs of URL and sitemap sources; absent for uploads and sitemap pages. */
  resyncMinutes?: number;
}

export interface IngestionProgress {
  stage: 'fetching' | 'embedding' | 'indexing' | 'pages' | 'ready' | 'unchanged' | 'failed' | 'waiting';
  chunksDone: number;
  chunksTotal: number;
  error?: string;
}

export const ingestionProgressQuery = defineQuery<IngestionProgress>('ingestionProgress');
export const resyncSignal = defineSignal('resync');

export interface TurnResult {
  outcome: TurnRecord['outcome'];
  replyId: string | null;
  reasons: string[];
}
