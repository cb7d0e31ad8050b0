/**
 * Turning a document source (upload, URL, sitemap) into clean text and chunks, ready to embed.
 * Pure library code for the ingestion activities: no database, no Temporal.
 */
export {
  chunkText,
  headingPath,
  passageBlocks,
  passageInContext,
  type Block,
  type Chunk,
  type ChunkOptions,
} from './chunk';
export { DocumentError, type DocumentErrorCode } from './errors';
export { fetchUrl, parseFetched, type FetchedResource, type FetchOptions } from './fetch';
export { CHUNKER_VERSION, contentHash, type Chunking } from './hash';
export { normalizeText } from './normalize';
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_PAGES,
  parseDocument,
  type ParsedDocument,
  type ParseInput,
} from './parse';
export { fetchSitemap, type SitemapOptions, type SitemapPages } from './sitemap';
export { MIME_TYPES, sniffType, type DocumentKind, type TypeHints } from './sniff';
