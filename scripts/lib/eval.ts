import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ConversationService } from '../../src/services/conversations';
import type { DocumentService } from '../../src/services/documents';
import { documentFiles, ingestFiles } from './knowledge';
import { pct, table } from './stats';

/**
 * The retrieval and abstention evaluation (`npm run eval -- <folder>`): the folder's documents are
 * ingested into a fresh tenant through the real ingestion workflow, then every question of its
 * `questions.json` is asked as a visitor's first message in a conversation of its own, through the
 * real chat-turn workflow. Metrics come from what the turn recorded: its retrieval trace (documents in
 * rank order), its outcome (answer or abstain) and its text.
 */

const question = z
  .object({
    question: z.string().min(1),
    /** Files of the folder that answer it (any one counts as a hit). */
    documents: z.array(z.string().min(1)).min(1).optional(),
    /** Phrases the reply should contain (case-insensitive). */
    phrases: z.array(z.string().min(1)).optional(),
    /** The documents do not cover it: the assistant must abstain. */
    abstain: z.boolean().optional(),
  })
  .strict()
  .refine((q) => q.abstain === true || q.documents !== undefined, 'needs `documents` unless `abstain`');

const dataset = z
  .object({ description: z.string().optional(), questions: z.array(question).min(1) })
  .strict();

export type EvalQuestion = z.infer<typeof question>;

export interface QuestionResult {
  question: EvalQuestion;
  outcome: string;
  /** Rank (1-based) of the first expected document among the retrieved documents; null = not retrieved. */
  rank: number | null;
  retrieved: string[];
  topScore: number | null;
  phrasesFound: number;
  reply: string;
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
}

export interface EvalReport {
  metrics: EvalMetrics;
  results: QuestionResult[];
}

export function loadQuestions(folder: string): EvalQuestion[] {
  const raw: unknown = JSON.parse(fs.readFileSync(path.join(folder, 'questions.json'), 'utf8'));
  const parsed = dataset.parse(raw);
  const files = new Set(documentFiles(folder));
  for (const q of parsed.questions) {
    for (const name of q.documents ?? []) {
      if (!files.has(name)) throw new Error(`questions.json names ${name}, which is not in ${folder}`);
    }
  }
  return parsed.questions;
}

export async function runEval(options: {
  folder: string;
  organizationId: string;
  documents: DocumentService;
  conversations: ConversationService;
  onResult?: (result: QuestionResult) => void;
}): Promise<EvalReport> {
  const { folder, organizationId, conversations } = options;
  const questions = loadQuestions(folder);
  const ids = await ingestFiles(
    options.documents,
    organizationId,
    documentFiles(folder).map((name) => ({ name, content: fs.readFileSync(path.join(folder, name)) })),
  );
  const nameOf = new Map([...ids].map(([name, id]) => [id, name]));

  const results: QuestionResult[] = [];
  for (const [i, q] of questions.entries()) {
    const conversation = await conversations.create(organizationId, { visitorId: `eval-${i}` });
    const { workflowId } = await conversations.postVisitorMessage(organizationId, conversation.id, {
      content: q.question,
    });
    const { result, reply } = await conversations.awaitReply(organizationId, workflowId, 60_000);
    const hits = reply?.retrievalTrace?.hits ?? [];
    const retrieved = [...new Set(hits.map((h) => nameOf.get(h.documentId) ?? h.documentId))];
    const position = retrieved.findIndex((name) => q.documents?.includes(name));
    const text = reply?.content ?? '';
    const entry: QuestionResult = {
      question: q,
      outcome: result.outcome,
      rank: position >= 0 ? position + 1 : null,
      retrieved,
      topScore: hits[0]?.score ?? null,
      phrasesFound: (q.phrases ?? []).filter((p) => text.toLowerCase().includes(p.toLowerCase())).length,
      reply: text,
    };
    results.push(entry);
    options.onResult?.(entry);
  }
  return { metrics: computeMetrics(results), results };
}

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
  };
}

/** One line per question (✓ right, ✗ wrong), then the metrics. */
export function formatReport(report: EvalReport): string {
  const lines = report.results.map((r) => {
    const ok = r.question.abstain
      ? r.outcome === 'abstain'
      : r.rank === 1 && r.outcome === 'answer' && r.phrasesFound === (r.question.phrases?.length ?? 0);
    const score = r.topScore === null ? '  –  ' : r.topScore.toFixed(3);
    const where = r.question.abstain ? 'should abstain' : `rank ${r.rank ?? '–'}`;
    return `${ok ? '✓' : '✗'} ${score} ${r.outcome.padEnd(8)} ${where.padEnd(14)} ${r.question.question}`;
  });
  const m = report.metrics;
  const metrics = table(
    ['metric', 'value'],
    [
      ['questions (answerable / must abstain)', `${m.answerable} / ${m.unanswerable}`],
      ['hit@1', pct(m.hitAt1, 1)],
      ['hit@5', pct(m.hitAt5, 1)],
      ['MRR', m.mrr.toFixed(3)],
      ['abstention precision', pct(m.abstentionPrecision, 1)],
      ['abstention recall', pct(m.abstentionRecall, 1)],
      ['expected-phrase rate', pct(m.phraseRate, 1)],
    ],
  );
  return `${lines.join('\n')}\n\n${metrics}`;
}
