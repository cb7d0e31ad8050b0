import path from 'node:path';
import { parseArgs } from 'node:util';
import { CONFIDENCE, PAGE_MODEL, retrieve, type PageEvidence } from '../src/ai/retrieval';
import { datasetTenant } from './lib/dataset-tenant';
import { loadDataset } from './lib/eval';
import { runWithStack, startWorker } from './lib/stack';
import { pct, table } from './lib/stats';

/**
 * `npm run calibrate -- <dataset folder>… [--reuse] [--verbose]`: fits the two models of
 * src/ai/retrieval.ts. Each dataset is ingested into a tenant of its own (with `--reuse`, a tenant
 * left by an earlier run with the same chunking is used again) and every question is retrieved in
 * process. Then
 *   - PAGE_MODEL, a logistic regression of "this page is a right one" on each candidate page's
 *     evidence (dense, title, lexical, coverage), over every candidate page of every question;
 *   - CONFIDENCE, Platt scaling of the first page's log-odds under that model into the probability
 *     that the first page is right, over the first pages (out-of-scope questions count as wrong).
 * It prints both, each dataset's hit@1 under dense similarity alone, the fitted model and the model
 * fitted without that dataset (leave one out: what a corpus it never saw can expect), and what each
 * confidence threshold would do.
 */

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { reuse: { type: 'boolean' }, verbose: { type: 'boolean' } },
});
if (positionals.length === 0) {
  console.error('usage: npm run calibrate -- <dataset folder>… [--reuse] [--verbose]');
  process.exit(64);
}
const datasets = positionals.map((folder) => loadDataset(path.resolve(folder)));

const FEATURES = ['dense', 'title', 'lexical', 'coverage'] as const;

interface Sample {
  dataset: string;
  question: string;
  outOfScope: boolean;
  pages: { features: number[]; right: boolean }[];
}

