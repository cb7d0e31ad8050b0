import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CorruptIndexError, HNSW_MIN_VECTORS, VectorIndex, indexKindFor } from '../../src/ai/vector-index';

const DIM = 32;

/** Deterministic pseudo-random unit vectors. */
function unitVectors(count: number, seed = 1): Float32Array[] {
  let state = seed;
  const next = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: count }, () => {
    const v = Float32Array.from({ length: DIM }, next);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

describe('VectorIndex (faiss-node)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-index-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('chooses exact search for small tenants and HNSW for large ones', () => {
    expect(indexKindFor(10)).toBe('flat');
    expect(indexKindFor(HNSW_MIN_VECTORS - 1)).toBe('flat');
    expect(indexKindFor(HNSW_MIN_VECTORS)).toBe('hnsw');
  });

  it.each([
    ['flat', 10],
    ['hnsw', HNSW_MIN_VECTORS],
  ])('adds, searches, saves and loads a %s index', (kind, expected) => {
    const vectors = unitVectors(300);
    const ids = vectors.map((_, i) => `chunk-${i}`);
    const index = VectorIndex.create(DIM, expected, 'rev-1');
    expect(index.kind).toBe(kind);
    index.add(ids, vectors);

    const hits = index.search(vectors[42]!, 5);
    expect(hits).toHaveLength(5);
    expect(hits[0]).toEqual({ id: 'chunk-42', score: expect.closeTo(1, 4) as number });
    expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));

    index.save(dir);
    const loaded = VectorIndex.load(dir);
    expect(loaded).toMatchObject({ kind, dimension: DIM, size: 300, revision: 'rev-1' });
    expect(loaded.search(vectors[42]!, 5)).toEqual(hits);
  });

  it('returns no hits from an empty index and clamps k to its size', () => {
    const index = VectorIndex.create(DIM, 0);
    expect(index.search(unitVectors(1)[0]!, 10)).toEqual([]);
    index.add(['a', 'b'], unitVectors(2));
    expect(index.search(unitVectors(1, 7)[0]!, 10)).toHaveLength(2);
  });

  it('rejects vectors of the wrong dimension', () => {
    const index = VectorIndex.create(DIM, 0);
    expect(() => index.add(['a'], [new Float32Array(DIM + 1)])).toThrow(/dimension/);
    expect(() => index.search(new Float32Array(3), 1)).toThrow(/dimension/);
  });

  it('finds what exact search finds with HNSW, and refuses an index built with other parameters', () => {
    const vectors = unitVectors(2_000, 3);
    const ids = vectors.map((_, i) => String(i));
    const exact = VectorIndex.create(DIM, 0);
    const hnsw = VectorIndex.create(DIM, HNSW_MIN_VECTORS);
    exact.add(ids, vectors);
    hnsw.add(ids, vectors);
    let found = 0;
    const queries = unitVectors(50, 11);
    for (const query of queries) {
      const truth = new Set(exact.search(query, 10).map((h) => h.id));
      found += hnsw.search(query, 10).filter((h) => truth.has(h.id)).length;
    }
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.98); // recall@10

    hnsw.save(dir);
    const meta = path.join(dir, 'meta.json');
    const saved = JSON.parse(fs.readFileSync(meta, 'utf8')) as Record<string, unknown>;
    // An index from before the build and search breadths were set (FAISS's defaults) is rebuilt.
    fs.writeFileSync(meta, JSON.stringify({ ...saved, hnsw: undefined }));
    expect(() => VectorIndex.load(dir)).toThrow(/other HNSW parameters/);
  });

  it('reports a missing or corrupt index as CorruptIndexError', () => {
    expect(() => VectorIndex.load(dir)).toThrow(CorruptIndexError);
    const index = VectorIndex.create(DIM, 0);
    index.add(['a'], unitVectors(1));
    index.save(dir);
    fs.writeFileSync(path.join(dir, 'index.faiss'), 'garbage');
    expect(() => VectorIndex.load(dir)).toThrow(CorruptIndexError);
  });
});
