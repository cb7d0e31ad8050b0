import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ExtractiveGenerator } from '../src/ai/generation/extractive';
import { calibratedConfidence, CALIBRATION, retrieve } from '../src/ai/retrieval';
import { Document, DocumentFile, Organization } from '../src/db/models';
import { CHUNKER_VERSION } from '../src/ingestion';
import { ingestDataset, loadDataset, type Dataset } from './lib/eval';
import { apiServices, createTenant, runWithStack, startWorker } from './lib/stack';
import { pct, table } from './lib/stats';

/**
 * `npm run calibrate -- <dataset folder>…`: fits the answer-or-abstain model of src/ai/retrieval.ts.
 * Each dataset is ingested into a tenant of its own (with `--reuse`, a tenant left by an earlier run
 * with the same chunking is used again), every question is retrieved and answered in-process, and a
 * logistic regression of "the first page is a right one" on the best passage's cosine similarity and
 * coverage is fitted over all of them (out-of-scope questions count as wrong). It prints the
 * coefficients to put in CALIBRATION, and what each threshold would do with them.
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

interface Sample {
  dataset: string;
  question: string;
  cosine: number;
  coverage: number;
  /** The first page is one the dataset accepts (never for out-of-scope questions). */
  right: boolean;
  outOfScope: boolean;
  phrasesFound: boolean;
  reply: string;
}

runWithStack(async (stack) => {
  const dependencies = await startWorker(stack);
  const { documents } = apiServices(stack);
  const generator = new ExtractiveGenerator();
  const samples: Sample[] = [];

  for (const dataset of datasets) {
    const { organizationId, ids } = await tenantWith(dataset);
    const nameOf = new Map([...ids].map(([name, id]) => [id, name]));
    for (const q of dataset.questions) {
      const result = await retrieve(dependencies, organizationId, q.question, {
        ...stack.config.retrieval,
        topK: stack.config.chat.topK,
      });
      const top = result.passages[0];
      const reply = top
        ? (
            await generator.generate(
              {
                question: q.question,
                passages: result.passages,
                persona: '',
                instructions: '',
                history: [],
                summary: '',
              },
              () => undefined,
            )
          ).text
        : '';
      const sample: Sample = {
        dataset: path.basename(dataset.folder),
        question: q.question,
        cosine: top?.score ?? 0,
        coverage: top?.coverage ?? 0,
        right:
          !q.abstain && top !== undefined && (q.documents ?? []).includes(nameOf.get(top.documentId) ?? ''),
        outOfScope: q.abstain === true,
        phrasesFound: (q.phrases ?? []).every((p) => reply.toLowerCase().includes(p.toLowerCase())),
        reply,
      };
      samples.push(sample);
      if (values.verbose) {
        const mark = sample.outOfScope ? '∅' : sample.right ? (sample.phrasesFound ? '✓' : '½') : '✗';
        const hits = result.trace.hits
          .slice(0, 4)
          .map((h) => `${nameOf.get(h.documentId)} d${h.denseRank ?? '-'}/l${h.lexicalRank ?? '-'}`)
          .join(', ');
        console.log(
          `${mark} cos ${sample.cosine.toFixed(3)} cov ${sample.coverage.toFixed(2)} ${q.question}\n    [${hits}] want ${(q.documents ?? []).join('|')}\n    ${reply.replace(/\n/g, '\n    ')}`,
        );
      }
    }
  }

  const fit = fitLogistic(
    samples.map((s) => [s.cosine, s.coverage]),
    samples.map((s) => (s.right ? 1 : 0)),
  );
  console.log(
    `\nfitted on ${samples.length} questions (${datasets.map((d) => path.basename(d.folder)).join(', ')}):`,
  );
  console.log(
    `  CALIBRATION = { intercept: ${fit[0].toFixed(2)}, cosine: ${fit[1].toFixed(2)}, coverage: ${fit[2].toFixed(2)} }`,
  );
  console.log(`  (in use: ${JSON.stringify(CALIBRATION)})\n`);
  const rows = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map((threshold) => {
    const answered = samples.filter((s) => calibratedWith(fit, s) >= threshold);
    const abstained = samples.filter((s) => calibratedWith(fit, s) < threshold);
    return [
      threshold.toFixed(1),
      pct(answered.filter((s) => s.right).length / answered.length, 1),
      pct(abstained.filter((s) => s.outOfScope).length / abstained.length, 1),
      pct(abstained.filter((s) => s.outOfScope).length / samples.filter((s) => s.outOfScope).length, 1),
      pct(
        samples.filter((s) =>
          s.outOfScope
            ? calibratedWith(fit, s) < threshold
            : s.right && s.phrasesFound && calibratedWith(fit, s) >= threshold,
        ).length / samples.length,
        1,
      ),
    ];
  });
  console.log(
    table(
      [
        'threshold',
        'answers on the right page',
        'abstention precision',
        'abstention recall',
        'right or rightly abstained',
      ],
      rows,
    ),
  );
  console.log(
    `\nwith the coefficients in use, the mean confidence of right answers is ${mean(samples.filter((s) => s.right).map((s) => calibratedConfidence(s.cosine, s.coverage))).toFixed(2)}, of the rest ${mean(samples.filter((s) => !s.right).map((s) => calibratedConfidence(s.cosine, s.coverage))).toFixed(2)}`,
  );

  async function tenantWith(dataset: Dataset): Promise<{ organizationId: string; ids: Map<string, string> }> {
    const cut = `${CHUNKER_VERSION} ${stack.config.ingestion.chunkSize} ${stack.config.embeddings.modelId}`;
    const name = `Calibrate ${path.basename(dataset.folder)} ${createHash('sha256').update(cut).digest('hex').slice(0, 8)}`;
    if (values.reuse) {
      const existing = await Organization.query(stack.knex)
        .where('name', 'like', `${name} %`)
        .orderBy('createdAt', 'desc')
        .first();
      if (existing) {
        const ready = await Document.query(stack.knex)
          .forOrganization(existing.id)
          .whereIn('status', ['ready', 'failed'])
          .resultSize();
        const files = await DocumentFile.query(stack.knex)
          .forOrganization(existing.id)
          .select('documentId', 'filename');
        if (ready === dataset.files.length) {
          return { organizationId: existing.id, ids: new Map(files.map((f) => [f.filename, f.documentId])) };
        }
      }
    }
    const tenant = await createTenant(stack, name);
    const ids = await ingestDataset({ dataset, organizationId: tenant.organization.id, documents });
    return { organizationId: tenant.organization.id, ids };
  }
});

