import { performance } from 'node:perf_hooks';
import { type AngerModel, toneCues } from '../src/ai/anger-model';
import { LocalTransformersEmbeddings } from '../src/ai/embeddings';
import {
  ANGER_MODEL,
  type SentimentScorer,
  SupportLexiconSentiment,
  SupportSentiment,
  VaderSentiment,
} from '../src/ai/sentiment';
import { loadConfig } from '../src/config';
import { DEFAULT_ESCALATION, decideTurn } from '../src/domain/turn-decision';
import { machine, ms, pct, summarize, table, verdict } from './lib/stats';
import { type LabelledMessage, readSplit } from './lib/sentiment-set';

/**
 * `npm run eval:sentiment [-- --verbose]`: each sentiment option on the TEST split of
 * tests/fixtures/sentiment, at the default escalation threshold (-0.6):
 * - false escalation: the share of neutral messages scored at or below it (goal ≤ 1%);
 * - recall: the share of angry messages scored at or below it (goal ≥ 90%);
 * - after thanks: the share of neutral messages that escalate when they follow "Great, thank you so
 *   much!", through the falling-sentiment rule or the threshold (src/domain/turn-decision.ts);
 * - the time to score one message (mean and p95, one at a time, after a warm-up).
 * The options:
 * - vader: VADER's compound score, the scorer before this evaluation;
 * - support-lexicon: VADER with the problem words masked (src/ai/support-lexicon.ts);
 * - prototypes: the support lexicon, or angry when the message's embedding is nearer the centroid of
 *   the DEV split's angry messages than that of its neutral ones by a margin chosen on DEV;
 * - support: the support lexicon with the trained anger model (the default, src/ai/sentiment.ts).
 * --verbose lists each option's false escalations and misses.
 */

const verbose = process.argv.includes('--verbose');
const THANKS = 'Great, thank you so much!';

/** A centroid classifier as an anger model: its only weights are the angry-minus-neutral centroid. */
async function prototypeModel(
  embeddings: LocalTransformersEmbeddings,
  embeddingModel: string,
): Promise<AngerModel> {
  const dev = readSplit('dev');
  const vectors = await embeddings.embedDocuments(dev.map((m) => m.text));
  const centroid = (angry: boolean) => {
    const members = vectors.filter((_, i) => dev[i]!.angry === angry);
    return members[0]!.map((_, d) => members.reduce((sum, v) => sum + v[d]!, 0) / members.length);
  };
  const [angry, neutral] = [centroid(true), centroid(false)];
  const direction = angry.map((x, d) => x - neutral[d]!);
  const margins = vectors.map((v) => v.reduce((sum, x, d) => sum + x * direction[d]!, 0));
  // The same rule the anger model's threshold follows: let 0.5% of DEV's neutral messages through.
  const neutralMargins = margins.filter((_, i) => !dev[i]!.angry).sort((a, b) => b - a);
  const allowed = Math.floor(0.005 * neutralMargins.length);
  return {
    embeddingModel,
    bias: 0,
    embedding: direction,
    lexicon: [0, 0, 0],
    cues: toneCues('').map(() => 0),
    words: {},
    threshold: (neutralMargins[allowed - 1]! + neutralMargins[allowed]!) / 2,
  };
}

interface Scored {
  message: LabelledMessage;
  score: number;
  ms: number;
}

async function measure(scorer: SentimentScorer, messages: LabelledMessage[]): Promise<Scored[]> {
  await scorer.score('warm-up');
  const scored: Scored[] = [];
  for (const message of messages) {
    const started = performance.now();
    const score = await scorer.score(message.text);
    scored.push({ message, score, ms: performance.now() - started });
  }
  return scored;
}

async function main(): Promise<void> {
  const config = loadConfig().embeddings;
  if (config.provider !== 'local')
    throw new Error('eval:sentiment needs the local embedding model (EMBEDDINGS_PROVIDER=local)');
  const embeddings = new LocalTransformersEmbeddings(config);
  const options: SentimentScorer[] = [
    new VaderSentiment(),
    new SupportLexiconSentiment(),
    new SupportSentiment(embeddings, await prototypeModel(embeddings, config.modelId), 'prototypes'),
    new SupportSentiment(embeddings, ANGER_MODEL),
  ];
  const messages = readSplit('test');
  const neutral = messages.filter((m) => !m.angry);
  const angry = messages.filter((m) => m.angry);
  const threshold = DEFAULT_ESCALATION.sentimentThreshold;

  const rows: string[][] = [];
  const details: string[] = [];
  for (const scorer of options) {
    const scored = await measure(scorer, messages);
    const thanks = await scorer.score(THANKS);
    const escalated = (s: Scored) => s.score <= threshold;
    const falseEscalations = scored.filter((s) => !s.message.angry && escalated(s));
    const misses = scored.filter((s) => s.message.angry && !escalated(s));
    const afterThanks = scored.filter(
      (s) =>
        !s.message.angry &&
        decideTurn({
          question: s.message.text,
          confidence: 1,
          confidenceThreshold: 0,
          sentiment: s.score,
          previousSentiments: [thanks],
          fallMustEndLow: true,
          abstentionsInRow: 0,
          settings: DEFAULT_ESCALATION,
        }).action === 'escalate',
    );
    const falseRate = falseEscalations.length / neutral.length;
    const recall = 1 - misses.length / angry.length;
    const latency = summarize(scored.map((s) => s.ms));
    rows.push([
      scorer.name,
      `${pct(falseRate, 1)} (${falseEscalations.length})`,
      `${pct(recall, 1)} (${angry.length - misses.length})`,
      `${pct(afterThanks.length / neutral.length, 1)} (${afterThanks.length})`,
      ms(latency.mean, 2),
      ms(latency.p95, 2),
      verdict(falseRate <= 0.01 && recall >= 0.9),
    ]);
    if (verbose) {
      details.push(`\n${scorer.name}: false escalations`);
      for (const s of falseEscalations) details.push(`  ${s.score.toFixed(2)}  ${s.message.text}`);
      details.push(`${scorer.name}: angry messages missed`);
      for (const s of misses) details.push(`  ${s.score.toFixed(2)}  ${s.message.text}`);
    }
  }

  console.log(
    `TEST split: ${neutral.length} neutral, ${angry.length} angry; escalation at a score ≤ ${threshold}; ${machine()}\n`,
  );
  console.log(
    table(
      ['option', 'false escalation', 'recall (angry)', 'after thanks', 'ms mean', 'ms p95', 'goals'],
      rows,
    ),
  );
  console.log('\ngoals: false escalation ≤ 1%, recall ≥ 90%. "after thanks": see the header of this script.');
  if (details.length) console.log(details.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
