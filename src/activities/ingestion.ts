import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Embeddings } from '@langchain/core/embeddings';
import type { Knex } from 'knex';
import type { Config } from '../config';
import { Document, DocumentChunk, DocumentFile } from '../db/models';
import { bumpKnowledgeRevision } from '../services/knowledge';
import { emitWebhookEvent } from '../services/webhooks';
import { noteKnowledgeChange } from '../services/test-runs';
import type { TenantIndexStore } from '../ai/tenant-index';
import { encodeVector } from '../ai/vector-codec';
import {
  chunkText,
  contentHash,
  passageInContext,
  DocumentError,
  fetchSitemap,
  fetchUrl,
  parseDocument,
  parseFetched,
  type ParsedDocument,
} from '../ingestion';
import { publish } from '../lib/events';
import type { OutboundPolicy } from '../outbound';
import type { DomainMetrics } from '../observability/metrics';

/**
 * Ingestion activities. Each is idempotent: a retry after a crash (or a duplicate delivery) finds the
 * work done and does not redo it — chunks are keyed by (document, version, position), embeddings are
 * written only where missing, and a version goes live once, in one transaction.
 */

const HEARTBEAT_SLICE = 16;

export interface IngestionDependencies {
  knex: Knex;
  embeddings: Embeddings;
  indexes: TenantIndexStore;
  /** The configured model's id (config.embeddings.modelId), stored beside each vector it makes. */
  embeddingModel: string;
  ingestion: Config['ingestion'];
  testRuns: Config['testRuns'];
  /** Which addresses URL and sitemap sources may reach (FETCH_ALLOWED_HOSTS). */
  outbound: OutboundPolicy;
  metrics: DomainMetrics;
}

export interface DocumentRef {
  organizationId: string;
  documentId: string;
}

export type PreparedDocument =
  { unchanged: true } | { unchanged: false; version: number; chunkCount: number; contentHash: string };

export interface EmbedBatch extends DocumentRef {
  version: number;
  fromPosition: number;
  toPosition: number;
}

/** A permanent failure: Temporal must not retry it, and the workflow stores the reason on the document. */
export const DOCUMENT_GONE = 'DocumentGone';

function permanent(error: DocumentError): ApplicationFailure {
  return ApplicationFailure.create({ message: error.message, type: error.code, nonRetryable: true });
}

