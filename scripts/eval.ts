import path from 'node:path';
import { parseArgs } from 'node:util';
import { Document, DocumentChunk } from '../src/db/models';
import {
  askQuestions,
  formatMetrics,
  formatResults,
  formatStages,
  ingestDataset,
  loadDataset,
  type EvalReport,
} from './lib/eval';
import { apiServices, createTenant, runWithStack, startWorker } from './lib/stack';
import { machine } from './lib/stats';

/**
 * `npm run eval -- <folder>`: ingests the dataset's documents into a fresh tenant and asks the
 * questions of its questions.json (see scripts/lib/eval.ts); prints each question's outcome, the
 * metrics (hit@1, hit@5, MRR, abstention precision and recall, expected-phrase rate) and the time
 * each stage took.
 */

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { quiet: { type: 'boolean' } },
});
const folder = positionals[0];
if (!folder) {
  console.error('usage: npm run eval -- <folder with questions.json> [--quiet]');
  process.exit(64);
}

// Read before the stack points PARLEY_CACHE at its own folder: a corpus lives in the real cache.
const dataset = loadDataset(path.resolve(folder));

runWithStack(async (stack) => {
  await startWorker(stack);
  const { documents, conversations } = apiServices(stack);
  const tenant = await createTenant(stack, 'Eval');
  const organizationId = tenant.organization.id;

  const ingestStarted = Date.now();
  const ids = await ingestDataset({ dataset, organizationId, documents });
  const ingestSeconds = (Date.now() - ingestStarted) / 1000;
  const chunks = await DocumentChunk.query(stack.knex).forOrganization(organizationId).resultSize();
  const failed = await Document.query(stack.knex).forOrganization(organizationId).where('status', 'failed');
  console.log(
    `ingested ${ids.size - failed.length} documents, ${chunks} passages in ${ingestSeconds.toFixed(1)} s ` +
      `(${(chunks / ingestSeconds).toFixed(1)} passages/s; ${machine()})`,
  );
  for (const document of failed) console.log(`  not ingested: ${document.title}: ${document.error}`);

  const report: EvalReport = await askQuestions({ dataset, organizationId, ids, conversations });
  const runs = [{ name: 'value', report }];
  if (!values.quiet) console.log(`\n${formatResults(report)}`);
  console.log(`\n${formatMetrics(runs)}\n\n${formatStages(runs)}`);
});
