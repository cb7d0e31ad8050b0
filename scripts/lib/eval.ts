import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Knex } from 'knex';
import type { Message } from '../../src/db/models';
import type { ConversationService } from '../../src/services/conversations';
import type { DocumentService } from '../../src/services/documents';
import { ingestFiles } from './knowledge';
import { userCacheDir } from './cache';
import { ms, pct, summarize, table } from './stats';

/**
 * The retrieval and answer evaluation (`npm run eval -- <folder>`). A dataset is a folder with a
 * `questions.json`; its documents are the files of the folder, or of the corpus folders it names
 * (`"corpus": "${PARLEY_CACHE}/eval-corpora/libreoffice-help"`, installed by scripts/eval-corpus.sh,
 * or several: `[".", "../../../../seed/demo-docs"]`). The documents are ingested into a fresh tenant
 * through the real ingestion workflow, then every question is asked as a visitor's first message in a
 * conversation of its own, through the real chat-turn workflow. Metrics come from what the turn
 * recorded: its retrieval trace (documents in rank order), its outcome and its text.
 */

const question = z
  .object({
    question: z.string().min(1),
    /** Documents that answer it, as paths inside their corpus folder (any one counts as a hit). */
    documents: z.array(z.string().min(1)).min(1).optional(),
    /** Phrases the reply should contain (case-insensitive). */
    phrases: z.array(z.string().min(1)).optional(),
    /** The documents do not cover it: the assistant must abstain. */
    abstain: z.boolean().optional(),
  })
  .strict()
  .refine((q) => q.abstain === true || q.documents !== undefined, 'needs `documents` unless `abstain`');

const datasetSchema = z
  .object({
    description: z.string().optional(),
    corpus: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    questions: z.array(question).min(1),
  })
  .strict();

export type EvalQuestion = z.infer<typeof question>;

/** A file of the dataset: its name (the path inside its corpus folder) and where it is on disk. */
export interface DatasetFile {
  name: string;
  path: string;
}

export interface Dataset {
  folder: string;
  questions: EvalQuestion[];
  files: DatasetFile[];
}

export interface QuestionResult {
  question: EvalQuestion;
  outcome: string;
  /** Rank (1-based) of the first expected document among the retrieved documents; null = not retrieved. */
  rank: number | null;
  retrieved: string[];
  topScore: number | null;
  phrasesFound: number;
  reply: string;
  /** The turn's wall time, from the workflow's start to the recorded reply. */
  latencyMs: number | null;
  /** Stage timings the retrieval step recorded in its trace (embedding, searches, fusion…). */
  stages: Record<string, number>;
}

export interface EvalMetrics {
  answerable: number;
  unanswerable: number;
  hitAt1: number;
  hitAt5: number;
  mrr: number;
  abstentionPrecision: number;
  abstentionRecall: number;
  /** Expected phrases found in the replies, over all expected phrases. */
  phraseRate: number;
  /** Questions answered right (expected page first, every phrase in the reply) or rightly abstained. */
  rightRate: number;
}

export interface EvalReport {
  metrics: EvalMetrics;
  results: QuestionResult[];
}

/** Document types the upload path takes; anything else in a corpus folder (images, scripts) is skipped. */
const DOCUMENT_FILE = /\.(html?|xhtml|md|markdown|txt|pdf|docx)$/i;

const expand = (value: string): string =>
  value.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const found = name === 'PARLEY_CACHE' ? userCacheDir() : process.env[name];
    if (found === undefined) throw new Error(`questions.json names \${${name}}, which is not set`);
    return found;
  });