export function createIngestionActivities(deps: IngestionDependencies) {
  const { knex, ingestion } = deps;

  async function loadDocument({ organizationId, documentId }: DocumentRef): Promise<Document> {
    const document = await Document.query(knex).forOrganization(organizationId).findById(documentId);
    if (!document) {
      throw ApplicationFailure.create({
        message: 'The document was deleted.',
        type: DOCUMENT_GONE,
        nonRetryable: true,
      });
    }
    return document;
  }

  async function readSource(document: Document): Promise<ParsedDocument> {
    const limits = { maxBytes: ingestion.uploadMaxBytes };
    if (document.sourceType === 'upload') {
      const file = await DocumentFile.query(knex)
        .forOrganization(document.organizationId)
        .findById(document.id);
      if (!file) throw new DocumentError('not_found', 'The uploaded file is missing; upload it again.');
      return parseDocument({
        ...limits,
        bytes: file.content,
        filename: file.filename,
        declaredType: document.mimeType ?? undefined,
      });
    }
    const fetched = await fetchUrl(document.sourceUrl!, {
      ...limits,
      timeoutMs: ingestion.fetchTimeoutMs,
      policy: deps.outbound,
    });
    return parseFetched(fetched, limits);
  }

  async function setStatus(document: Document, patch: Partial<Document>): Promise<void> {
    await knex.transaction(async (trx) => {
      await Document.query(trx)
        .forOrganization(document.organizationId)
        .patch(patch)
        .where('id', document.id);
      await publish(trx, {
        type: 'document',
        organizationId: document.organizationId,
        documentId: document.id,
        status: patch.status ?? document.status,
      });
    });
  }

  return {
    /**
     * Reads, parses and chunks the source. Unchanged content (same hash as the live version) stops
     * here; otherwise the chunks of the next version are stored without embeddings, reusing the
     * embedding of any chunk whose text the live version already has from the configured model.
     */
    async prepareDocument(ref: DocumentRef): Promise<PreparedDocument> {
      const document = await loadDocument(ref);
      await setStatus(document, { status: 'processing', error: null, progress: { stage: 'fetching' } });
      let parsed: ParsedDocument;
      try {
        parsed = await readSource(document);
      } catch (error) {
        if (error instanceof DocumentError && error.permanent) throw permanent(error);
        throw error;
      }
      const hash = contentHash(parsed.text, ingestion, deps.embeddingModel);
      if (hash === document.contentHash && document.version > 0) return { unchanged: true };

      // A title given at upload or when the URL was added stays; otherwise the source's own names it.
      const title = document.titleGiven ? document.title : parsed.title || document.title;
      const chunks = chunkText(parsed.text, {
        chunkSize: ingestion.chunkSize,
        markdown: parsed.markdown,
        slugAnchors: parsed.slugAnchors,
        title,
      });
      if (chunks.length === 0) {
        throw permanent(new DocumentError('no_text', 'This document has no text besides headings.'));
      }
      const version = document.version + 1;
      await knex.transaction(async (trx) => {
        const scoped = () => DocumentChunk.query(trx).forOrganization(document.organizationId);
        // A retried attempt may have stored chunks of this version from different content: replace them.
        await scoped().delete().where({ documentId: document.id, documentVersion: version });
        for (let start = 0; start < chunks.length; start += 500) {
          await scoped().insert(
            chunks.slice(start, start + 500).map((chunk) => ({
              documentId: document.id,
              documentVersion: version,
              position: chunk.position,
              text: chunk.text,
              tokenCount: chunk.tokenCount,
              headings: chunk.headings,
              anchor: chunk.anchor,
              section: chunk.section,
            })),
          );
        }
        // A passage is embedded with its title and headings: it keeps its vector only if those stayed.
        if (title === document.title) {
          await trx.raw(
            `update document_chunks fresh
                set embedding = live.embedding, embedding_model = live.embedding_model
               from document_chunks live
              where fresh.document_id = :id and fresh.document_version = :version and fresh.embedding is null
                and live.document_id = :id and live.document_version = :live and live.text = fresh.text
                and live.headings = fresh.headings and live.embedding_model = :model`,
            { id: document.id, version, live: document.version, model: deps.embeddingModel },
          );
        }
        await Document.query(trx)
          .forOrganization(document.organizationId)
          .patch({
            title,
            mimeType: parsed.mimeType,
            progress: { stage: 'embedding', chunksDone: 0, chunksTotal: chunks.length },
          })
          .where('id', document.id);
      });
      return { unchanged: false, version, chunkCount: chunks.length, contentHash: hash };
    },

    /** Embeds the chunks of one position range that have no embedding yet; returns the version's progress. */
    async embedChunks(batch: EmbedBatch): Promise<{ chunksDone: number; chunksTotal: number }> {
      const document = await loadDocument(batch);
      const scoped = () => DocumentChunk.query(knex).forOrganization(batch.organizationId);
      const pending = await scoped()
        .where({ documentId: batch.documentId, documentVersion: batch.version })
        .where('position', '>=', batch.fromPosition)
        .where('position', '<', batch.toPosition)
        .whereNull('embedding')
        .orderBy('position')
        .select('id', 'text', 'headings');
      // Embed in slices with a heartbeat after each: a crashed worker's batch is retried within
      // the heartbeat timeout instead of waiting out the whole activity timeout.
      for (let start = 0; start < pending.length; start += HEARTBEAT_SLICE) {
        const slice = pending.slice(start, start + HEARTBEAT_SLICE);
        const vectors = await deps.embeddings.embedDocuments(
          slice.map((chunk) => passageInContext(document.title, chunk.headings, chunk.text)),
        );
        await knex.raw(
          `update document_chunks c set embedding = v.embedding, embedding_model = ?
             from unnest(?::bigint[], ?::bytea[]) as v(id, embedding)
            where c.id = v.id and c.organization_id = ?`,
          [
            deps.embeddingModel,
            slice.map((c) => c.id),
            vectors.map((v) => encodeVector(v)),
            batch.organizationId,
          ],
        );
        Context.current().heartbeat(start + slice.length);
      }
      const [counts] = (await scoped()
        .where({ documentId: batch.documentId, documentVersion: batch.version })
        .select(
          knex.raw('count(*)::int as total'),
          knex.raw('count(embedding)::int as done'),
        )) as unknown as {
        total: number;
        done: number;
      }[];
      const progress = { stage: 'embedding' as const, chunksDone: counts!.done, chunksTotal: counts!.total };
      await Document.query(knex)
        .forOrganization(document.organizationId)
        .patch({ progress })
        .where('id', document.id);
      return { chunksDone: progress.chunksDone, chunksTotal: progress.chunksTotal };
    },

    /**
     * Makes a fully embedded version the live one: in one transaction the document points at it, the
     * chunks of every other version are removed, and the organization's knowledge revision moves on.
     */
    async activateVersion(input: DocumentRef & { version: number; contentHash: string }): Promise<void> {
      // The title as prepareDocument set it for this version; embedded outside the transaction.
      const titled = await Document.query(knex)
        .forOrganization(input.organizationId)
        .findById(input.documentId)
        .select('title');
      const titleEmbedding = titled ? encodeVector(await deps.embeddings.embedQuery(titled.title)) : null;
      await knex.transaction(async (trx) => {
        const document = await Document.query(trx)
          .forOrganization(input.organizationId)
          .findById(input.documentId)
          .forUpdate();
        if (!document) {
          throw ApplicationFailure.create({
            message: 'The document was deleted.',
            type: DOCUMENT_GONE,
            nonRetryable: true,
          });
        }
        const chunks = DocumentChunk.query(trx).forOrganization(input.organizationId);
        if (document.version !== input.version) {
          const missing = await chunks
            .clone()
            .where({ documentId: input.documentId, documentVersion: input.version })
            .whereNull('embedding')
            .resultSize();
          if (missing > 0)
            throw new Error(`${missing} chunks of version ${input.version} have no embedding yet`);
        }
        const total = await chunks
          .clone()
          .where({ documentId: input.documentId, documentVersion: input.version })
          .resultSize();
        await chunks
          .clone()
          .delete()
          .where('documentId', input.documentId)
          .whereNot('documentVersion', input.version);
        await Document.query(trx)
          .forOrganization(input.organizationId)
          .patch({
            version: input.version,
            contentHash: input.contentHash,
            status: 'ready',
            error: null,
            progress: { stage: 'ready', chunksDone: total, chunksTotal: total },
            lastSyncedAt: new Date(),
            titleEmbedding,
          })
          .where('id', input.documentId);
        await bumpKnowledgeRevision(trx, input.organizationId);
        await publish(trx, {
          type: 'document',
          organizationId: input.organizationId,
          documentId: input.documentId,
          status: 'ready',
        });
        await emitWebhookEvent(trx, input.organizationId, 'document.ready', {
          documentId: input.documentId,
          title: document.title,
          version: input.version,
          chunks: total,
        });
      });
      deps.metrics.ingestions.inc({ result: 'ready' });
      // The organization's test sets run again once the burst of changes is over (#22).
      const { client, info } = Context.current();
      await noteKnowledgeChange(client, info.taskQueue, knex, {
        organizationId: input.organizationId,
        quietSeconds: deps.testRuns.quietSeconds,
      });
    },

    /** Unchanged content: the document is ready again and its last sync time moves on. */
    async markUnchanged(ref: DocumentRef): Promise<void> {
      const document = await loadDocument(ref);
      // A document ingested before titles had vectors gets one here (npm run reindex re-syncs all).
      const titleEmbedding =
        document.titleEmbedding ?? encodeVector(await deps.embeddings.embedQuery(document.title));
      await setStatus(document, {
        status: 'ready',
        error: null,
        lastSyncedAt: new Date(),
        progress: { ...document.progress, stage: 'ready' },
        titleEmbedding,
      });
      // The indexes read title vectors when the knowledge revision moves.
      if (!document.titleEmbedding) await bumpKnowledgeRevision(knex, ref.organizationId);
      deps.metrics.ingestions.inc({ result: 'unchanged' });
    },

    /** Records why ingestion failed and drops the chunks of the version that did not go live. */
    async markFailed(ref: DocumentRef & { reason: string }): Promise<void> {
      const document = await Document.query(knex)
        .forOrganization(ref.organizationId)
        .findById(ref.documentId);
      if (!document) return;
      // A retried activity finds the failure recorded and announces it once.
      if (document.progress.stage !== 'failed' || document.error !== ref.reason) {
        await emitWebhookEvent(knex, ref.organizationId, 'document.failed', {
          documentId: document.id,
          title: document.title,
          error: ref.reason,
          // A document that was live stays answerable from its last good version.
          liveVersion: document.version > 0 ? document.version : null,
        });
      }
      await DocumentChunk.query(knex)
        .forOrganization(ref.organizationId)
        .delete()
        .where('documentId', ref.documentId)
        .where('documentVersion', '>', document.version);
      await setStatus(document, {
        // A document that was live stays answerable from its last good version.
        status: document.version > 0 ? 'ready' : 'failed',
        error: ref.reason,
        progress: { ...document.progress, stage: 'failed' },
      });
      deps.metrics.ingestions.inc({ result: 'failed' });
    },

    /** Brings this worker's FAISS index of the organization up to date. */
    async syncTenantIndex({
      organizationId,
    }: {
      organizationId: string;
    }): Promise<{ action: string; size: number }> {
      const report = await deps.indexes.sync(organizationId);
      return { action: report.action, size: report.size };
    },

    /**
     * Reads a sitemap and reconciles its pages with the child documents: new pages become documents,
     * pages gone from the sitemap are deleted (and leave the knowledge base). Returns the page documents.
     */
    async syncSitemapPages(ref: DocumentRef): Promise<{ documentIds: string[]; truncated: boolean }> {
      const sitemap = await loadDocument(ref);
      let pages;
      try {
        pages = await fetchSitemap(sitemap.sourceUrl!, {
          maxPages: ingestion.sitemapMaxPages,
          timeoutMs: ingestion.fetchTimeoutMs,
          policy: deps.outbound,
        });
      } catch (error) {
        if (error instanceof DocumentError && error.permanent) throw permanent(error);
        throw error;
      }
      return knex.transaction(async (trx) => {
        const documents = () => Document.query(trx).forOrganization(sitemap.organizationId);
        const existing = await documents().where('parentDocumentId', sitemap.id);
        const byUrl = new Map(existing.map((d) => [d.sourceUrl, d]));
        const wanted = new Set(pages.urls);
        const removed = existing.filter((d) => !wanted.has(d.sourceUrl!));
        if (removed.length > 0) {
          await documents()
            .delete()
            .whereIn(
              'id',
              removed.map((d) => d.id),
            );
          await bumpKnowledgeRevision(trx, sitemap.organizationId);
        }
        const documentIds: string[] = [];
        for (const url of pages.urls) {
          const page =
            byUrl.get(url) ??
            (await documents().insert({
              title: url,
              sourceType: 'url',
              sourceUrl: url,
              parentDocumentId: sitemap.id,
              visibility: sitemap.visibility,
            }));
          documentIds.push(page.id);
        }
        await documents()
          .patch({ progress: { stage: 'pages', chunksDone: 0, chunksTotal: documentIds.length } })
          .where('id', sitemap.id);
        return { documentIds, truncated: pages.truncated };
      });
    },

    /** Mirrors a sitemap's page progress (pages done of total) on its row. */
    async reportSitemapProgress(
      ref: DocumentRef & { pagesDone: number; pagesTotal: number; failed: number },
    ): Promise<void> {
      const document = await loadDocument(ref);
      const done = ref.pagesDone === ref.pagesTotal;
      await setStatus(document, {
        status: done ? 'ready' : 'processing',
        error: ref.failed > 0 ? `${ref.failed} of ${ref.pagesTotal} pages could not be ingested.` : null,
        progress: { stage: done ? 'ready' : 'pages', chunksDone: ref.pagesDone, chunksTotal: ref.pagesTotal },
        ...(done ? { lastSyncedAt: new Date() } : {}),
      });
    },
  };
}
