import type { Embeddings } from '@langchain/core/embeddings';
import type { Knex } from 'knex';
import type { Config } from '../config';
import { DocumentChunk, type RetrievalTrace } from '../db/models';
import type { Passage } from './generation/types';
import { analyze, type LexicalHit } from './lexical-index';
import type { TenantIndexStore } from './tenant-index';
import { decodeVector } from './vector-codec';
import type { VectorHit } from './vector-index';

/**
 * Hybrid retrieval. Each ranking retrieves deep — BM25 over the tenant's passages (their titles and
 * headings weighted) and FAISS over their embeddings, `candidates` passages each — and the two are
 * fused: by reciprocal rank (RRF) or by a weighted sum of normalised scores. Passages are then ranked
 * by page (a page scores as its best passage, so one long page's many passages cannot crowd out the
 * right page), each passage comes with its enclosing section (matched small, read big), and the best
 * one is scored for how well it covers the question: the evidence the answer-or-abstain decision reads.
 */

export type RetrievalSettings = Config['retrieval'] & { topK: number };

export interface RetrievalDependencies {
  knex: Knex;
  embeddings: Embeddings;
  indexes: TenantIndexStore;
}

export interface RetrievalResult {
  passages: Passage[];
  trace: RetrievalTrace;
  /** The calibrated probability (0–1) that the first passage answers the question; null without one. */
  confidence: number | null;
}

/** RRF's constant: ranks deeper than a few dozen add little (Cormack et al., 2009, use 60). */
const RRF_K = 60;
/** The weighted fusion's share for the dense side (the lexical side gets the rest). */
const DENSE_WEIGHT = 0.5;
/** Passages of one page among the results, so the others still get a place. */
const PER_PAGE = 2;
/** A section longer than this is cut around the matched passage before the generator reads it. */
const CONTEXT_CHARS = 2_000;

interface Candidate {
  id: string;
  dense?: { rank: number; score: number };
  lexical?: { rank: number; score: number; normalized: number };
  fused: number;
}

interface CandidateRow {
  id: string;
  documentId: string;
  documentVersion: number;
  section: number;
  position: number;
  text: string;
  headings: string[];
  anchor: string | null;
  embedding: Buffer | null;
  title: string;
  sourceUrl: string | null;
}

export async function retrieve(
  deps: RetrievalDependencies,
  organizationId: string,
  question: string,
  settings: RetrievalSettings,
): Promise<RetrievalResult> {
  const timings: Record<string, number> = {};
  const timed = async <T>(stage: string, work: () => T | Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      timings[stage] = Number((performance.now() - started).toFixed(2));
    }
  };

  const indexes = await timed('sync', () => deps.indexes.get(organizationId));
  const query = await timed('embed', () => deps.embeddings.embedQuery(question));
  const dense: VectorHit[] =
    settings.mode === 'lexical'
      ? []
      : await timed('dense', () => indexes.vector.search(query, settings.candidates));
  const lexical: LexicalHit[] =
    settings.mode === 'dense'
      ? []
      : await timed('lexical', () => indexes.lexical.search(question, settings.candidates));
  const candidates = fuse(dense, lexical, settings.fusion);

  const rows = await timed('load', () =>
    loadRows(
      deps.knex,
      organizationId,
      candidates.map((c) => c.id),
    ),
  );
  const ranked = candidates.filter((c) => rows.has(c.id));
  const chosen = byPage(rankPages(ranked, rows, settings.fusion), rows).slice(0, settings.topK);
  const sections = await timed('sections', () =>
    loadSections(
      deps.knex,
      organizationId,
      chosen.map((c) => rows.get(c.id)!),
    ),
  );

  const weights = indexes.lexical.termWeights(question);
  const passages: Passage[] = chosen.map((candidate) => {
    const row = rows.get(candidate.id)!;
    const context = sectionAround(sections.get(sectionKey(row)) ?? [row], row);
    return {
      chunkId: row.id,
      documentId: row.documentId,
      documentVersion: row.documentVersion,
      title: row.title,
      headings: row.headings,
      url: row.sourceUrl && row.anchor ? `${row.sourceUrl.replace(/#.*$/, '')}#${row.anchor}` : row.sourceUrl,
      text: row.text,
      context,
      score: row.embedding ? cosine(query, decodeVector(row.embedding)) : 0,
      coverage: coverage(weights, [row.title, ...row.headings, context].join('\n')),
    };
  });

  const top = passages[0];
  return {
    passages,
    confidence: top ? calibratedConfidence(top.score, top.coverage) : null,
    trace: {
      query: question,
      hits: chosen.map((candidate, i) => {
        const passage = passages[i]!;
        return {
          chunkId: passage.chunkId,
          documentId: passage.documentId,
          documentVersion: passage.documentVersion,
          score: round(passage.score),
          coverage: round(passage.coverage),
          fused: round(candidate.fused),
          denseRank: candidate.dense?.rank ?? null,
          lexicalRank: candidate.lexical?.rank ?? null,
        };
      }),
      confidence: top ? round(calibratedConfidence(top.score, top.coverage)) : null,
      timings,
    },
  };
}

