import { pipeline, type TextClassificationPipeline } from '@huggingface/transformers';
import { SentimentIntensityAnalyzer } from 'vader-sentiment';
import { onnxSessionOptions, useLocalModels } from './local-models';

/**
 * Visitor sentiment in [-1, 1] (negative … positive).
 *
 * Default: VADER, a lexicon-and-rules model built for short informal text. It needs no model files,
 * runs in microseconds, and handles what support chats are made of: negation ("not helpful"),
 * intensifiers ("extremely annoyed"), capitals ("THIS IS BROKEN") and punctuation ("!!!"). Its
 * compound score is already normalised to [-1, 1]. Where a classifier can be loaded (SENTIMENT_MODEL,
 * a local transformers.js text-classification model), that model is used instead.
 */
export interface SentimentScorer {
  readonly name: string;
  score(text: string): Promise<number>;
}

export class VaderSentiment implements SentimentScorer {
  readonly name = 'vader';

  score(text: string): Promise<number> {
    return Promise.resolve(SentimentIntensityAnalyzer.polarity_scores(text).compound);
  }
}

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

export function createSentimentScorer(model: string | undefined, modelsDir: string): SentimentScorer {
  return model ? new TransformersSentiment(model, modelsDir) : new VaderSentiment();
}