runWithStack(async (stack) => {
  const dependencies = await startWorker(stack);
  const samples: Sample[] = [];

  for (const dataset of datasets) {
    const { organizationId, ids } = await datasetTenant(stack, dataset, values.reuse === true);
    const nameOf = new Map([...ids].map(([name, id]) => [id, name]));
    for (const q of dataset.questions) {
      const result = await retrieve(dependencies, organizationId, q.question, {
        ...stack.config.retrieval,
        mode: 'hybrid',
        topK: stack.config.chat.topK,
      });
      const accepted = new Set(q.abstain ? [] : (q.documents ?? []));
      samples.push({
        dataset: path.basename(dataset.folder),
        question: q.question,
        outOfScope: q.abstain === true,
        pages: result.pages.map((page: PageEvidence) => ({
          features: FEATURES.map((name) => page[name]),
          right: accepted.has(nameOf.get(page.documentId) ?? ''),
        })),
      });
      if (values.verbose) {
        const top = result.pages[0];
        const mark = q.abstain ? '∅' : top && accepted.has(nameOf.get(top.documentId) ?? '') ? '✓' : '✗';
        console.log(
          `${mark} ${result.confidence?.toFixed(2) ?? '-'} ${q.question} → ${top ? nameOf.get(top.documentId) : '-'}`,
        );
      }
    }
  }

  const pageModel = fitPageModel(samples);
  const confidence = fitConfidence(samples, pageModel);
  const named = (w: number[]) =>
    `{ intercept: ${w[0]!.toFixed(2)}, ${FEATURES.map((f, i) => `${f}: ${w[i + 1]!.toFixed(2)}`).join(', ')} }`;
  console.log(
    `\nfitted on ${samples.length} questions (${datasets.map((d) => path.basename(d.folder)).join(', ')}):`,
  );
  console.log(`  PAGE_MODEL = ${named(pageModel)}`);
  console.log(
    `  CONFIDENCE = { intercept: ${confidence[0]!.toFixed(2)}, slope: ${confidence[1]!.toFixed(2)} }`,
  );
  console.log(
    `  (in use: PAGE_MODEL = ${JSON.stringify(PAGE_MODEL)}, CONFIDENCE = ${JSON.stringify(CONFIDENCE)})\n`,
  );

  const inUse = [PAGE_MODEL.intercept, ...FEATURES.map((f) => PAGE_MODEL[f])];
  const names = [...new Set(samples.map((s) => s.dataset))];
  console.log(
    table(
      ['dataset', 'questions', 'hit@1 dense', 'hit@1 in use', 'hit@1 fitted', 'hit@1 fitted without it'],
      names.map((name) => {
        const own = samples.filter((s) => s.dataset === name && !s.outOfScope);
        const others = samples.filter((s) => s.dataset !== name);
        const denseOnly = [0, 1, 0, 0, 0];
        return [
          name,
          String(own.length),
          pct(hitAt1(own, denseOnly), 1),
          pct(hitAt1(own, inUse), 1),
          pct(hitAt1(own, pageModel), 1),
          others.length > 0 ? pct(hitAt1(own, fitPageModel(others)), 1) : '-',
        ];
      }),
    ),
  );

  const tops = samples.map((s) => {
    const top = topPage(s, pageModel);
    const p = top ? sigmoid(confidence[0]! + confidence[1]! * logit(pageModel, top.features)) : 0;
    return { ...s, right: top?.right ?? false, p };
  });
  const outOfScope = tops.filter((s) => s.outOfScope).length;
  console.log(
    '\n' +
      table(
        [
          'threshold',
          'answered on a right page',
          'abstention precision',
          'abstention recall',
          'answered right or rightly abstained',
        ],
        [0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map((threshold) => {
          const answered = tops.filter((s) => s.p >= threshold);
          const abstained = tops.filter((s) => s.p < threshold);
          const rightlyAbstained = abstained.filter((s) => s.outOfScope).length;
          return [
            threshold.toFixed(1),
            pct(answered.filter((s) => s.right).length / (answered.length || 1), 1),
            pct(rightlyAbstained / (abstained.length || 1), 1),
            pct(rightlyAbstained / (outOfScope || 1), 1),
            pct((answered.filter((s) => s.right).length + rightlyAbstained) / tops.length, 1),
          ];
        }),
      ),
  );
});

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const logit = (w: number[], x: number[]): number =>
  x.reduce((sum, value, i) => sum + value * w[i + 1]!, w[0]!);

function topPage(sample: Sample, w: number[]): Sample['pages'][number] | undefined {
  return [...sample.pages].sort((a, b) => logit(w, b.features) - logit(w, a.features))[0];
}

const hitAt1 = (samples: Sample[], w: number[]): number =>
  samples.filter((s) => topPage(s, w)?.right).length / (samples.length || 1);

/**
 * Every candidate page of every question: right (1) or not (0). A conditional logit over each
 * question's candidates (fitting the ranking alone) was tried too: it ranked no better on any set and
 * worse on a set it was not fitted on (python-docs 66.4% against 69.0%).
 */
function fitPageModel(samples: Sample[]): number[] {
  const pages = samples.flatMap((s) => s.pages);
  return fitLogistic(
    pages.map((p) => p.features),
    pages.map((p) => (p.right ? 1 : 0)),
  );
}

/** The first page's log-odds under the page model against whether it is right. */
function fitConfidence(samples: Sample[], w: number[]): number[] {
  const tops = samples.map((s) => topPage(s, w));
  return fitLogistic(
    tops.map((top) => [top ? logit(w, top.features) : -20]),
    tops.map((top) => (top?.right ? 1 : 0)),
  );
}

/** Logistic regression by Newton's method, with an intercept and a small ridge for stability. */
function fitLogistic(x: number[][], y: number[]): number[] {
  const n = (x[0]?.length ?? 0) + 1;
  let w = new Array<number>(n).fill(0);
  for (let iteration = 0; iteration < 50; iteration++) {
    const gradient = new Array<number>(n).fill(0);
    const hessian = Array.from({ length: n }, (_, j) =>
      Array.from({ length: n }, (_, k) => (j === k ? 1e-3 : 0)),
    );
    x.forEach((features, i) => {
      const row = [1, ...features];
      const p = sigmoid(logit(w, features));
      for (let j = 0; j < n; j++) {
        gradient[j]! += (y[i]! - p) * row[j]!;
        for (let k = 0; k < n; k++) hessian[j]![k]! += p * (1 - p) * row[j]! * row[k]!;
      }
    });
    const step = solve(hessian, gradient);
    w = w.map((value, j) => value + step[j]!);
  }
  return w;
}

/** Solves a small linear system by Gauss–Jordan elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    const pivot = m
      .slice(col)
      .reduce((best, row, i) => (Math.abs(row[col]!) > Math.abs(m[best]![col]!) ? i + col : best), col);
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let row = 0; row < n; row++) {
      if (row === col) continue;
      const factor = m[row]![col]! / m[col]![col]!;
      for (let k = col; k <= n; k++) m[row]![k]! -= factor * m[col]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}
