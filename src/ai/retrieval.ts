import type { Embeddings } from '@langchain/core/embeddings';
import type { Knex } from 'knex';
import type { Config } from '../config';
import { DocumentChunk, type DocumentVisibility, type RetrievalTrace } from '../db/models';
import { articleUrl } from '../domain/articles';
import type { Passage } from './generation/types';
import { analyze, type LexicalHit } from './lexical-index';
import type { TenantIndexStore } from './tenant-index';
import type { TitleIndex } from './title-index';
import { cosine, decodeVector } from './vector-codec';
import type { VectorHit } from './vector-index';

/**
 * Hybrid retrieval. Each ranking retrieves deep — BM25 over the tenant's passages (their titles and
 * headings weighted) and FAISS over their embeddings, `candidates` passages each, and the pages whose
 * titles are nearest the question — and the passages they found are grouped by page. A page is ranked by its evidence (its best passage's similarity to
 * the question, its title's similarity, its best BM25 score, and how much of the question's meaning
 * its best passage covers), combined by a logistic model fitted on the eval sets — the calibrated
 * weighted sum — or by reciprocal rank over the three rankings (RRF), for comparison. Grouping by
 * page keeps one long page's many passages from crowding out the right page. Each passage comes with
 * its enclosing section (matched small, read big), and the first page's probability of being a right
 * one is the confidence the answer-or-abstain decision reads.
 */

export type RetrievalSettings = Config['retrieval'] & { topK: number };

export interface RetrievalDependencies {
  knex: Knex;
  embeddings: Embeddings;
  indexes: TenantIndexStore;
  /** Parley's public address: citations of public uploads link to their article page there. */
  publicUrl: string;
}

export interface RetrievalResult {
  passages: Passage[];
  trace: RetrievalTrace;
  /** The calibrated probability (0–1) that the first page answers the question; null without one. */
  confidence: number | null;
  /** Every candidate page's evidence, best first (for the trace's first page and for calibration). */
  pages: PageEvidence[];
}

/** What the page model weighs for one page the rankings found. */
export interface PageEvidence {
  documentId: string;
  /** The best cosine similarity of the page's candidate passages to the question. */
  dense: number;
  /** The cosine similarity of the page's title to the question (its `dense` until the title has a vector). */
  title: number;
  /** The best BM25 score of the page's passages, normalised by the question's own (0 when not found). */
  lexical: number;
  /** How much of the question's meaning (by IDF) the page's best passage, title and headings hold. */
  coverage: number;
  /** The page model's log-odds that the page answers the question. */
  logit: number;
}

/** RRF's constant: ranks deeper than a few dozen add little (Cormack et al., 2009, use 60). */
const RRF_K = 60;
/** Pages the title ranking adds to the candidates (the nearest titles to the question). */
const TITLE_CANDIDATES = 20;
/**
 * Passages of one page among the results: one, read within its section, so the sources are as many
 * pages (with two, LibreOffice's right page was among the first five for 69.6% of questions; with
 * one, 78.5%, the first page unchanged).
 */
const PER_PAGE = 1;
/** A section longer than this is cut around the matched passage before the generator reads it. */
const CONTEXT_CHARS = 2_000;

interface Candidate {
  id: string;
  dense?: { rank: number; score: number };
  lexical?: { rank: number; score: number; normalized: number };
  /** The passage's cosine similarity to the question, from its stored vector (0 without one). */
  cosine: number;
  /** Its score within its page: the page model's passage terms (similarity and BM25). */
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
  visibility: DocumentVisibility;
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
  const titled =
    settings.mode === 'hybrid'
      ? await timed('titles', () => indexes.titles.search(query, TITLE_CANDIDATES))
      : [];
  const found = fuse(dense, lexical);

  const rows = await timed('load', async () => {
    const loaded = await loadRows(
      deps.knex,
      organizationId,
      found.map((c) => c.id),
    );
    // Pages found by their title alone come with their passage nearest the question.
    const present = new Set([...loaded.values()].map((row) => row.documentId));
    const missing = titled.map((t) => t.documentId).filter((id) => !present.has(id));
    for (const row of await loadNearestPassages(deps.knex, organizationId, missing, query)) {
      loaded.set(row.id, row);
      found.push({ id: row.id, cosine: 0, fused: 0 });
    }
    return loaded;
  });
  const weights = indexes.lexical.termWeights(question);
  const { candidates, pages } = await timed('rank', () =>
    rankPages(
      found.filter((c) => rows.has(c.id)),
      rows,
      query,
      weights,
      indexes.titles,
      settings,
    ),
  );
  const chosen = byPage(candidates, rows).slice(0, settings.topK);
  const sections = await timed('sections', () =>
    loadSections(
      deps.knex,
      organizationId,
      chosen.map((c) => rows.get(c.id)!),
    ),
  );