const calibratedWith = (w: number[], s: Sample): number =>
  1 / (1 + Math.exp(-(w[0]! + w[1]! * s.cosine + w[2]! * s.coverage)));

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);

/** Logistic regression by Newton's method (two features and an intercept, a small ridge for stability). */
function fitLogistic(x: number[][], y: number[]): [number, number, number] {
  let w = [0, 0, 0];
  for (let iteration = 0; iteration < 50; iteration++) {
    const gradient = [0, 0, 0];
    const hessian = [
      [1e-3, 0, 0],
      [0, 1e-3, 0],
      [0, 0, 1e-3],
    ];
    x.forEach((features, i) => {
      const row = [1, ...features];
      const p = 1 / (1 + Math.exp(-row.reduce((sum, value, j) => sum + value * w[j]!, 0)));
      for (let j = 0; j < 3; j++) {
        gradient[j]! += (y[i]! - p) * row[j]!;
        for (let k = 0; k < 3; k++) hessian[j]![k]! += p * (1 - p) * row[j]! * row[k]!;
      }
    });
    w = w.map((value, j) => value + solve(hessian, gradient)[j]!);
  }
  return [w[0]!, w[1]!, w[2]!];
}

/** Solves a 3×3 system by Gaussian elimination. */
function solve(a: number[][], b: number[]): number[] {
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < 3; col++) {
    const pivot = m
      .slice(col)
      .reduce((best, row, i) => (Math.abs(row[col]!) > Math.abs(m[best]![col]!) ? i + col : best), col);
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let row = 0; row < 3; row++) {
      if (row === col) continue;
      const factor = m[row]![col]! / m[col]![col]!;
      for (let k = col; k < 4; k++) m[row]![k]! -= factor * m[col]![k]!;
    }
  }
  return m.map((row, i) => row[3]! / row[i]!);
}
