import { type JSONSchema, type RelationMappings } from 'objection';
import { BaseModel, TenantModel } from '../base-model';
import type { Integer } from '../../domain/schemas';

export const DOCUMENT_SOURCE_TYPES = ['upload', 'url', 'sitemap'] as const;
export type DocumentSourceType = (typeof DOCUMENT_SOURCE_TYPES)[number];
export const DOCUMENT_STATUSES = ['pending', 'processing', 'ready', 'failed'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];
/** `public`: citations link to it (its source URL or its article page); `internal`: cited by title only. */
export const DOCUMENT_VISIBILITIES = ['public', 'internal'] as const;
export type DocumentVisibility = (typeof DOCUMENT_VISIBILITIES)[number];

export const INGESTION_STAGES = [
  'fetching',
  'embedding',
  'indexing',
  'pages',
  'ready',
  'unchanged',
  'failed',
  'waiting',
] as const;
/** Where an ingestion is: fetching, embedding, indexing, pages (a sitemap's), or how it ended. */
export type IngestionStage = (typeof INGESTION_STAGES)[number];

export interface IngestionProgress {
  stage?: IngestionStage;
  chunksDone?: Integer;
  chunksTotal?: Integer;
}

export class Document extends TenantModel {
  static override tableName = 'documents';
  declare id: string;
  declare title: string;
  /** True when whoever added the document gave its title: ingestion keeps it instead of the source's. */
  declare titleGiven: boolean;
  declare sourceType: DocumentSourceType;
  declare sourceUrl: string | null;
  declare mimeType: string | null;
  declare parentDocumentId: string | null;
  declare contentHash: string | null;
  declare version: number;
  declare status: DocumentStatus;
  declare visibility: DocumentVisibility;
  declare error: string | null;
  declare progress: IngestionProgress;
  declare lastSyncedAt: Date | null;
  /** The title's vector (float32, the chunks' model), set when a version goes live; null before. */
  declare titleEmbedding: Buffer | null;
  declare createdAt: Date;
  declare updatedAt: Date;

  static override jsonSchema: JSONSchema = {
    type: 'object',
    required: ['title', 'sourceType'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      organizationId: { type: 'string', format: 'uuid' },
      title: { type: 'string', minLength: 1, maxLength: 500 },
      titleGiven: { type: 'boolean' },
      sourceType: { type: 'string', enum: [...DOCUMENT_SOURCE_TYPES] },
      sourceUrl: { type: ['string', 'null'], maxLength: 2048 },
      mimeType: { type: ['string', 'null'] },
      parentDocumentId: { type: ['string', 'null'], format: 'uuid' },
      contentHash: { type: ['string', 'null'] },
      version: { type: 'integer', minimum: 0 },
      status: { type: 'string', enum: [...DOCUMENT_STATUSES] },
      visibility: { type: 'string', enum: [...DOCUMENT_VISIBILITIES] },
      error: { type: ['string', 'null'] },
      progress: { type: 'object' },
    },
  };

  static override relationMappings = (): RelationMappings => ({
    file: {
      relation: BaseModel.HasOneRelation,
      modelClass: DocumentFile,
      join: { from: 'documents.id', to: 'document_files.documentId' },
    },
    chunks: {
      relation: BaseModel.HasManyRelation,
      modelClass: DocumentChunk,
      join: { from: 'documents.id', to: 'document_chunks.documentId' },
    },
  });
}

/** The bytes of an uploaded document, kept so ingestion can be retried and re-run. */
export class DocumentFile extends TenantModel {
  static override tableName = 'document_files';
  static override idColumn = 'documentId';
  declare documentId: string;
  declare filename: string;
  declare sizeBytes: number;
  declare content: Buffer;
  declare createdAt: Date;
  declare updatedAt: Date;
}

export class DocumentChunk extends TenantModel {
  static override tableName = 'document_chunks';
  static override hasUpdatedAt = false;
  /** bigint: PostgreSQL returns it as a string; it is also the chunk's FAISS label. */
  declare id: string;
  declare documentId: string;
  declare documentVersion: number;
  declare position: number;
  declare text: string;
  declare tokenCount: number;
  /** Titles of the sections the passage is in, outermost first (the document's title not included). */
  declare headings: string[];
  /** The fragment of the passage's section in its source (`sourceUrl#anchor`); null when it has none. */
  declare anchor: string | null;
  /** The section of the document the passage belongs to (0..n-1 in document order). */
  declare section: number;
  /** Little-endian float32 values (see src/ai/vector-codec.ts); null until the chunk is embedded. */
  declare embedding: Buffer | null;
  /** The model that made `embedding` (config.embeddings.modelId); null with it. */
  declare embeddingModel: string | null;
  declare createdAt: Date;
  declare document?: Document;

  static override relationMappings = (): RelationMappings => ({
    document: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Document,
      join: { from: 'document_chunks.documentId', to: 'documents.id' },
    },
  });
}
