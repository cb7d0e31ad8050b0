import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import './openmp'; // before faiss-node loads libgomp
import { Index, IndexFlatIP, MetricType } from 'faiss-node';

/**
 * A tenant's FAISS index of unit-length embeddings, searched by inner product (= cosine similarity).
 *
 * Index type by size: below `HNSW_MIN_VECTORS` an exact flat index (exact, cheap to extend, and a
 * brute-force scan of 5,000 vectors takes about 2 ms on a small machine); from there on HNSW32, whose
 * search cost grows with log(n) and whose recall@10 measured 1.000 at 5k and 10k, 0.984 at 100k. faiss-node cannot set HNSW's build and search breadths (efConstruction,
 * efSearch), whose defaults (40, 16) lose neighbours on clustered help-centre embeddings; FAISS keeps
 * both in the index file, so a new HNSW index is written empty, given ours, and read back (see
 * `hnswIndex`). `npm run bench:retrieval` measures latency and recall@10 at 10k and 100k vectors.
 *
 * faiss-node assigns labels 0..n-1 in insertion order, so the index keeps the chunk id of each label.
 */

export const HNSW_MIN_VECTORS = 5_000;
export const HNSW_EF_CONSTRUCTION = 80;
export const HNSW_EF_SEARCH = 128;

/**
 * An empty HNSW32 index with our efConstruction and efSearch. The file layout is FAISS 1.7's
 * (faiss/impl/index_write.cpp): fourcc, the index header, then the HNSW graph — five vectors (a 64-bit
 * length, then the items) and five int32s: entry point, max level, efConstruction, efSearch, upper beam.
 * The defaults are checked where they should be, so another layout fails loudly instead of corrupting.
 */
function hnswIndex(dimension: number, efConstruction: number, efSearch: number): Index {
  const empty = Index.fromFactory(dimension, 'HNSW32,Flat', MetricType.METRIC_INNER_PRODUCT);
  const file = path.join(os.tmpdir(), `parley-hnsw-${randomBytes(6).toString('hex')}.faiss`);
  try {
    empty.write(file);
    const bytes = fs.readFileSync(file);
    if (bytes.toString('latin1', 0, 4) !== 'IHNf') throw new Error('not an IndexHNSWFlat file');
    let offset = 4 + 4 + 8 + 8 + 8 + 1 + 4; // fourcc; d, ntotal, two reserved, is_trained, metric
    // assign_probas (double), cum_nneighbor_per_level (int), levels (int), offsets (size_t), neighbors (int)
    for (const itemSize of [8, 4, 4, 8, 4]) offset += 8 + Number(bytes.readBigUInt64LE(offset)) * itemSize;
    const efAt = offset + 8; // after entry point and max level
    if (bytes.readInt32LE(efAt) !== 40 || bytes.readInt32LE(efAt + 4) !== 16) {
      throw new Error('unexpected HNSW layout (efConstruction and efSearch not where FAISS 1.7 writes them)');
    }
    bytes.writeInt32LE(efConstruction, efAt);
    bytes.writeInt32LE(efSearch, efAt + 4);
    fs.writeFileSync(file, bytes);
    return Index.read(file);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

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
  /** How an HNSW index was built and searches; one built otherwise is rebuilt. */
  hnsw?: string;
}

const HNSW_PARAMETERS = `HNSW32,efConstruction=${HNSW_EF_CONSTRUCTION},efSearch=${HNSW_EF_SEARCH}`;

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
        : hnswIndex(dimension, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH);
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
    const { labels, distances } = this.index.search(Array.from(query), Math.min(this.size, k));
    const hits: VectorHit[] = [];
    for (let i = 0; i < labels.length; i++) {
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
      ...(this.kind === 'hnsw' ? { hnsw: HNSW_PARAMETERS } : {}),
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
    if (meta.kind === 'hnsw' && meta.hnsw !== HNSW_PARAMETERS) {
      throw new CorruptIndexError(dir, 'built with other HNSW parameters');
    }
    return new VectorIndex(index, ids, meta.kind, meta.dimension, meta.revision);
  }
}
