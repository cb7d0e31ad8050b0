import type { Embeddings } from '@langchain/core/embeddings';
import { pipeline, type TextClassificationPipeline } from '@huggingface/transformers';
import { SentimentIntensityAnalyzer } from 'vader-sentiment';
import { DEFAULT_ESCALATION } from '../domain/turn-decision';
import { type AngerModel, angerLogit } from './anger-model';
import trainedAngerModel from './anger-model.json';
import { onnxSessionOptions, useLocalModels } from './local-models';
import { supportLexicon } from './support-lexicon';

/**
 * Visitor sentiment in [-1, 1] (negative … positive); a message at or below the escalation threshold
 * (-0.6 by default) hands the conversation to a human.
 *
 * Default: SupportSentiment, the support lexicon (VADER without the problem words) with the anger
 * model over the worker's embeddings. VADER alone escalated neutral questions ("Do you ship to PO
 * boxes?" −0.65) and missed most anger worded without its lexicon ("I've explained this four times"):
 * on the held-out TEST split of tests/fixtures/sentiment it escalated 2.6% of the neutral messages and
 * 23% of the angry ones; SupportSentiment escalates 0.8% and 87%, for about 10 ms a message (`npm run
 * eval:sentiment` has every option's figures). With another embedding model than the one the anger
 * model was trained on, the support lexicon scores alone. Where a classifier can be loaded
 * (SENTIMENT_MODEL, a local transformers.js text-classification model), that model is used instead.
 */
export interface SentimentScorer {
  readonly name: string;
  score(text: string): Promise<number>;
}

export const ANGER_MODEL: AngerModel = trainedAngerModel;

/** VADER's compound score as it comes: the scorer before SupportSentiment, kept for comparison. */
export class VaderSentiment implements SentimentScorer {
  readonly name = 'vader';

  score(text: string): Promise<number> {
    return Promise.resolve(SentimentIntensityAnalyzer.polarity_scores(text).compound);
  }
}

export class SupportLexiconSentiment implements SentimentScorer {
  readonly name = 'support-lexicon';

  score(text: string): Promise<number> {
    return Promise.resolve(supportLexicon(text).compound);
  }
}

/**
 * The support lexicon's score, unless the anger model finds the message angry: then at most the
 * escalation threshold, lower as the model is surer. Calm messages keep the lexicon's score, so thanks
 * still read positive and a polite complaint mildly negative.
 */
export class SupportSentiment implements SentimentScorer {
  constructor(
    private readonly embeddings: Embeddings,
    private readonly model: AngerModel = ANGER_MODEL,
    readonly name = 'support',
  ) {}

  async score(text: string): Promise<number> {
    const lexicon = supportLexicon(text).compound;
    const logit = angerLogit(this.model, await this.embeddings.embedQuery(text), text);
    if (logit < this.model.threshold) return lexicon;
    const probability = sigmoid(logit);
    const atThreshold = sigmoid(this.model.threshold);
    const certainty = (probability - atThreshold) / (1 - atThreshold);
    const escalation = DEFAULT_ESCALATION.sentimentThreshold;
    return Math.min(lexicon, escalation - (1 + escalation) * certainty);
  }
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

// pipeline()'s overloads are too complex for tsc to resolve (TS2590); this is the one we call.
const createClassifier = pipeline as unknown as (
  task: 'text-classification',
  model: string,
  options: { session_options: typeof onnxSessionOptions },
) => Promise<TextClassificationPipeline>;

export class TransformersSentiment implements SentimentScorer {
  private classifier: Promise<TextClassificationPipeline> | undefined;

  constructor(
    readonly name: string,
    private readonly modelsDir: string,
  ) {}

  async score(text: string): Promise<number> {
    useLocalModels(this.modelsDir);
    this.classifier ??= createClassifier('text-classification', this.name, {
      session_options: onnxSessionOptions,
    });
    const [result] = (await (await this.classifier)(text)) as { label: string; score: number }[];
    if (!result) return 0;
    // Binary models (POSITIVE/NEGATIVE) give the winning label's probability; map it onto [-1, 1].
    const sign = /neg/i.test(result.label) ? -1 : /pos/i.test(result.label) ? 1 : 0;
    return sign * (2 * result.score - 1);
  }
}

export interface SentimentOptions {
  /** SENTIMENT_MODEL: a transformers.js text-classification model in modelsDir, used when set. */
  model: string | undefined;
  modelsDir: string;
  /** The worker's embeddings, and their model id (config.embeddings.modelId). */
  embeddings: Embeddings;
  embeddingModel: string;
}

export function createSentimentScorer(options: SentimentOptions): SentimentScorer {
  if (options.model) return new TransformersSentiment(options.model, options.modelsDir);
  // The anger model's weights belong to the embedding model it was trained with.
  if (options.embeddingModel === ANGER_MODEL.embeddingModel) return new SupportSentiment(options.embeddings);
  return new SupportLexiconSentiment();
}
