import fs from 'node:fs';
import path from 'node:path';
import MiniSearch, { type Options } from 'minisearch';
import lemmatizer from 'wink-lemmatizer';
import stem from 'wink-porter2-stemmer';
import { CorruptIndexError } from './vector-index';

/**
 * A tenant's lexical index: BM25 over its passages, beside the FAISS index and derived from the same
 * rows (see tenant-index.ts). MiniSearch scores each field with BM25+ (IDF, term-frequency saturation
 * and length normalisation; `calcBM25Score` in its source) and sums the fields with their boosts, so a
 * word in a passage's title or headings counts more than in its body. MiniSearch then multiplies a
 * document's score by the number of query terms it matched; `search` divides that back out, so the
 * ranking is BM25's own. Terms are lower-cased, stop words dropped, irregular English forms brought
 * to their lemma by WordNet ("flew", "flown" → "fly"; "bought" → "buy") and then to their Porter2 stem
 * ("refunds", "refunded" → "refund").
 */

export interface LexicalPassage {
  id: string;
  title: string;
  headings: string;
  text: string;
}

export interface LexicalHit {
  id: string;
  score: number;
  /**
   * The score over what a passage holding each query word once would get: about 1 when the passage
   * has every (rare) word of the query, near 0 when it shares only a common one. Comparable across
   * queries, unlike BM25 itself.
   */
  normalized: number;
}

/** Field weights: measured on the eval sets (`npm run eval`). */
const BOOST = { title: 2, headings: 1.5, text: 1 };
/** Classic BM25 parameters (k1, b) with BM25+'s lower bound d for long passages. */
const BM25 = { k: 1.2, b: 0.75, d: 0.5 };

const STOPWORDS = new Set(
  (
    'a an and are as at be been being but by can could did do does doing for from had has have having ' +
    'how i if in into is it its me my of on or our so than that the their them then there these they ' +
    'this those to too was we were what when where which who whom why will with would you your yours ' +
    "am im i’m i'm ive i've id i'd just also please thanks thank hi hello hey ok okay"
  ).split(' '),
);

/** Words of a text as the index sees them: lower case, no stop words, Porter2 stems. */
export function analyze(text: string): string[] {
  return tokenize(text)
    .map(processTerm)
    .filter((term): term is string => term !== null);
}

const tokenize = (text: string): string[] => text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];

/** Names how terms are analysed: an index saved under another analysis is rebuilt. */
const ANALYZER = 'porter2+wordnet-lemmas-v1';

function processTerm(term: string): string | null {
  const word = term.toLowerCase();
  if (STOPWORDS.has(word)) return null;
  if (word.length === 1 && !/\d/.test(word)) return null;
  if (!/^[a-z]+$/.test(word)) return word;
  const verb = lemmatizer.verb(word);
  return stem(verb !== word ? verb : lemmatizer.noun(word));
}

const OPTIONS: Options<LexicalPassage> = {
  fields: ['title', 'headings', 'text'],
  tokenize,
  processTerm,
  searchOptions: { boost: BOOST, bm25: BM25, combineWith: 'OR' },
};

interface LexicalMeta {
  revision: string;
  analyzer: string;
  ids: string[];
}

export class LexicalIndex {
  private constructor(
    private readonly index: MiniSearch<LexicalPassage>,
    private readonly passageIds: Set<string>,
    public revision: string,
  ) {}

  static create(revision = ''): LexicalIndex {
    return new LexicalIndex(new MiniSearch(OPTIONS), new Set(), revision);
  }

  get size(): number {
    return this.passageIds.size;
  }

  /** The passage ids in the index. */
  ids(): ReadonlySet<string> {
    return this.passageIds;
  }

  add(passages: LexicalPassage[]): void {
    const fresh = passages.filter((passage) => !this.passageIds.has(passage.id));
    this.index.addAll(fresh);
    for (const passage of fresh) this.passageIds.add(passage.id);
  }

  /** Forgets passages by id (MiniSearch drops their postings lazily, as searches meet them). */
  discard(ids: Iterable<string>): void {
    for (const id of ids) {
      if (!this.passageIds.delete(id)) continue;
      this.index.discard(id);
    }
  }

  /** The k best passages for the query by BM25, best first. */
  search(query: string, k: number): LexicalHit[] {
    if (this.size === 0 || k <= 0) return [];
    let self = 0;
    for (const weight of this.termWeights(query).values()) self += weight * (1 + BM25.d);
    return this.index
      .search(query)
      .slice(0, k)
      .map((result) => {
        const score = result.score / result.queryTerms.length;
        return { id: String(result.id), score, normalized: self > 0 ? Math.min(1, score / self) : 0 };
      });
  }

  /**
   * Each analysed term of the query with its inverse document frequency in this index (BM25's IDF):
   * how much finding it in a passage says. A term no passage has gets the highest weight.
   */
  termWeights(query: string): Map<string, number> {
    const n = this.size;
    const weights = new Map<string, number>();
    for (const term of new Set(analyze(query))) {
      // The term is analysed already: searched as it is, not stemmed twice.
      const df = this.index.search(term, { processTerm: (t) => t }).length;
      weights.set(term, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
    }
    return weights;
  }

  /** Writes the index atomically (a temp file, then rename). */
  save(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const meta: LexicalMeta = { revision: this.revision, analyzer: ANALYZER, ids: [...this.passageIds] };
    const tmp = `.tmp-${process.pid}-${Date.now()}`;
    fs.writeFileSync(path.join(dir, `lexical.json${tmp}`), JSON.stringify({ meta, index: this.index }));
    fs.renameSync(path.join(dir, `lexical.json${tmp}`), path.join(dir, 'lexical.json'));
  }

  static load(dir: string): LexicalIndex {
    try {
      const { meta, index } = JSON.parse(fs.readFileSync(path.join(dir, 'lexical.json'), 'utf8')) as {
        meta: LexicalMeta;
        index: unknown;
      };
      if (meta.analyzer !== ANALYZER) throw new Error(`terms analysed by ${meta.analyzer}, not ${ANALYZER}`);
      const loaded = MiniSearch.loadJS<LexicalPassage>(index as never, OPTIONS);
      if (loaded.documentCount !== meta.ids.length) throw new Error('passage count and metadata disagree');
      return new LexicalIndex(loaded, new Set(meta.ids), meta.revision);
    } catch (error) {
      throw new CorruptIndexError(dir, error instanceof Error ? error.message : String(error));
    }
  }
}