/** Both rankings' candidates, by fused score (best first); ranks are 1-based. */
export function fuse(dense: VectorHit[], lexical: LexicalHit[], method: 'rrf' | 'weighted'): Candidate[] {
  const byId = new Map<string, Candidate>();
  const entry = (id: string) => {
    let candidate = byId.get(id);
    if (!candidate) byId.set(id, (candidate = { id, fused: 0 }));
    return candidate;
  };
  dense.forEach((hit, i) => (entry(hit.id).dense = { rank: i + 1, score: hit.score }));
  lexical.forEach(
    (hit, i) => (entry(hit.id).lexical = { rank: i + 1, score: hit.score, normalized: hit.normalized }),
  );
  for (const candidate of byId.values()) {
    candidate.fused =
      method === 'rrf'
        ? (candidate.dense ? 1 / (RRF_K + candidate.dense.rank) : 0) +
          (candidate.lexical ? 1 / (RRF_K + candidate.lexical.rank) : 0)
        : // Cosine is on a 0–1 scale already; BM25 is normalised by the query's own score.
          DENSE_WEIGHT * (candidate.dense?.score ?? 0) +
          (1 - DENSE_WEIGHT) * (candidate.lexical?.normalized ?? 0);
  }
  return [...byId.values()].sort((a, b) => b.fused - a.fused || a.id.localeCompare(b.id));
}

/**
 * Pages ranked by their passages' evidence on each side — a page's dense score is its best passages'
 * similarity, its lexical score the BM25 its passages gather — fused by page; passages are then
 * listed page by page in that order, each page's best first.
 */
function rankPages(candidates: Candidate[], rows: Map<string, CandidateRow>, method: 'rrf' | 'weighted'): Candidate[] {
  const denseAgg = process.env.PAGE_AGG_DENSE ?? 'max';
  const lexAgg = process.env.PAGE_AGG_LEX ?? 'max';
  const pages = new Map<string, { dense: number[]; lexical: number[]; lexicalNorm: number[] }>();
  for (const c of candidates) {
    const doc = rows.get(c.id)!.documentId;
    const page = pages.get(doc) ?? { dense: [], lexical: [], lexicalNorm: [] };
    if (c.dense) page.dense.push(c.dense.score);
    if (c.lexical) {
      page.lexical.push(c.lexical.score);
      page.lexicalNorm.push(c.lexical.normalized);
    }
    pages.set(doc, page);
  }
  const agg = (values: number[], how: string) => {
    const sorted = [...values].sort((a, b) => b - a);
    if (sorted.length === 0) return null;
    if (how === 'sum') return sorted.reduce((a, b) => a + b, 0);
    if (how === 'sum2') return sorted.slice(0, 2).reduce((a, b) => a + b, 0);
    if (how === 'sum3') return sorted.slice(0, 3).reduce((a, b) => a + b, 0);
    if (how === 'decay') return sorted.reduce((a, b, i) => a + b / (i + 1), 0);
    return sorted[0]!;
  };
  const scored = [...pages.entries()].map(([doc, p]) => ({
    doc,
    dense: agg(p.dense, denseAgg),
    lexical: agg(p.lexical, lexAgg),
    lexicalNorm: agg(p.lexicalNorm, 'max'),
  }));
  const rankOf = (key: 'dense' | 'lexical') => {
    const order = scored.filter((x) => x[key] !== null).sort((a, b) => b[key]! - a[key]!);
    return new Map(order.map((x, i) => [x.doc, i + 1]));
  };
  const denseRanks = rankOf('dense');
  const lexicalRanks = rankOf('lexical');
  const pageScore = new Map(
    scored.map((x) => {
      const d = denseRanks.get(x.doc);
      const l = lexicalRanks.get(x.doc);
      const score =
        method === 'rrf'
          ? (d ? 1 / (RRF_K + d) : 0) + (l ? 1 / (RRF_K + l) : 0)
          : DENSE_WEIGHT * (x.dense ?? 0) + (1 - DENSE_WEIGHT) * (x.lexicalNorm ?? 0);
      return [x.doc, score] as const;
    }),
  );
  return [...candidates].sort(
    (a, b) =>
      pageScore.get(rows.get(b.id)!.documentId)! - pageScore.get(rows.get(a.id)!.documentId)! ||
      b.fused - a.fused,
  );
}

