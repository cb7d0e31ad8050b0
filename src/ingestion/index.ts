/**
 * Turning a document source (upload, URL, sitemap) into clean text and chunks, ready to embed.
 * Pure library code for the ingestion activities: no database, no Temporal.
 */
export { DocumentError, type DocumentErrorCode } from './errors';
export { MIME_TYPES, sniffType, type DocumentKind, type TypeHints } from './sniff';
