import { SentimentIntensityAnalyzer } from 'vader-sentiment';

/**
 * VADER read the way a support desk reads: the words that name the visitor's problem are not their
 * mood. VADER rates "wrong" −2.1, "error" −1.7, "lost" −1.3 and "charged" −0.8, so "my invoice is wrong"
 * scored −0.48 and "The error reads 'fatal exception'. Any idea?" −0.74. Those words are masked before
 * VADER scores the text; the words of the mood ("useless", "furious", "ridiculous") are kept.
 */

// Faults, events and actions of an account, an order or a device, and the polite markers that come
// with reporting them. Grouped by kind; every one is negative in VADER's lexicon or an inflection of one.
const PROBLEM_WORDS = new Set(
  [
    'wrong error errors bug bugs broken broke break breaks fail fails failed failing failure crash crashed',
    'crashes crashing freeze freezes frozen stuck lag lags leak leaks defect defective damage damaged fatal',
    'dead die died kill killed',
    'charge charged charges charging pay paid decline declined reject rejected rejects dispute disputed',
    'fraud missing lost lose losing loss late delay delayed missed cancel cancelled canceled cancelling',
    'canceling cancellation stop stops stopped block blocked locked suspended terminated hold delete',
    'deleted deleting remove removed empty drop dropped stolen steal hacked accident accidental',
    'accidentally mistake mistakes problem problems trouble warning spam fake suspicious complaint',
    'complain limit limited low risk',
    'sorry unfortunately',
  ]
    .join(' ')
    .split(' '),
);

// Acronyms VADER's lexicon holds as slang: "PO" (a PO box, a purchase order) is "pissed off" there, −2.6,
// and capitals add VADER's emphasis on top: "Do you ship to PO boxes?" scored −0.65. Masked only when
// written in capitals, so lowercase slang keeps its weight.
const SUPPORT_ACRONYMS = new Set(['po', 'nfc', 'doa', 'kia', 'mia', 'bsod', 'dx', 'mlm', 'pu']);

// A word VADER does not know, in the masked word's case (VADER treats capitals as emphasis).
const maskWord = (word: string): string =>
  word.length > 1 && word === word.toUpperCase() ? 'ISSUE' : 'issue';

export function maskProblemWords(text: string): string {
  return text.replace(/[A-Za-z]+/g, (word) => {
    const lower = word.toLowerCase();
    const acronym = SUPPORT_ACRONYMS.has(lower) && word === word.toUpperCase();
    return PROBLEM_WORDS.has(lower) || acronym ? maskWord(word) : word;
  });
}

export interface LexiconScores {
  /** VADER's normalised score in [-1, 1]. */
  compound: number;
  /** Shares of the text that read negative and positive, in [0, 1]. */
  negative: number;
  positive: number;
}

export function supportLexicon(text: string): LexiconScores {
  const scores = SentimentIntensityAnalyzer.polarity_scores(maskProblemWords(text));
  return { compound: scores.compound, negative: scores.neg, positive: scores.pos };
}
