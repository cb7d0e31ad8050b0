import type { Citation } from '../../db/models';
import { headingPath } from '../../ingestion';
import type { Passage } from './types';

/** Longest snippet a citation carries. */
const SNIPPET_CHARS = 300;

/** The citation of a passage, with the words quoted from it (or the passage's start) and their section. */
export function citationFor(
  passage: Passage,
  quoted = passage.text,
  section = headingPath([passage.title, ...passage.headings]),
): Citation {
  const snippet = quoted.replace(/\s+/g, ' ').trim();
  return {
    documentId: passage.documentId,
    title: passage.title,
    url: passage.url,
    chunkId: passage.chunkId,
    section,
    snippet: snippet.length > SNIPPET_CHARS ? `${snippet.slice(0, SNIPPET_CHARS - 1).trimEnd()}…` : snippet,
  };
}

/** One citation per document used, in the order of first use. */
export function citationsFor(passages: Passage[]): Citation[] {
  const seen = new Set<string>();
  const citations: Citation[] = [];
  for (const passage of passages) {
    if (seen.has(passage.documentId)) continue;
    seen.add(passage.documentId);
    citations.push(citationFor(passage));
  }
  return citations;
}
