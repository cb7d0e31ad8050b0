import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { DocumentChunk, Organization } from '../db/models';
import { headingPath } from '../ingestion';
import type { Logger } from '../lib/logger';
import { LexicalIndex } from './lexical-index';
import { TitleIndex } from './title-index';
import { decodeVector } from './vector-codec';
import { CorruptIndexError, VectorIndex, indexKindFor } from './vector-index';

/**
 * Per-tenant search indexes — FAISS (dense), BM25 (lexical) and the documents' title vectors —
 * derived from PostgreSQL (the source of truth). The title vectors are few and are read from the
 * database when a worker first needs them; the other two are also kept on local disk.
 *
 * Each worker keeps the indexes it uses in memory and on local disk. Before a search it compares each
 * index's revision with the organization's `knowledge_revision`; when they differ it syncs: chunks
 * that became live are added and the lexical index forgets those that are gone; when too many FAISS
 * labels point at chunks that are gone (old versions, deleted documents) — or a file is missing or
 * corrupt, or the tenant crossed the flat/HNSW size threshold — that index is rebuilt from the stored
 * rows. Search results are always re-checked against the database, so a stale entry can never surface
 * a deleted passage.
 */

const REBUILD_STALE_RATIO = 0.2;
/**
 * An index extended in place is written to disk at most this often: a copy a little behind is as
 * good for a restart (its revision is older, so the next sync adds what it lacks), and writing the
 * whole index after each of a thousand pages of a sitemap costs more than embedding them.
 */
const SAVE_INTERVAL_MS = 30_000;
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

/** A tenant's indexes, in step with its knowledge revision. */
export interface TenantIndexes {
  vector: VectorIndex;
  lexical: LexicalIndex;
  titles: TitleIndex;
}

export class TenantIndexStore {
  private readonly cache = new Map<string, TenantIndexes>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** A sync queued behind a running one: later callers join it, since it will see their changes. */
  private readonly waiting = new Map<string, Promise<SyncReport>>();
  private readonly savedAt = new Map<string, number>();

  constructor(private readonly options: TenantIndexOptions) {}

  /** The organization's indexes, synced with its live knowledge. */
  async get(organizationId: string): Promise<TenantIndexes> {
    await this.sync(organizationId);
    return this.cache.get(organizationId)!;
  }

  /** Brings the organization's indexes up to date with PostgreSQL (serialized per organization). */
  sync(organizationId: string): Promise<SyncReport> {
    const waiting = this.waiting.get(organizationId);
    if (waiting) return waiting;
    const previous = this.locks.get(organizationId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => {
        this.waiting.delete(organizationId);
        return this.syncNow(organizationId);
      });
    this.waiting.set(organizationId, next);
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

  /**
   * Forgets a deleted organization's indexes: the in-memory copy and the files on this worker's disk,
   * after any sync under way. Idempotent: dropping indexes that are gone does nothing.
   */
  async drop(organizationId: string): Promise<void> {
    await (this.locks.get(organizationId) ?? Promise.resolve()).catch(() => undefined);
    this.cache.delete(organizationId);
    this.savedAt.delete(organizationId);
    await fs.promises.rm(this.indexDir(organizationId), { recursive: true, force: true });
  }

  indexDir(organizationId: string): string {
    return path.join(this.options.dir, organizationId);
  }

  private async syncNow(organizationId: string): Promise<SyncReport> {
    const revision = await this.revisionOf(organizationId);
    const dir = this.indexDir(organizationId);
    const cached = this.cache.get(organizationId);
    const titles = cached?.titles ?? new TitleIndex('');
    if (titles.revision !== revision) await titles.sync(this.options.knex, organizationId, revision);
    if (cached?.vector.revision === revision && cached.lexical.revision === revision) {
      return this.remember(organizationId, cached, 'fresh', 0);
    }
    let index = cached?.vector ?? this.loadFromDisk(organizationId, () => VectorIndex.load(dir));
    let lexical = cached?.lexical ?? this.loadFromDisk(organizationId, () => LexicalIndex.load(dir));
    if (index?.revision === revision && lexical?.revision === revision) {
      return this.remember(organizationId, { vector: index, lexical, titles }, 'loaded', 0);
    }

    const liveIds = await this.liveChunkIds(organizationId);
    const live = new Set(liveIds);
    let report: SyncReport = { action: 'loaded', size: index?.size ?? 0, added: 0 };
    if (index?.revision !== revision) {
      const indexed = new Set(index ? index.ids() : []);
      const missing = liveIds.filter((id) => !indexed.has(id));
      const stale = index ? index.size - (live.size - missing.length) : 0;
      const rebuild =
        !index ||
        index.dimension !== this.options.embedder.dimension ||
        stale > index.size * REBUILD_STALE_RATIO ||
        indexKindFor(live.size) !== index.kind;
      if (rebuild) {
        index = VectorIndex.create(this.options.embedder.dimension, live.size, revision);
        await this.addVectors(organizationId, index, liveIds);
      } else {
        await this.addVectors(organizationId, index!, missing);
        index!.revision = revision;
      }
      report = {
        action: rebuild ? 'rebuilt' : 'added',
        size: index!.size,
        added: rebuild ? liveIds.length : missing.length,
      };
    }
    let built = report.action === 'rebuilt';
    if (lexical?.revision !== revision) {
      built ||= lexical === undefined;
      lexical ??= LexicalIndex.create(revision);
      lexical.discard([...lexical.ids()].filter((id) => !live.has(id)));
      await this.addPassages(
        organizationId,
        lexical,
        liveIds.filter((id) => !lexical!.ids().has(id)),
      );
      lexical.revision = revision;
    }
    if (built || Date.now() - (this.savedAt.get(organizationId) ?? 0) >= SAVE_INTERVAL_MS) {
      index!.save(dir);
      lexical.save(dir);
      this.savedAt.set(organizationId, Date.now());
    }
    return this.remember(organizationId, { vector: index!, lexical, titles }, report.action, report.added);
  }

  /** An index saved on disk, or undefined when there is none or it is unusable (then it is rebuilt). */
  private loadFromDisk<T>(organizationId: string, load: () => T): T | undefined {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof CorruptIndexError)) throw error;
      this.options.logger.info(
        { organizationId, reason: error.message },
        'search index unusable; rebuilding',
      );
      return undefined;
    }
  }

  private remember(
    organizationId: string,
    indexes: TenantIndexes,
    action: SyncReport['action'],
    added: number,
  ): SyncReport {
    // Re-inserting keeps the Map in least-recently-used order for eviction.
    this.cache.delete(organizationId);
    this.cache.set(organizationId, indexes);
    if (this.cache.size > MAX_CACHED_TENANTS) this.cache.delete(this.cache.keys().next().value!);
    return { action, size: indexes.vector.size, added };
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

  private async addVectors(organizationId: string, index: VectorIndex, ids: string[]): Promise<void> {
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

  private async addPassages(organizationId: string, index: LexicalIndex, ids: string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += LOAD_BATCH) {
      const batch = ids.slice(start, start + LOAD_BATCH);
      const rows = (await this.liveChunks(organizationId)
        .whereIn('document_chunks.id', batch)
        .select(
          'document_chunks.id',
          'document_chunks.text',
          'document_chunks.headings',
          'document.title as title',
        )) as (DocumentChunk & { title: string })[];
      index.add(
        rows.map((row) => ({
          id: String(row.id),
          title: row.title,
          headings: headingPath(row.headings),
          text: row.text,
        })),
      );
    }
  }
}