/**
 * Pages in the order of their best passage, each page's passages together (at most PER_PAGE): the
 * results read page by page, as the citations will.
 */
function byPage(candidates: Candidate[], rows: Map<string, CandidateRow>): Candidate[] {
  const pages = new Map<string, Candidate[]>();
  for (const candidate of candidates) {
    const documentId = rows.get(candidate.id)!.documentId;
    const page = pages.get(documentId) ?? [];
    if (page.length < PER_PAGE) page.push(candidate);
    pages.set(documentId, page);
  }
  return [...pages.values()].flat();
}

/** The live rows of the candidates (a stale index entry for a replaced or deleted chunk drops out). */
async function loadRows(
  knex: Knex,
  organizationId: string,
  ids: string[],
): Promise<Map<string, CandidateRow>> {
  if (ids.length === 0) return new Map();
  const rows = (await DocumentChunk.query(knex)
    .forOrganization(organizationId)
    .joinRelated('document')
    .whereColumn('document_chunks.documentVersion', 'document.version')
    .whereIn('document_chunks.id', ids)
    .select(
      'document_chunks.id',
      'document_chunks.documentId',
      'document_chunks.documentVersion',
      'document_chunks.section',
      'document_chunks.position',
      'document_chunks.text',
      'document_chunks.headings',
      'document_chunks.anchor',
      'document_chunks.embedding',
      'document.title as title',
      'document.sourceUrl as sourceUrl',
    )) as unknown as CandidateRow[];
  return new Map(rows.map((row) => [String(row.id), { ...row, id: String(row.id) }]));
}

const sectionKey = (row: Pick<CandidateRow, 'documentId' | 'documentVersion' | 'section'>): string =>
  `${row.documentId}/${row.documentVersion}/${row.section}`;

/** Every passage of the chosen passages' sections, in order. */
async function loadSections(
  knex: Knex,
  organizationId: string,
  rows: CandidateRow[],
): Promise<Map<string, Pick<CandidateRow, 'position' | 'text'>[]>> {
  const sections = new Map<string, Pick<CandidateRow, 'position' | 'text'>[]>();
  if (rows.length === 0) return sections;
  const found = await DocumentChunk.query(knex)
    .forOrganization(organizationId)
    .where((query) => {
      for (const row of rows) {
        query.orWhere({
          documentId: row.documentId,
          documentVersion: row.documentVersion,
          section: row.section,
        });
      }
    })
    .orderBy('position')
    .select('documentId', 'documentVersion', 'section', 'position', 'text');
  for (const chunk of found) {
    const key = sectionKey(chunk);
    sections.set(key, [...(sections.get(key) ?? []), chunk]);
  }
  return sections;
}

/**
 * The section's text around the matched passage: the passage, then its neighbours alternately after
 * and before it, while they fit CONTEXT_CHARS — in document order.
 */
function sectionAround(section: Pick<CandidateRow, 'position' | 'text'>[], matched: CandidateRow): string {
  const at = Math.max(
    0,
    section.findIndex((chunk) => chunk.position === matched.position),
  );
  let from = at;
  let to = at;
  let length = section[at]?.text.length ?? matched.text.length;
  for (let step = 1; from > 0 || to < section.length - 1; step++) {
    const next =
      step % 2 === 1 ? (to < section.length - 1 ? to + 1 : from - 1) : from > 0 ? from - 1 : to + 1;
    const added = section[next]!.text.length + 2;
    if (length + added > CONTEXT_CHARS) break;
    length += added;
    if (next > to) to = next;
    else from = next;
  }
  return section
    .slice(from, to + 1)
    .map((chunk) => chunk.text)
    .join('\n\n');
}

/**
 * The share of the question's meaning, by BM25's IDF, whose words the text contains: 1 when every
 * question word is there, near 0 when only common ones are.
 */
export function coverage(weights: Map<string, number>, text: string): number {
  let total = 0;
  let found = 0;
  const words = new Set(analyze(text));
  for (const [term, weight] of weights) {
    total += weight;
    if (words.has(term)) found += weight;
  }
  return total === 0 ? 0 : found / total;
}

/**
 * The probability that the best passage answers the question, from its cosine similarity to the
 * question and its coverage of the question's words: a logistic model fitted on the eval sets'
 * answerable and out-of-scope questions (scripts/calibrate.ts prints the fit). The organization's
 * confidence threshold is compared with this.
 */
export function calibratedConfidence(cosineScore: number, coverageScore: number): number {
  const z = CALIBRATION.intercept + CALIBRATION.cosine * cosineScore + CALIBRATION.coverage * coverageScore;
  return 1 / (1 + Math.exp(-z));
}

export const CALIBRATION = { intercept: -6, cosine: 8, coverage: 4 };

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

const round = (value: number): number => Number(value.toFixed(4));
