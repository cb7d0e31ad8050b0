import fs from 'node:fs';
import path from 'node:path';
import {
  HNSW_EF_CONSTRUCTION,
  HNSW_EF_SEARCH,
  HNSW_MIN_VECTORS,
  indexKindFor,
  VectorIndex,
  type IndexKind,
} from '../src/ai/vector-index';
import { projectRoot } from '../src/lib/paths';
import { machine, ms, summarize, table, verdict } from './lib/stats';

/**
 * `npm run bench:retrieval`: search latency (p50/p95 over BENCH_QUERIES queries, k = 10) of the
 * tenant vector index at 10k and 100k vectors, for both index types the product uses (exact flat
 * below HNSW_MIN_VECTORS, HNSW from there on), and HNSW's recall@10 against exact search.
 *
 * The vectors are synthetic but shaped like sentence embeddings (384 dimensions, unit length,
 * clustered by topic and subtopic: help-centre chunks are many paraphrases of few subjects), because embedding
 * 100k real chunks would take longer than the whole run may. Queries are fresh points from the same
 * distribution, not indexed vectors. BENCH_SIZES (e.g. "10000,100000") and BENCH_QUERIES tune the run.
 *
 * Building an HNSW index of 100k vectors takes minutes on a small machine, so the built indexes and the
 * exact neighbours are kept in .data/bench-cache/retrieval/ (the data is deterministic) and reused by
 * later runs; BENCH_REBUILD=1 builds afresh.
 */

const DIMENSION = 384;
const K = 10;
const sizes = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const queryCount = Number(process.env.BENCH_QUERIES ?? 500);
// Change with the generator below or the HNSW parameters, so cached indexes are not reused.
const DATA_VERSION = `v2-ef${HNSW_EF_CONSTRUCTION}-${HNSW_EF_SEARCH}`;
const cacheDir = path.join(projectRoot, '.data', 'bench-cache', 'retrieval', DATA_VERSION);

/** A deterministic generator (mulberry32), so every run indexes the same vectors. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
}

function unit(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

/**
 * One tenant's help centre: a few product areas, topics within them, subtopics within topics, and
 * each vector a subtopic plus noise. Cosine between two vectors ≈ 0.89 within a subtopic, ≈ 0.6
 * within a topic, ≈ 0.25 within an area and ≈ 0 across areas.
 */
function embeddingLike(count: number, seed: number, subtopics: Float32Array[]): Float32Array[] {
  const next = random(seed);
  const noise = 0.035; // per dimension
  return Array.from({ length: count }, () => {
    const centre = subtopics[Math.floor(next() * subtopics.length)]!;
    const v = new Float32Array(DIMENSION);
    for (let i = 0; i < DIMENSION; i++) v[i] = centre[i]! + noise * gaussian(next);
    return unit(v);
  });
}

function subtopicCentres(areas: number, topicsPerArea: number, perTopic: number): Float32Array[] {
  const next = random(7);
  const randomUnit = () => unit(Float32Array.from({ length: DIMENSION }, () => gaussian(next)));
  const around = (centre: Float32Array, spread: number) => {
    const offset = randomUnit();
    return centre.map((x, i) => x + spread * offset[i]!);
  };
  return Array.from({ length: areas }).flatMap(() => {
    const area = randomUnit();
    return Array.from({ length: topicsPerArea }).flatMap(() => {
      const topic = around(area, 1.2);
      return Array.from({ length: perTopic }, () => around(topic, 1.1));
    });
  });
}

