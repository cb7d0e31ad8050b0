import { supportLexicon } from './support-lexicon';

/**
 * Is this visitor angry or frustrated enough for a human? A logistic regression over four views of a
 * message, each catching what the others miss:
 * - its embedding (the worker's sentence model): complaints phrased without any angry word;
 * - the support lexicon (VADER with the problem words masked): explicit anger, insults, intensifiers;
 * - its words and word pairs: support's stock phrases ("thanks for nothing", "how many times");
 * - tone cues: shouting, "!!!", and threats, repetition or quitting.
 * Trained on the DEV split of tests/fixtures/sentiment by `npm run train:sentiment`, which writes
 * anger-model.json and chooses the threshold by cross-validation on that split.
 */
export interface AngerModel {
  /** The embedding model the weights belong to, as config.embeddings.modelId names it. */
  embeddingModel: string;
  bias: number;
  /** One weight per embedding dimension. */
  embedding: number[];
  /** Weights of lexiconFeatures(). */
  lexicon: number[];
  /** Weights of toneCues(). */
  cues: number[];
  /** Weight of each word or word pair seen in training, added when the message contains it. */
  words: Record<string, number>;
  /** The logit at and above which a message is angry. */
  threshold: number;
}

export function lexiconFeatures(text: string): number[] {
  const { compound, negative, positive } = supportLexicon(text);
  return [compound, negative, positive];
}

const THREAT =
  /\b(charge ?backs?|lawyers?|attorney|solicitor|sue|small claims|court|ombudsman|regulator|trading standards|consumer (protection|rights)|ftc|bbb|the press|twitter|one[- ]star|reviews? everywhere|(go|going|went) to (my|the) bank|(contact|call|tell|told)(ed|ing)? my bank|dispute (the|this) charge|legal action)\b/i;
const REPETITION =
  /\b((second|third|fourth|fifth|sixth|tenth|\d+(st|nd|rd|th)) (time|email|message)|how many (more )?times|(three|four|five|six|ten) times)\b/i;
const QUITTING =
  /\b(i'm (done|switching)|i'm out\b(?! of)|i give up|forget it|never again|(lost|lose) a (loyal )?customer|had it with|had enough|enough is enough|(this is|this was) (my|the) last (time|attempt))/i;

export function toneCues(text: string): number[] {
  const normalized = text.replace(/’/g, "'");
  const letters = text.replace(/[^A-Za-z]/g, '');
  const capitals = text.replace(/[^A-Z]/g, '').length;
  const shoutedWords = (text.match(/\b[A-Z]{3,}\b/g) ?? []).length;
  return [
    letters.length >= 8 && capitals / letters.length > 0.6 ? 1 : 0, // the whole message shouted
    Math.min(shoutedWords, 3) / 3, // or a few words
    /[!?]{2,}/.test(text) ? 1 : 0,
    text.includes('!') ? 1 : 0,
    THREAT.test(normalized) ? 1 : 0,
    REPETITION.test(normalized) ? 1 : 0,
    QUITTING.test(normalized) ? 1 : 0,
  ];
}

/** The lowercase words (and runs of ! and ?) of a text, and each pair of neighbours, once each. */
export function wordFeatures(text: string): string[] {
  const tokens =
    text
      .toLowerCase()
      .replace(/’/g, "'")
      .match(/[\p{L}']+|[!?]+/gu) ?? [];
  const pairs = tokens.slice(1).map((token, i) => `${tokens[i]} ${token}`);
  return [...new Set([...tokens, ...pairs])];
}

const dot = (a: readonly number[], b: readonly number[]): number => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
};

export function angerLogit(model: AngerModel, vector: readonly number[], text: string): number {
  let logit = model.bias + dot(model.embedding, vector);
  logit += dot(model.lexicon, lexiconFeatures(text)) + dot(model.cues, toneCues(text));
  for (const word of wordFeatures(text)) logit += model.words[word] ?? 0;
  return logit;
}
