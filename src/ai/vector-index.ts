import fs from 'node:fs';
import path from 'node:path';
import './openmp'; // before faiss-node loads libgomp
import { Index, IndexFlatIP, MetricType } from 'faiss-node';

/**
 * A tenant's FAISS index of unit-length embeddings, searched by inner product (= cosine similarity).
 *
 * Index type by size: below `HNSW_MIN_VECTORS` an exact flat index (a brute-force scan of a few
 * thousand vectors takes well under a millisecond and is exact); from there on HNSW32, whose search
 * cost grows with log(n). faiss-node cannot set HNSW's efSearch, but FAISS searches with
 * ef = max(efSearch, k), so HNSW queries ask for at least `HNSW_CANDIDATES` neighbours and keep the
 * best k. `npm run bench:retrieval` measures latency and recall@10 at 10k and 100k vectors.
 *
 * faiss-node assigns labels 0..n-1 in insertion order, so the index keeps the chunk id of each label.
 */

export const HNSW_MIN_VECTORS = 20_000;
export const HNSW_CANDIDATES = 96;

export type IndexKind = 'flat' | 'hnsw';

export interface VectorHit {
  id: string;
  score: number;
}

interface IndexMeta {
  kind: IndexKind;
  dimension: number;
  count: number;
  /** Opaque marker of the data the index was built from (see the retrieval activities). */
  revision: string;
}

export class CorruptIndexError extends Error {
  constructor(dir: string, reason: string) {
    super(`Vector index at ${dir} is unusable: ${reason}`);
    this.name = 'CorruptIndexError';
  }
}

export const indexKindFor = (vectorCount: number): IndexKind =>
  vectorCount >= HNSW_MIN_VECTORS ? 'hnsw' : 'flat';

export class VectorIndex {
  private constructor(
    private readonly index: Index,
    private readonly labels: string[],
    readonly kind: IndexKind,
    readonly dimension: number,
    public revision: string,
  ) {}

  /** An empty index of the type suited to `expectedCount` vectors. */
  static create(dimension: number, expectedCount: number, revision = ''): VectorIndex {
    const kind = indexKindFor(expectedCount);
    const index =
      kind === 'flat'
        ? new IndexFlatIP(dimension)
        : Index.fromFactory(dimension, 'HNSW32,Flat', MetricType.METRIC_INNER_PRODUCT);
    return new VectorIndex(index, [], kind, dimension, revision);
  }

  get size(): number {
    return this.labels.length;
  }

  /** The chunk ids in the index, in label order. */
  ids(): readonly string[] {
    return this.labels;
  }

  /** Adds vectors (each `dimension` long, unit length) under the given ids. */
  add(ids: string[], vectors: ArrayLike<number>[]): void {
    if (ids.length !== vectors.length) throw new Error('add: ids and vectors differ in length');
    if (ids.length === 0) return;
    const flat = new Array<number>(ids.length * this.dimension);
    vectors.forEach((vector, row) => {
      if (vector.length !== this.dimension) {
        throw new Error(`add: vector of dimension ${vector.length}, index has ${this.dimension}`);
      }
      for (let i = 0; i < this.dimension; i++) flat[row * this.dimension + i] = vector[i]!;
    });
    this.index.add(flat);
    this.labels.push(...ids);
  }

  /** The k nearest vectors by cosine similarity, best first. */
  search(query: ArrayLike<number>, k: number): VectorHit[] {
    if (query.length !== this.dimension) {
      throw new Error(`search: query of dimension ${query.length}, index has ${this.dimension}`);
    }
    if (this.size === 0 || k <= 0) return [];
    const asked = Math.min(this.size, this.kind === 'hnsw' ? Math.max(k, HNSW_CANDIDATES) : k);
    const { labels, distances } = this.index.search(Array.from(query), asked);
    const hits: VectorHit[] = [];
    for (let i = 0; i < labels.length && hits.length < k; i++) {
      const label = labels[i]!;
      if (label >= 0) hits.push({ id: this.labels[label]!, score: distances[i]! });
    }
    return hits;
  }

  /** Writes the index atomically (temp files, then rename), so readers never see a torn file. */
  save(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const meta: IndexMeta = {
      kind: this.kind,
      dimension: this.dimension,
      count: this.size,
      revision: this.revision,
    };
    const tmp = `.tmp-${process.pid}-${Date.now()}`;
    this.index.write(path.join(dir, `index.faiss${tmp}`));
    fs.writeFileSync(path.join(dir, `ids.json${tmp}`), JSON.stringify(this.labels));
    fs.writeFileSync(path.join(dir, `meta.json${tmp}`), JSON.stringify(meta));
    for (const name of ['index.faiss', 'ids.json', 'meta.json']) {
      fs.renameSync(path.join(dir, `${name}${tmp}`), path.join(dir, name));
    }
  }

  /** Loads a saved index; throws CorruptIndexError when files are missing or disagree with each other. */
  static load(dir: string): VectorIndex {
    let meta: IndexMeta;
    let ids: string[];
    let index: Index;
    try {
      meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as IndexMeta;
      ids = JSON.parse(fs.readFileSync(path.join(dir, 'ids.json'), 'utf8')) as string[];
      index = Index.read(path.join(dir, 'index.faiss'));
    } catch (error) {
      throw new CorruptIndexError(dir, error instanceof Error ? error.message : String(error));
    }
    if (
      index.ntotal() !== ids.length ||
      ids.length !== meta.count ||
      index.getDimension() !== meta.dimension
    ) {
      throw new CorruptIndexError(dir, 'index, ids and metadata disagree');
    }
    return new VectorIndex(index, ids, meta.kind, meta.dimension, meta.revision);
  }
}
