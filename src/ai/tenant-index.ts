import path from 'node:path';
import type { Knex } from 'knex';
import { DocumentChunk, Organization } from '../db/models';
import type { Logger } from '../lib/logger';
import { decodeVector } from './vector-codec';
import { CorruptIndexError, VectorIndex, indexKindFor, type VectorHit } from './vector-index';

/**
 * Per-tenant FAISS indexes, derived from PostgreSQL (the source of truth).
 *
 * Each worker keeps the indexes it uses in memory and on local disk. Before a search it compares the
 * index's revision with the organization's `knowledge_revision`; when they differ it syncs: chunks
 * that became live are added, and when too many labels point at chunks that are gone (old versions,
 * deleted documents) — or the file is missing or corrupt, or the tenant crossed the flat/HNSW size
 * threshold — the index is rebuilt from the stored embeddings. Search results are always re-checked
 * against the database, so a stale label can never surface a deleted passage.
 */

const REBUILD_STALE_RATIO = 0.2;
const LOAD_BATCH = 5_000;
const MAX_CACHED_TENANTS = 64;

export interface TenantIndexOptions {
  knex: Knex;
  dir: string;
  /** The configured embedding model: only its vectors are indexed, and the index is its size. */
  embedder: { model: string; dimension: number };
  logger: Logger;
}

export interface SyncReport {
  action: 'fresh' | 'loaded' | 'added' | 'rebuilt';
  size: number;
  added: number;
}

export class TenantIndexStore {
  private readonly cache = new Map<string, VectorIndex>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly options: TenantIndexOptions) {}

  /** Nearest chunks of the organization's live knowledge (ids and cosine scores, best first). */
  async search(organizationId: string, query: ArrayLike<number>, k: number): Promise<VectorHit[]> {
    await this.sync(organizationId);
    return this.cache.get(organizationId)?.search(query, k) ?? [];
  }

  /** Brings the organization's index up to date with PostgreSQL (serialized per organization). */
  sync(organizationId: string): Promise<SyncReport> {
    const previous = this.locks.get(organizationId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.syncNow(organizationId));
    this.locks.set(organizationId, next);
    // Not `next.finally(…)`: the promise it returns rejects with `next`, unhandled, and Node ends the
    // process on an unhandled rejection, so a database outage during a sync killed the worker.
    const release = () => {
      if (this.locks.get(organizationId) === next) this.locks.delete(organizationId);
    };
    next.then(release, release);
    return next;
  }

  /** Drops the in-memory copy (tests use this to force a reload from disk or a rebuild). */
  evict(organizationId: string): void {
    this.cache.delete(organizationId);
  }

  indexDir(organizationId: string): string {
    return path.join(this.options.dir, organizationId);
  }

  private async syncNow(organizationId: string): Promise<SyncReport> {
    const revision = await this.revisionOf(organizationId);
    let index = this.cache.get(organizationId);
    if (index?.revision === revision) return this.remember(organizationId, index, 'fresh', 0);

    if (!index) {
      try {
        index = VectorIndex.load(this.indexDir(organizationId));
        if (index.revision === revision) return this.remember(organizationId, index, 'loaded', 0);
      } catch (error) {
        if (!(error instanceof CorruptIndexError)) throw error;
        this.options.logger.info(
          { organizationId, reason: error.message },
          'vector index unusable; rebuilding',
        );
        index = undefined;
      }
    }

    const liveIds = await this.liveChunkIds(organizationId);
    const indexed = new Set(index ? index.ids() : []);
    const live = new Set(liveIds);
    const missing = liveIds.filter((id) => !indexed.has(id));
    const stale = index ? index.size - (live.size - missing.length) : 0;
    const rebuild =
      !index ||
      index.dimension !== this.options.embedder.dimension ||
      stale > index.size * REBUILD_STALE_RATIO ||
      indexKindFor(live.size) !== index.kind;

    if (rebuild) {
      index = VectorIndex.create(this.options.embedder.dimension, live.size, revision);
      await this.addChunks(organizationId, index, liveIds);
    } else {
      await this.addChunks(organizationId, index!, missing);
      index!.revision = revision;
    }
    index!.save(this.indexDir(organizationId));
    return this.remember(
      organizationId,
      index!,
      rebuild ? 'rebuilt' : 'added',
      rebuild ? liveIds.length : missing.length,
    );
  }

  private remember(
    organizationId: string,
    index: VectorIndex,
    action: SyncReport['action'],
    added: number,
  ): SyncReport {
    // Re-inserting keeps the Map in least-recently-used order for eviction.
    this.cache.delete(organizationId);
    this.cache.set(organizationId, index);
    if (this.cache.size > MAX_CACHED_TENANTS) this.cache.delete(this.cache.keys().next().value!);
    return { action, size: index.size, added };
  }

  /** The knowledge revision, and the model: an index saved under another model is never reused. */
  private async revisionOf(organizationId: string): Promise<string> {
    const organization = await Organization.query(this.options.knex)
      .findById(organizationId)
      .select('knowledgeRevision');
    return `${organization?.knowledgeRevision ?? 0} ${this.options.embedder.model}`;
  }

  /**
   * Chunks of the live version of each document that the configured model embedded. Documents
   * embedded by another model drop out until a re-sync (`npm run reindex`) embeds them again.
   */
  private liveChunks(organizationId: string) {
    return DocumentChunk.query(this.options.knex)
      .forOrganization(organizationId)
      .joinRelated('document')
      .whereColumn('document_chunks.documentVersion', 'document.version')
      .where('document_chunks.embeddingModel', this.options.embedder.model);
  }

  private async liveChunkIds(organizationId: string): Promise<string[]> {
    const rows = await this.liveChunks(organizationId)
      .select('document_chunks.id')
      .orderBy('document_chunks.id');
    return rows.map((row) => String(row.id));
  }

  private async addChunks(organizationId: string, index: VectorIndex, ids: string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += LOAD_BATCH) {
      const batch = ids.slice(start, start + LOAD_BATCH);
      const rows = await this.liveChunks(organizationId)
        .whereIn('document_chunks.id', batch)
        .select('document_chunks.id', 'document_chunks.embedding');
      index.add(
        rows.map((row) => String(row.id)),
        rows.map((row) => decodeVector(row.embedding!)),
      );
    }
  }
}