  const passages: Passage[] = chosen.map((candidate) => {
    const row = rows.get(candidate.id)!;
    const context = sectionAround(sections.get(sectionKey(row)) ?? [row], row);
    return {
      chunkId: row.id,
      documentId: row.documentId,
      documentVersion: row.documentVersion,
      title: row.title,
      headings: row.headings,
      url: citationUrl(deps.publicUrl, organizationId, row),
      text: row.text,
      context,
      score: candidate.cosine,
      coverage: coverage(weights, [row.title, ...row.headings, context].join('\n')),
    };
  });

  const confidence = pages[0] ? calibratedConfidence(pages[0]) : null;
  return {
    passages,
    confidence,
    pages,
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
      confidence: confidence === null ? null : round(confidence),
      timings,
    },
  };
}

/** Both rankings' candidates merged, with their 1-based rank and score on each side. */
export function fuse(dense: VectorHit[], lexical: LexicalHit[]): Candidate[] {
  const byId = new Map<string, Candidate>();
  const entry = (id: string) => {
    let candidate = byId.get(id);
    if (!candidate) byId.set(id, (candidate = { id, cosine: 0, fused: 0 }));
    return candidate;
  };
  dense.forEach((hit, i) => (entry(hit.id).dense = { rank: i + 1, score: hit.score }));
  lexical.forEach(
    (hit, i) => (entry(hit.id).lexical = { rank: i + 1, score: hit.score, normalized: hit.normalized }),
  );
  return [...byId.values()];
}

/**
 * The page model: logistic-regression weights over a page's evidence, fitted by `npm run calibrate`
 * on the candidate pages of 331 questions of four eval sets (libreoffice-help, python-docs,
 * kettle-and-crane, demo-paraphrases; the right pages of answerable questions against every other
 * candidate). Its log-odds rank the pages. Fitted without a set, it ranks that set as well or within
 * a point (hit@1 LibreOffice 51.9%, Python 69.0%, where similarity alone gives 48.1% and 69.8%).
 */
export const PAGE_MODEL = { intercept: -9.09, dense: 10.64, title: 0.59, lexical: 0.79, coverage: 2.33 };

/**
 * Platt scaling of the first page's log-odds into the probability that it is a right page, fitted
 * on the first pages alone (out-of-scope questions have none): the 0–1 confidence an organization's
 * threshold is compared with. On the same questions the default threshold, 0.35, answered or rightly
 * abstained on the most (calibrate prints the table).
 */
export const CONFIDENCE = { intercept: 1.05, slope: 0.42 };

export const pageLogit = (page: Omit<PageEvidence, 'logit' | 'documentId'>): number =>
  PAGE_MODEL.intercept +
  PAGE_MODEL.dense * page.dense +
  PAGE_MODEL.title * page.title +
  PAGE_MODEL.lexical * page.lexical +
  PAGE_MODEL.coverage * page.coverage;

/** The probability (0–1) that a first page with this evidence answers the question. */
export function calibratedConfidence(page: Pick<PageEvidence, 'logit'>): number {
  return 1 / (1 + Math.exp(-(CONFIDENCE.intercept + CONFIDENCE.slope * page.logit)));
}

/**
 * Scores each candidate passage, gathers the evidence of each page and ranks the pages (by the
 * page model, or by reciprocal rank over the dense, title and lexical rankings; one side alone in
 * the `dense` and `lexical` modes); passages are returned page by page in that order, each page's
 * best first.
 */
