import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../src/config';
import { Document, DocumentChunk } from '../src/db/models';
import {
  askQuestions,
  checkFloors,
  formatMetrics,
  formatResults,
  formatStages,
  loadDataset,
  RATCHET_FILE,
  type EvalReport,
} from './lib/eval';
import { datasetTenant } from './lib/dataset-tenant';
import { apiServices, runWithStack, startWorker } from './lib/stack';
import { machine } from './lib/stats';

/**
 * `npm run eval -- <folder> [--compare dense,hybrid] [--reuse]`: ingests the dataset's documents into a
 * fresh tenant (with --reuse, one an earlier run of eval or calibrate left with the same chunking) and asks the questions of its questions.json (see scripts/lib/eval.ts); prints each
 * question's outcome, the metrics (hit@1, hit@5, MRR, abstention precision and recall, expected-phrase
 * rate, questions answered right) and the time each stage took. With --compare, the questions are asked
 * once per retrieval configuration, over the same ingested documents, and the figures printed side by
 * side: `dense` and `lexical` alone, `hybrid` as configured, `rrf` and `weighted` fusion.
 */

const CONFIGURATIONS: Record<string, Partial<Config['retrieval']>> = {
  dense: { mode: 'dense' },
  lexical: { mode: 'lexical' },
  hybrid: {},
  rrf: { mode: 'hybrid', fusion: 'rrf' },
  weighted: { mode: 'hybrid', fusion: 'weighted' },
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quiet: { type: 'boolean' },
    compare: { type: 'string' },
    ratchet: { type: 'boolean' },
    reuse: { type: 'boolean' },
  },
});
const folder = positionals[0];
const names = (values.compare ?? 'hybrid').split(',').map((name) => name.trim());
if (!folder || names.some((name) => !(name in CONFIGURATIONS))) {
  console.error(
    `usage: npm run eval -- <folder with questions.json> [--compare ${Object.keys(CONFIGURATIONS).join(',')}] [--quiet] [--ratchet] [--reuse]`,
  );
  process.exit(64);
}

// Read before the stack points PARLEY_CACHE at its own folder: a corpus lives in the real cache.
const dataset = loadDataset(path.resolve(folder));

runWithStack(async (stack) => {
  const dependencies = await startWorker(stack);
  const configured = { ...dependencies.retrieval };
  const { conversations } = apiServices(stack);
  const ingestStarted = Date.now();
  const { organizationId, ids, ingested } = await datasetTenant(stack, dataset, values.reuse === true);
  const ingestSeconds = (Date.now() - ingestStarted) / 1000;
  const chunks = await DocumentChunk.query(stack.knex).forOrganization(organizationId).resultSize();
  const failed = await Document.query(stack.knex).forOrganization(organizationId).where('status', 'failed');
  console.log(
    ingested
      ? `ingested ${ids.size - failed.length} documents, ${chunks} passages in ${ingestSeconds.toFixed(1)} s ` +
          `(${(chunks / ingestSeconds).toFixed(1)} passages/s; ${machine()})`
      : `reused a tenant holding ${ids.size - failed.length} documents, ${chunks} passages (--reuse)`,
  );
  for (const document of failed) console.log(`  not ingested: ${document.title}: ${document.error}`);

  const runs: { name: string; report: EvalReport }[] = [];
  // A reused tenant keeps earlier runs' visitors: this run's are its own.
  const run = Date.now().toString(36);
  for (const name of names) {
    // The worker reads its retrieval settings at each turn: the next questions use these.
    Object.assign(dependencies.retrieval, configured, CONFIGURATIONS[name]);
    const report = await askQuestions({
      dataset,
      organizationId,
      ids,
      conversations,
      label: `${name}-${run}`,
    });
    if (!values.quiet) console.log(`\n${name}:\n${formatResults(report)}`);
    runs.push({ name, report });
  }
  console.log(`\n${formatMetrics(runs)}\n\n${formatStages(runs)}`);
  if (values.ratchet) {
    // The floors recorded for this dataset, against the first configuration's figures.
    const verdicts = checkFloors(path.basename(dataset.folder), runs[0]!.report.metrics);
    console.log(`\nfloors (${RATCHET_FILE}):\n${verdicts.lines.join('\n')}`);
    if (!verdicts.ok) process.exitCode = 1;
  }
});
