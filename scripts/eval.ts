import path from 'node:path';
import { formatReport, runEval } from './lib/eval';
import { apiServices, createTenant, runWithStack, startWorker } from './lib/stack';

/**
 * `npm run eval -- <folder>`: ingests the folder's documents into a fresh tenant and asks the questions
 * of its questions.json (see scripts/lib/eval.ts); prints each question's outcome, then hit@1, hit@5,
 * MRR, abstention precision and recall, and the expected-phrase rate.
 */

const folder = process.argv[2];
if (!folder) {
  console.error('usage: npm run eval -- <folder with documents and questions.json>');
  process.exit(64);
}

runWithStack(async (stack) => {
  await startWorker(stack);
  const { documents, conversations } = apiServices(stack);
  const tenant = await createTenant(stack, 'Eval');
  const started = Date.now();
  const report = await runEval({
    folder: path.resolve(folder),
    organizationId: tenant.organization.id,
    documents,
    conversations,
  });
  console.log(formatReport(report));
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s, ingestion included)`);
});
