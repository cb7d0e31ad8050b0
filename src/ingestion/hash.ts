import { createHash } from 'node:crypto';
import { normalizeText } from './normalize';

/**
 * sha256 (hex) of the normalised text: the same content uploaded again with other bytes, metadata or
 * whitespace hashes the same, so ingestion can skip re-embedding it.
 */
export function contentHash(text: string): string {
  return createHash('sha256').update(normalizeText(text), 'utf8').digest('hex');
}
