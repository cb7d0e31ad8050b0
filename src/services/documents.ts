import { WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import type { Config } from '../config';
import {
  Document,
  DocumentChunk,
  DocumentFile,
  type DocumentSourceType,
  type DocumentStatus,
  type DocumentVisibility,
  type IngestionProgress,
} from '../db/models';
import { DocumentError, sniffType } from '../ingestion';
import { recordAudit, type Actor } from './audit';
import { bumpKnowledgeRevision } from './knowledge';
import { noteKnowledgeChange } from './test-runs';
import { HttpProblem, problems } from '../lib/problem';
import { paginate, whereUpdated, type Page, type PageParams, type UpdatedRange } from '../lib/pagination';
import type { TemporalGateway } from '../temporal/client';
import { ingestWorkflowId, resyncSignal, type IngestInput } from '../workflows/contracts';
import type { ingestDocument } from '../workflows/ingestion';
import { clip } from '../lib/storable';
import type { Integer } from '../domain/schemas';

/**
 * The knowledge base: documents enter here and ingestion runs as a workflow per document
 * (`ingest-<documentId>`), so a retried request or a second re-sync never starts the work twice.
 */

export interface DocumentServiceDeps {
  knex: Knex;
  temporal: TemporalGateway;
  config: Pick<Config, 'ingestion' | 'testRuns'>;
}

/** A document as the API shows it. */
export interface DocumentView {
  id: string;
  title: string;
  sourceType: DocumentSourceType;
  /** The page or sitemap URL; null for uploads. */
  sourceUrl: string | null;
  mimeType: string | null;
  /** The sitemap a page belongs to. */
  parentDocumentId: string | null;
  /** The live version: 0 until the first ingestion completes, then +1 for each content change. */
  version: Integer;
  status: DocumentStatus;
  /**
   * `public`: citations link to it — its source URL, or for an upload the read-only article page
   * Parley serves; `internal`: answers use it and cite it by title only, with no link anywhere.
   */
  visibility: DocumentVisibility;
  /** Why the last ingestion failed, written for people. */
  error: string | null;
  /** Ingestion stage and chunks embedded (pages done, for a sitemap). */
  progress: IngestionProgress;
  lastSyncedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const toDocumentView = (d: Document): DocumentView => ({
  id: d.id,
  title: d.title,
  sourceType: d.sourceType,
  sourceUrl: d.sourceUrl,
  mimeType: d.mimeType,
  parentDocumentId: d.parentDocumentId,
  version: d.version,
  status: d.status,
  visibility: d.visibility,
  error: d.error,
  progress: d.progress,
  lastSyncedAt: d.lastSyncedAt,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
});

/** A public document as its article page shows it: the live version's sections, in order. */
export interface ArticleView {
  title: string;
  /** Where the document came from, when it is a web page (the article links back to it). */
  sourceUrl: string | null;
  lastSyncedAt: Date | null;
  sections: ArticleSection[];
}

export interface ArticleSection {
  /** The headings the section is under, outermost first (the document's title not included). */
  headings: string[];
  /** The id citations of this section link to (`#anchor`), when it has one. */
  anchor: string | null;
  /** The section's text as the chunker cut it (Markdown blocks), its passages joined in order. */
  text: string;
}

export interface DocumentFilters extends PageParams, UpdatedRange {
  status?: DocumentStatus;
  sourceType?: DocumentSourceType;
  /** Case-insensitive match on the title or URL. */
  q?: string;
  /** Pages of one sitemap; top-level documents when absent. */
  parentId?: string;
}

const MAX_TITLE = 500;

export interface DocumentVersion {
  documentVersion: number;
  /** As PostgreSQL counts: a bigint, so a string. */
  count: string;
}

export class DocumentService {
  constructor(private readonly deps: DocumentServiceDeps) {}

  async upload(
    organizationId: string,
    file: { originalname: string; mimetype: string; buffer: Buffer; size: number },
    title?: string,
    visibility: DocumentVisibility = 'public',
  ): Promise<Document> {
    if (file.size === 0) throw problems.validation([{ field: 'body.file', message: 'is empty' }]);
    if (file.size > this.deps.config.ingestion.uploadMaxBytes) {
      throw new HttpProblem(
        'payload-too-large',
        `The file is larger than the limit of ${this.deps.config.ingestion.uploadMaxBytes} bytes.`,
      );
    }
    // The type is checked by content now, so an unsupported file is refused before it is stored.
    try {
      sniffType(file.buffer, { filename: file.originalname, declaredType: file.mimetype });
    } catch (error) {
      if (error instanceof DocumentError) throw new HttpProblem('unsupported-media-type', error.message);
      throw error;
    }
    const document = await this.deps.knex.transaction(async (trx) => {
      const created = await Document.query(trx)
        .forOrganization(organizationId)
        .insert({
          title: clip(title?.trim() || file.originalname, MAX_TITLE),
          titleGiven: Boolean(title?.trim()),
          sourceType: 'upload',
          mimeType: file.mimetype || null,
          visibility,
        })
        .returning('*');
      await DocumentFile.query(trx).forOrganization(organizationId).insert({
        documentId: created.id,
        filename: file.originalname,
        sizeBytes: file.size,
        content: file.buffer,
      });
      return created;
    });
    await this.startIngestion(document);
    return document;
  }

  async addUrl(
    organizationId: string,
    input: { url: string; type: 'url' | 'sitemap'; title?: string; visibility?: DocumentVisibility },
  ): Promise<Document> {
    const url = parseHttpUrl(input.url);
    const document = await Document.query(this.deps.knex)
      .forOrganization(organizationId)
      .insert({
        title: clip(input.title?.trim() || url, MAX_TITLE),
        titleGiven: Boolean(input.title?.trim()),
        sourceType: input.type,
        sourceUrl: url,
        visibility: input.visibility ?? 'public',
      })
      .returning('*');
    await this.startIngestion(document);
    return document;
  }

  list(organizationId: string, filters: DocumentFilters): Promise<Page<Document>> {
    const query = Document.query(this.deps.knex).forOrganization(organizationId);
    if (filters.parentId) query.where('parentDocumentId', filters.parentId);
    else query.whereNull('parentDocumentId');
    if (filters.status) query.where('status', filters.status);
    if (filters.sourceType) query.where('sourceType', filters.sourceType);
    if (filters.q) {
      const pattern = `%${filters.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.where((q) => q.whereILike('title', pattern).orWhereILike('sourceUrl', pattern));
    }
    whereUpdated(query, 'documents', filters);
    return paginate(query, 'documents', filters, {
      createdAt: 'createdAt',
      updatedAt: 'updatedAt',
      title: 'title',
    });
  }

  /** The titles of these documents, by id (for the sources a conversation's answers cite). */
  async titles(organizationId: string, documentIds: string[]): Promise<Map<string, string>> {
    if (documentIds.length === 0) return new Map();
    const documents = await Document.query(this.deps.knex)
      .forOrganization(organizationId)
      .whereIn('id', documentIds)
      .select('id', 'title');
    return new Map(documents.map((d) => [d.id, d.title]));
  }

  /**
   * The article page of a public document of this organization: its live version's text, section by
   * section (the passages answers quote). Null when the document is internal, belongs to another
   * organization, or has no live version yet.
   */
  async article(organizationId: string, documentId: string): Promise<ArticleView | null> {
    const document = await Document.query(this.deps.knex)
      .forOrganization(organizationId)
      .findById(documentId)
      .where('visibility', 'public');
    if (!document || document.version === 0) return null;
    const chunks = await DocumentChunk.query(this.deps.knex)
      .forOrganization(organizationId)
      .where({ documentId, documentVersion: document.version })
      .orderBy('position')
      .select('section', 'headings', 'anchor', 'text');
    if (chunks.length === 0) return null;
    const sections: ArticleSection[] = [];
    let current: number | undefined;
    for (const chunk of chunks) {
      if (chunk.section === current) {
        sections[sections.length - 1]!.text += `\n\n${chunk.text}`;
        continue;
      }
      current = chunk.section;
      sections.push({ headings: chunk.headings, anchor: chunk.anchor, text: chunk.text });
    }
    return {
      title: document.title,
      sourceUrl: document.sourceUrl,
      lastSyncedAt: document.lastSyncedAt,
      sections,
    };
  }

  /** The document's versions that have chunks, newest first, with their chunk counts. */
  async versions(organizationId: string, documentId: string): Promise<DocumentVersion[]> {
    return DocumentChunk.query(this.deps.knex)
      .forOrganization(organizationId)
      .where('documentId', documentId)
      .groupBy('documentVersion')
      .select('documentVersion')
      .count('* as count')
      .orderBy('documentVersion', 'desc') as unknown as Promise<DocumentVersion[]>;
  }

  async get(organizationId: string, documentId: string): Promise<Document> {
    const document = await Document.query(this.deps.knex)
      .forOrganization(organizationId)
      .findById(documentId);
    if (!document) throw problems.notFound('The document');
    return document;
  }

  /**
   * Makes the document public or internal, and a sitemap's pages with it. Retrieval reads the
   * visibility with each passage, so the next answer links (or no longer links) it; nothing is
   * re-indexed.
   */
  async setVisibility(actor: Actor, documentId: string, visibility: DocumentVisibility): Promise<Document> {
    const { organizationId } = actor;
    const document = await this.get(organizationId, documentId);
    if (document.visibility === visibility) return document;
    return this.deps.knex.transaction(async (trx) => {
      const documents = () => Document.query(trx).forOrganization(organizationId);
      const [updated] = await documents().patch({ visibility }).where('id', document.id).returning('*');
      await documents().patch({ visibility }).where('parentDocumentId', document.id);
      await recordAudit(
        trx,
        actor,
        'document.visibility_changed',
        { type: 'document', id: document.id },
        { from: document.visibility, to: visibility },
      );
      return updated!;
    });
  }

  /** Fetches the source again (or re-reads the upload); unchanged content is recognised and skipped. */
  async resync(organizationId: string, documentId: string): Promise<Document> {
    const document = await this.get(organizationId, documentId);
    if (document.parentDocumentId) {
      throw problems.conflict(
        'Pages of a sitemap are re-synced with their sitemap; re-sync the sitemap instead.',
      );
    }
    await this.startIngestion(document);
    return document;
  }

  /**
   * Re-syncs every document of the given organizations (all of them when none is given): after a
   * change of the chunking settings or of the embedding model each is cut and embedded again;
   * unchanged ones are skipped.
   * Sitemap pages go with their sitemap. Returns how many re-syncs it started.
   */
  async resyncAll(organizationIds: string[] = []): Promise<number> {
    const documents = await Document.query(this.deps.knex)
      .unscoped('an operator re-indexes every organization, or the ones named')
      .whereNull('parentDocumentId')
      .modify((query) => {
        if (organizationIds.length > 0) query.whereIn('organizationId', organizationIds);
      })
      .orderBy('createdAt');
    for (const document of documents) await this.startIngestion(document);
    return documents.length;
  }

  /**
   * Deletes the document, its pages and its chunks; its passages leave answers at once (retrieval
   * only returns chunks of documents that still exist) and every vector index resyncs.
   */
  async delete(actor: Actor, documentId: string): Promise<void> {
    const { organizationId } = actor;
    const document = await this.get(organizationId, documentId);
    const pages = await Document.query(this.deps.knex)
      .forOrganization(organizationId)
      .where('parentDocumentId', documentId)
      .select('id');
    await this.deps.knex.transaction(async (trx) => {
      await Document.query(trx).forOrganization(organizationId).deleteById(document.id);
      await bumpKnowledgeRevision(trx, organizationId);
      await recordAudit(
        trx,
        actor,
        'document.deleted',
        { type: 'document', id: document.id },
        { title: document.title },
      );
    });
    // Stop a running ingestion or a waiting re-sync timer; one that already finished has nothing to stop.
    const client = await this.deps.temporal.getClient();
    for (const id of [document.id, ...pages.map((p) => p.id)]) {
      try {
        await client.workflow.getHandle(ingestWorkflowId(id)).cancel();
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    }
    // Questions that expected this document are reported as such by the next runs (#22).
    await noteKnowledgeChange(client, this.deps.temporal.taskQueue, this.deps.knex, {
      organizationId,
      quietSeconds: this.deps.config.testRuns.quietSeconds,
    });
  }

  private async startIngestion(document: Document): Promise<void> {
    const client = await this.deps.temporal.getClient();
    const { ingestion } = this.deps.config;
    const input: IngestInput = {
      organizationId: document.organizationId,
      documentId: document.id,
      sourceType: document.sourceType,
      embedBatchSize: ingestion.embedBatchSize,
      resyncMinutes: document.sourceType === 'upload' ? undefined : ingestion.resyncIntervalMinutes,
    };
    // Starts the workflow, or — when a URL's workflow is already waiting for its next re-sync — wakes it.
    await client.workflow.signalWithStart<typeof ingestDocument, []>('ingestDocument', {
      workflowId: ingestWorkflowId(document.id),
      taskQueue: this.deps.temporal.taskQueue,
      args: [input],
      signal: resyncSignal,
      signalArgs: [],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
  }
}

function parseHttpUrl(value: string): string {
  try {
    const url = new URL(value.trim());
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString();
  } catch {
    // reported below
  }
  throw problems.validation([{ field: 'body.url', message: 'must be an http or https URL' }]);
}