/** The document files under a folder (its subfolders too), by relative path. */
export function listFiles(root: string, relative = ''): DatasetFile[] {
  return fs
    .readdirSync(path.join(root, relative), { withFileTypes: true })
    .flatMap((entry) => {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) return listFiles(root, name);
      if (!entry.isFile() || !DOCUMENT_FILE.test(entry.name)) return [];
      return [{ name, path: path.join(root, name) }];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function loadDataset(folder: string): Dataset {
  const raw: unknown = JSON.parse(fs.readFileSync(path.join(folder, 'questions.json'), 'utf8'));
  const parsed = datasetSchema.parse(raw);
  const corpus = [parsed.corpus ?? '.'].flat().map((dir) => path.resolve(folder, expand(dir)));
  for (const dir of corpus) {
    if (!fs.existsSync(dir)) {
      throw new Error(`corpus folder ${dir} is missing (scripts/eval-corpus.sh installs the external ones)`);
    }
  }
  const files = corpus.flatMap((dir) => listFiles(dir));
  const names = new Set(files.map((f) => f.name));
  for (const q of parsed.questions) {
    for (const name of q.documents ?? []) {
      if (!names.has(name)) throw new Error(`questions.json names ${name}, which is not in the corpus`);
    }
  }
  return { folder, questions: parsed.questions, files };
}

/** Uploads every document of the dataset and waits until all are ready; returns name → document id. */
export async function ingestDataset(options: {
  knex: Knex;
  dataset: Dataset;
  organizationId: string;
  documents: DocumentService;
}): Promise<Map<string, string>> {
  const { files } = options.dataset;
  // A large corpus queues behind the worker's embedding throughput: the wait scales with it.
  const timeoutMs = 300_000 + files.length * 1_000;
  return ingestFiles(
    options.knex,
    options.documents,
    options.organizationId,
    files.map((file) => ({ name: file.name, content: fs.readFileSync(file.path) })),
    timeoutMs,
    true,
  );
}

/** Asks every question of the dataset, each in a new conversation, and scores the replies. */
export async function askQuestions(options: {
  dataset: Dataset;
  organizationId: string;
  ids: Map<string, string>;
  conversations: ConversationService;
  /** Names the conversations' visitors, so two runs in one tenant never share one. */
  label?: string;
  onResult?: (result: QuestionResult) => void;
}): Promise<EvalReport> {
  const { organizationId, conversations } = options;
  const nameOf = new Map([...options.ids].map(([name, id]) => [id, name]));
  const results: QuestionResult[] = [];
  for (const [i, q] of options.dataset.questions.entries()) {
    const conversation = await conversations.create(organizationId, {
      visitorId: `eval-${options.label ?? 'run'}-${i}`,
    });
    const { workflowId } = await conversations.postVisitorMessage(organizationId, conversation.id, {
      content: q.question,
    });
    const { result, reply } = await conversations.awaitReply(organizationId, workflowId, 60_000);
    const entry = scoreReply(q, result.outcome, reply, nameOf);
    results.push(entry);
    options.onResult?.(entry);
  }
  return { metrics: computeMetrics(results), results };
}

/** Ingests the dataset into the organization and asks its questions. */
export async function runEval(options: {
  knex: Knex;
  folder: string;
  organizationId: string;
  documents: DocumentService;
  conversations: ConversationService;
  onResult?: (result: QuestionResult) => void;
}): Promise<EvalReport> {
  const dataset = loadDataset(options.folder);
  const ids = await ingestDataset({ ...options, dataset });
  return askQuestions({ ...options, dataset, ids });
}

function scoreReply(
  q: EvalQuestion,
  outcome: string,
  reply: Message | null,
  nameOf: Map<string, string>,
): QuestionResult {
  const trace = reply?.retrievalTrace;
  const hits = trace?.hits ?? [];
  const retrieved = [...new Set(hits.map((h) => nameOf.get(h.documentId) ?? h.documentId))];
  const position = retrieved.findIndex((name) => q.documents?.includes(name));
  const text = reply?.content ?? '';
  return {
    question: q,
    outcome,
    rank: position >= 0 ? position + 1 : null,
    retrieved,
    topScore: hits[0]?.score ?? null,
    phrasesFound: (q.phrases ?? []).filter((p) => normalized(text).includes(normalized(p))).length,
    reply: text,
    latencyMs: reply?.latencyMs ?? null,
    stages: { ...(trace?.timings ?? {}) },
  };
}

/** Case and spacing do not matter when a reply is checked for a phrase. */
const normalized = (text: string): string => text.toLowerCase().replace(/\s+/g, ' ');

const isRight = (r: QuestionResult): boolean =>
  r.question.abstain
    ? r.outcome === 'abstain'
    : r.rank === 1 && r.outcome === 'answer' && r.phrasesFound === (r.question.phrases?.length ?? 0);

export function computeMetrics(results: QuestionResult[]): EvalMetrics {
  const answerable = results.filter((r) => !r.question.abstain);
  const unanswerable = results.filter((r) => r.question.abstain);
  const abstained = results.filter((r) => r.outcome === 'abstain');
  const ratio = (n: number, d: number) => (d === 0 ? NaN : n / d);
  const phrases = answerable.reduce((n, r) => n + (r.question.phrases?.length ?? 0), 0);
  return {
    answerable: answerable.length,
    unanswerable: unanswerable.length,
    hitAt1: ratio(answerable.filter((r) => r.rank === 1).length, answerable.length),
    hitAt5: ratio(answerable.filter((r) => r.rank !== null && r.rank <= 5).length, answerable.length),
    mrr: ratio(
      answerable.reduce((sum, r) => sum + (r.rank ? 1 / r.rank : 0), 0),
      answerable.length,
    ),
    abstentionPrecision: ratio(abstained.filter((r) => r.question.abstain).length, abstained.length),
    abstentionRecall: ratio(unanswerable.filter((r) => r.outcome === 'abstain').length, unanswerable.length),
    phraseRate: ratio(
      answerable.reduce((n, r) => n + r.phrasesFound, 0),
      phrases,
    ),
    rightRate: ratio(results.filter(isRight).length, results.length),
  };
}

/** One line per question (✓ right, ✗ wrong). */
export function formatResults(report: EvalReport): string {
  return report.results
    .map((r) => {
      const score = r.topScore === null ? '  –  ' : r.topScore.toFixed(3);
      const where = r.question.abstain ? 'should abstain' : `rank ${r.rank ?? '–'}`;
      return `${isRight(r) ? '✓' : '✗'} ${score} ${r.outcome.padEnd(8)} ${where.padEnd(14)} ${r.question.question}`;
    })
    .join('\n');
}

const METRIC_ROWS: [string, (m: EvalMetrics) => string][] = [
  ['questions (answerable / must abstain)', (m) => `${m.answerable} / ${m.unanswerable}`],
  ['hit@1', (m) => pct(m.hitAt1, 1)],
  ['hit@5', (m) => pct(m.hitAt5, 1)],
  ['MRR', (m) => m.mrr.toFixed(3)],
  ['abstention precision', (m) => pct(m.abstentionPrecision, 1)],
  ['abstention recall', (m) => pct(m.abstentionRecall, 1)],
  ['expected-phrase rate', (m) => pct(m.phraseRate, 1)],
  ['answered right or rightly abstained', (m) => pct(m.rightRate, 1)],
];

/** The metrics of one or more runs side by side (one column per configuration). */
export function formatMetrics(runs: { name: string; report: EvalReport }[]): string {
  return table(
    ['metric', ...runs.map((r) => r.name)],
    METRIC_ROWS.map(([label, value]) => [label, ...runs.map((r) => value(r.report.metrics))]),
  );
}

/** Per-stage timings (p50 / p95, ms) of the runs' turns, from their retrieval traces and records. */
export function formatStages(runs: { name: string; report: EvalReport }[]): string {
  const stages = [...new Set(runs.flatMap((r) => r.report.results.flatMap((x) => Object.keys(x.stages))))];
  const rows = [...stages.map((s) => [`retrieval: ${s}`, s] as const), ['turn (wall time)', null] as const];
  return table(
    ['stage, ms p50 / p95', ...runs.map((r) => r.name)],
    rows.map(([label, stage]) => [
      label,
      ...runs.map(({ report }) => {
        const samples = report.results
          .map((x) => (stage === null ? x.latencyMs : x.stages[stage]))
          .filter((v): v is number => typeof v === 'number');
        const s = summarize(samples);
        return `${ms(s.p50)} / ${ms(s.p95)}`;
      }),
    ]),
  );
}

/**
 * The ratchet: for each dataset, the figures it must not fall below (raised as answers improve;
 * quality, not timing). CI runs every dataset named there (scripts/eval-ci.sh).
 */
export const RATCHET_FILE = 'tests/eval/floors.json';

const floorsSchema = z.record(
  z.string(),
  z
    .object({
      hitAt1: z.number(),
      hitAt5: z.number(),
      mrr: z.number(),
      abstentionPrecision: z.number(),
      abstentionRecall: z.number(),
      phraseRate: z.number(),
      rightRate: z.number(),
    })
    .partial()
    .strict(),
);

export function loadFloors(): z.infer<typeof floorsSchema> {
  return floorsSchema.parse(
    JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', RATCHET_FILE), 'utf8')),
  );
}

/** Each recorded floor of the dataset against the measured figure (a metric with no floor is not checked). */
export function checkFloors(dataset: string, metrics: EvalMetrics): { ok: boolean; lines: string[] } {
  const floors = loadFloors()[dataset];
  if (!floors) return { ok: false, lines: [`no floors recorded for ${dataset}`] };
  const lines: string[] = [];
  let ok = true;
  for (const [metric, floor] of Object.entries(floors) as [keyof EvalMetrics, number][]) {
    const measured = metrics[metric];
    const met = measured >= floor;
    ok &&= met;
    lines.push(
      `${met ? 'PASS' : 'MISS'}  ${metric.padEnd(20)} ${measured.toFixed(3)} (floor ${floor.toFixed(3)})`,
    );
  }
  return { ok, lines };
}

/** One line per question, then the metrics. */
export function formatReport(report: EvalReport): string {
  return `${formatResults(report)}\n\n${formatMetrics([{ name: 'value', report }])}`;
}
