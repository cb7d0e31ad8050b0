import fs from 'node:fs';
import path from 'node:path';
import { DocumentChunk } from '../src/db/models';
import { projectRoot } from '../src/lib/paths';
import { passageInContext } from '../src/ingestion';
import { listFiles } from './lib/eval';
import { waitForDocuments } from './lib/knowledge';
import { apiServices, createTenant, runWithStack, startWorker } from './lib/stack';
import { machine, pct, table, verdict } from './lib/stats';

/**
 * `npm run bench:ingest`: chunks per second through the real ingestion path (upload → workflow per
 * document → parse, chunk, embed in batches, store, activate, index), beside the raw throughput of the
 * same embedding model on the same inputs (each passage with its title and headings, as ingestion
 * embeds it), measured in the same run and process, and their ratio (goal ≥ 70%). The documents:
 * BENCH_DOCUMENTS (default 24) Markdown documents of BENCH_SECTIONS (default 24) help-centre
 * paragraphs each, every one unique, so nothing is skipped as unchanged; or, with BENCH_CORPUS, every
 * document of that folder (e.g. a corpus of scripts/eval-corpus.sh:
 * `BENCH_CORPUS=~/.cache/parley/eval-corpora/libreoffice-help npm run bench:ingest`).
 */

const documentCount = Number(process.env.BENCH_DOCUMENTS ?? 24);
const sectionCount = Number(process.env.BENCH_SECTIONS ?? 24);

/** Paragraphs of the demo and evaluation help centres, the raw material of the generated documents. */
function paragraphs(): string[] {
  const folders = [
    path.join(projectRoot, 'seed', 'demo-docs'),
    path.join(projectRoot, 'tests', 'fixtures', 'eval', 'kettle-and-crane'),
  ];
  return folders
    .flatMap((folder) =>
      fs
        .readdirSync(folder)
        .filter((name) => /\.(md|txt)$/.test(name))
        .map((name) => fs.readFileSync(path.join(folder, name), 'utf8')),
    )
    .flatMap((text) => text.split(/\n\s*\n/))
    .map((p) => p.replace(/^#+\s.*$/gm, '').trim())
    .filter((p) => p.length > 120);
}

function corpus(): { name: string; content: Buffer }[] {
  if (process.env.BENCH_CORPUS) {
    return listFiles(process.env.BENCH_CORPUS).map((file) => ({
      name: file.name,
      content: fs.readFileSync(file.path),
    }));
  }
  const source = paragraphs();
  return Array.from({ length: documentCount }, (_, d) => {
    const sections = Array.from({ length: sectionCount }, (_, s) => {
      const body = [0, 1, 2].map((j) => source[(d * 7 + s * 3 + j) % source.length]).join('\n\n');
      return `## Topic ${d + 1}.${s + 1}\n\nThis section applies to plan ${d + 1}, case ${s + 1}.\n\n${body}`;
    });
    return {
      name: `guide-${d + 1}.md`,
      content: Buffer.from(`# Operations guide ${d + 1}\n\n${sections.join('\n\n')}\n`),
    };
  });
}

runWithStack(async (stack) => {
  const dependencies = await startWorker(stack);
  const { documents } = apiServices(stack);
  const tenant = await createTenant(stack, 'Ingestion bench');
  const { embeddings } = dependencies;
  await embeddings.embedDocuments(paragraphs().slice(0, 32)); // warm-up: model load and JIT

  const files = corpus();
  const started = performance.now();
  const ids: string[] = [];
  for (const file of files) {
    const created = await documents.upload(tenant.organization.id, {
      originalname: file.name,
      mimetype: 'application/octet-stream',
      buffer: file.content,
      size: file.content.length,
    });
    ids.push(created.id);
  }
  // A corpus may hold pages with no text: they fail, and the rest is measured.
  await waitForDocuments(stack.knex, tenant.organization.id, ids, 600_000 + files.length * 1_000, true);
  const ingestSeconds = (performance.now() - started) / 1000;

  const texts = (
    (await DocumentChunk.query(stack.knex)
      .forOrganization(tenant.organization.id)
      .joinRelated('document')
      .orderBy(['document_chunks.documentId', 'document_chunks.position'])
      .select(
        'document_chunks.text',
        'document_chunks.headings',
        'document.title as title',
      )) as (DocumentChunk & {
      title: string;
    })[]
  ).map((c) => passageInContext(c.title, c.headings, c.text));
  const rawStarted = performance.now();
  await embeddings.embedDocuments(texts);
  const rawSeconds = (performance.now() - rawStarted) / 1000;

  const ingestRate = texts.length / ingestSeconds;
  const rawRate = texts.length / rawSeconds;
  const ratio = ingestRate / rawRate;
  const chars = texts.reduce((n, t) => n + t.length, 0);
  console.log(
    `${files.length} documents${process.env.BENCH_CORPUS ? ` of ${process.env.BENCH_CORPUS}` : ' (Markdown)'}, ${texts.length} chunks (${Math.round(chars / texts.length)} characters on average), ` +
      `chunk size ${stack.config.ingestion.chunkSize}, ${stack.config.ingestion.embedBatchSize} chunks per embedding activity; ${machine()}\n`,
  );
  console.log(
    table(
      ['path', 'seconds', 'chunks/s'],
      [
        ['ingestion workflows (upload → ready)', ingestSeconds.toFixed(1), ingestRate.toFixed(1)],
        ['raw embedding, same model and texts', rawSeconds.toFixed(1), rawRate.toFixed(1)],
      ],
    ),
  );
  console.log(`\ningestion / raw = ${pct(ratio, 1)} (goal ≥ 70%) ${verdict(ratio >= 0.7)}`);
});
