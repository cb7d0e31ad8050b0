import { coveredMs } from '../../scripts/lib/history';
import { percentile, summarize } from '../../scripts/lib/stats';
import '../../src/ai/vector-index';

describe('benchmark harness', () => {
  it('counts activities that ran in parallel once when it sums activity time', () => {
    const intervals = [
      { type: 'a', start: 0, end: 10 },
      { type: 'b', start: 5, end: 20 },
      { type: 'c', start: 30, end: 35 },
      { type: 'd', start: 31, end: 33 },
    ];
    expect(coveredMs(intervals)).toBe(25);
    expect(coveredMs([])).toBe(0);
  });

  it('reports nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(
      percentile(
        [...samples].sort((a, b) => a - b),
        95,
      ),
    ).toBe(95);
    expect(summarize(samples)).toMatchObject({ n: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(summarize([]).p95).toBeNaN();
  });
});

describe('vector search threads', () => {
  it("let FAISS's idle OpenMP threads sleep instead of spinning, unless the environment says otherwise", () => {
    expect(process.env.OMP_WAIT_POLICY).toBe('PASSIVE');
  });
});