function build(
  kind: IndexKind,
  vectors: Float32Array[],
): { index: VectorIndex; seconds: number; cached: boolean } {
  const dir = path.join(cacheDir, `${kind}-${vectors.length}`);
  const started = performance.now();
  if (!process.env.BENCH_REBUILD && fs.existsSync(path.join(dir, 'meta.json'))) {
    return { index: VectorIndex.load(dir), seconds: (performance.now() - started) / 1000, cached: true };
  }
  const index = VectorIndex.create(DIMENSION, kind === 'hnsw' ? HNSW_MIN_VECTORS : 0);
  for (let start = 0; start < vectors.length; start += 10_000) {
    const batch = vectors.slice(start, start + 10_000);
    index.add(
      batch.map((_, i) => String(start + i)),
      batch,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  index.save(dir);
  return { index, seconds, cached: false };
}

/** The exact top 10 of each query (a flat index's answer), cached beside the indexes. */
function exactNeighbours(size: number, flat: () => VectorIndex, queries: Float32Array[]): string[][] {
  const file = path.join(cacheDir, `exact-${size}-${queries.length}.json`);
  if (!process.env.BENCH_REBUILD && fs.existsSync(file))
    return JSON.parse(fs.readFileSync(file, 'utf8')) as string[][];
  const index = flat();
  const results = queries.map((q) => index.search(q, K).map((h) => h.id));
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results));
  return results;
}

/** Latency of each query, and the top 10 of each answer. */
function measure(index: VectorIndex, queries: Float32Array[]): { latencies: number[]; results: string[][] } {
  for (const query of queries.slice(0, 50)) index.search(query, K); // warm-up
  const latencies: number[] = [];
  const results: string[][] = [];
  for (const query of queries) {
    const started = performance.now();
    const hits = index.search(query, K);
    latencies.push(performance.now() - started);
    results.push(hits.map((h) => h.id));
  }
  return { latencies, results };
}

function recallAt10(approximate: string[][], exact: string[][]): number {
  let found = 0;
  approximate.forEach((ids, i) => {
    const truth = new Set(exact[i]);
    found += ids.filter((id) => truth.has(id)).length;
  });
  return found / (exact.length * K);
}

function main(): void {
  const subtopics = subtopicCentres(10, 20, 25);
  const all = embeddingLike(Math.max(...sizes), 11, subtopics);
  const queries = embeddingLike(queryCount, 13, subtopics);
  console.log(
    `${DIMENSION}-dimensional unit vectors in 10 areas × 20 topics × 25 subtopics, ${queryCount} queries, k = ${K}; ` +
      `the product uses flat below ${HNSW_MIN_VECTORS.toLocaleString('en')} vectors, HNSW32 from there on ` +
      `(efConstruction ${HNSW_EF_CONSTRUCTION}, efSearch ${HNSW_EF_SEARCH}); ${machine()}\n`,
  );
  const rows: (string | number)[][] = [];
  const goals: string[] = [];
  for (const size of sizes) {
    const vectors = all.slice(0, size);
    const flat = build('flat', vectors);
    const exact = exactNeighbours(size, () => flat.index, queries);
    const hnsw = build('hnsw', vectors);
    const used = indexKindFor(size);
    const runs = [
      ['flat', flat, measure(flat.index, queries)],
      ['hnsw', hnsw, measure(hnsw.index, queries)],
    ] as const;
    for (const [kind, built, run] of runs) {
      const s = summarize(run.latencies);
      const recall = recallAt10(run.results, exact);
      rows.push([
        `${size.toLocaleString('en')} ${kind}${kind === used ? ' (used)' : ''}`,
        `${built.seconds.toFixed(1)}${built.cached ? ' (cached)' : ''}`,
        ms(s.p50, 3),
        ms(s.p95, 3),
        ms(s.p99, 3),
        // Flat search is exact: it is the baseline the approximate index's recall is measured against.
        kind === 'flat' ? 'exact (baseline)' : recall.toFixed(3),
      ]);
      if (size >= 100_000 && kind === used) {
        goals.push(
          `goal at ${size.toLocaleString('en')} vectors (${kind}): p95 ${ms(s.p95, 2)} ms ≤ 5 ms ${verdict(s.p95 <= 5)}, ` +
            `recall@10 ${recall.toFixed(3)} ≥ 0.95 ${verdict(recall >= 0.95)}`,
        );
      }
    }
  }
  console.log(table(['vectors index', 'build/load s', 'p50 ms', 'p95 ms', 'p99 ms', 'recall@10'], rows));
  if (goals.length) console.log(`\n${goals.join('\n')}`);
}

main();
