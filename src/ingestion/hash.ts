import { createHash } from 'node:crypto';
import { normalizeText } from './normalize';

/** How a document's text is cut into passages (CHUNK_SIZE). */
export interface Chunking {
  chunkSize: number;
}

/** Names the chunker's rules: a change of them cuts every document again on its next sync. */
export const CHUNKER_VERSION = 'sections-v1';

/**
 * sha256 (hex) of what a document's passages are made from: the normalised text (the same content
 * uploaded again with other bytes, metadata or whitespace hashes the same), the chunking that cuts it
 * and the model that embeds it. A re-sync skips re-embedding when it is unchanged, and cuts and embeds
 * again content indexed under other chunking settings or by another model.
 */
export function contentHash(text: string, chunking: Chunking, embeddingModel: string): string {
  return createHash('sha256')
    .update(`chunks ${CHUNKER_VERSION} ${chunking.chunkSize}\n`, 'utf8')
    .update(`embedded by ${embeddingModel}\n`, 'utf8')
    .update(normalizeText(text), 'utf8')
    .digest('hex');
}