function rankPages(
  found: Candidate[],
  rows: Map<string, CandidateRow>,
  query: number[],
  weights: Map<string, number>,
  titles: TitleIndex,
  settings: RetrievalSettings,
): { candidates: Candidate[]; pages: PageEvidence[] } {
  const byDocument = new Map<string, Candidate[]>();
  for (const candidate of found) {
    const row = rows.get(candidate.id)!;
    candidate.cosine = row.embedding ? cosine(query, decodeVector(row.embedding)) : 0;
    const lexical = candidate.lexical?.normalized ?? 0;
    candidate.fused =
      settings.mode === 'dense'
        ? candidate.cosine
        : settings.mode === 'lexical'
          ? lexical
          : PAGE_MODEL.dense * candidate.cosine + PAGE_MODEL.lexical * lexical;
    const page = byDocument.get(row.documentId);
    if (page) page.push(candidate);
    else byDocument.set(row.documentId, [candidate]);
  }

  const pages: PageEvidence[] = [...byDocument].map(([documentId, passages]) => {
    passages.sort((a, b) => b.fused - a.fused || a.id.localeCompare(b.id));
    const best = rows.get(passages[0]!.id)!;
    const dense = Math.max(...passages.map((p) => p.cosine));
    const title = titles.vector(documentId);
    const evidence = {
      dense,
      title: title ? cosine(query, title) : dense,
      lexical: Math.max(...passages.map((p) => p.lexical?.normalized ?? 0)),
      coverage: coverage(weights, [best.title, ...best.headings, best.text].join('\n')),
    };
    return { documentId, ...evidence, logit: pageLogit(evidence) };
  });

  const order = pageOrder(pages, settings);
  pages.sort((a, b) => order.get(b.documentId)! - order.get(a.documentId)! || b.logit - a.logit);
  return { candidates: pages.flatMap((page) => byDocument.get(page.documentId)!), pages };
}

/** Each page's score in the configured ranking (higher first). */
function pageOrder(pages: PageEvidence[], settings: RetrievalSettings): Map<string, number> {
  if (settings.mode === 'dense') return new Map(pages.map((p) => [p.documentId, p.dense]));
  if (settings.mode === 'lexical') return new Map(pages.map((p) => [p.documentId, p.lexical]));
  if (settings.fusion === 'weighted') return new Map(pages.map((p) => [p.documentId, p.logit]));
  const rrf = new Map(pages.map((p) => [p.documentId, 0]));
  for (const side of ['dense', 'title', 'lexical'] as const) {
    [...pages]
      .filter((p) => p[side] > 0)
      .sort((a, b) => b[side] - a[side])
      .forEach((p, i) => rrf.set(p.documentId, rrf.get(p.documentId)! + 1 / (RRF_K + i + 1)));
  }
  return rrf;
}

/**
 * Pages in the order of their best passage, each with at most PER_PAGE passages: the results read
 * page by page, as the citations will.
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

/**
 * Where a passage's reader is sent: the section of its source page, or of its article page when it
 * has no source URL; nowhere for an internal document, which is cited by its title alone.
 */
function citationUrl(publicUrl: string, organizationId: string, row: CandidateRow): string | null {
  if (row.visibility === 'internal') return null;
  if (!row.sourceUrl) return articleUrl(publicUrl, organizationId, row.documentId, row.anchor);
  return row.anchor ? `${row.sourceUrl.replace(/#.*$/, '')}#${row.anchor}` : row.sourceUrl;
}

const CANDIDATE_COLUMNS = [
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
  'document.visibility as visibility',
];

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
    .select(...CANDIDATE_COLUMNS)) as unknown as CandidateRow[];
  return new Map(rows.map((row) => [String(row.id), { ...row, id: String(row.id) }]));
}

/** For each document, its live passage nearest the query (by its stored vector). */
async function loadNearestPassages(
  knex: Knex,
  organizationId: string,
  documentIds: string[],
  query: number[],
): Promise<CandidateRow[]> {
  if (documentIds.length === 0) return [];
  const rows = (await DocumentChunk.query(knex)
    .forOrganization(organizationId)
    .joinRelated('document')
    .whereColumn('document_chunks.documentVersion', 'document.version')
    .whereIn('document_chunks.documentId', documentIds)
    .whereNotNull('document_chunks.embedding')
    .select(...CANDIDATE_COLUMNS)) as unknown as CandidateRow[];
  const nearest = new Map<string, { row: CandidateRow; score: number }>();
  for (const row of rows) {
    const score = cosine(query, decodeVector(row.embedding!));
    const kept = nearest.get(row.documentId);
    if (!kept || score > kept.score)
      nearest.set(row.documentId, { row: { ...row, id: String(row.id) }, score });
  }
  return [...nearest.values()].map((n) => n.row);
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

const round = (value: number): number => Number(value.toFixed(4));
