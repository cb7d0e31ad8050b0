import os from 'node:os';

/** Small statistics and table helpers shared by the benchmark and load scripts. */

/** The p-th percentile (nearest rank) of an ascending array; NaN when it is empty. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
    : NaN;

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, x) => total + x, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sorted.length ? sum / sorted.length : NaN,
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
  };
}

/** Fixed-width rows: the first column left-aligned, the others right-aligned. */
export function table(header: string[], rows: (string | number)[][], widths?: number[]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const w = widths ?? header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(w[i]!) : cell.padStart(w[i]!))).join('  '))
    .join('\n');
}

export const ms = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toFixed(digits) : '–';

export const pct = (ratio: number, digits = 2): string =>
  Number.isFinite(ratio) ? `${(100 * ratio).toFixed(digits)}%` : '–';

/** "PASS"/"MISS" beside a goal, so a run's output says plainly whether it met it. */
export const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Cores and load: figures from a machine shared with other work are read against these. */
export const machine = (): string =>
  `${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)} (1 min)`;
