/** Small text utilities shared by memory, retrieval and the extractive generator. */

/** Rough token count (≈ 4 characters a token for English); used for budgets, not billing. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

const STOPWORDS = new Set(
  (
    'a an and are as at be but by can could did do does for from had has have how i if in into is it its ' +
    'me my no not of on or our so that the their them then there these they this to was we were what when ' +
    "where which who why will with would you your yours am been being i'm im can't cant dont don't should " +
    'about any all also just get got please thanks thank hi hello hey'
  ).split(' '),
);

/** Lower-cased content words with a crude plural/verb-suffix fold, for lexical overlap. */
export function contentTerms(text: string): string[] {
  return (
    text
      .toLowerCase()
      .normalize('NFKC')
      .match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? []
  )
    .filter((word) => !STOPWORDS.has(word) && word.length > 1)
    .map((word) => word.replace(/(?:ies)$/, 'y').replace(/(?:ing|ed|es|s)$/, '') || word);
}

/**
 * Splits text into sentences; line breaks in lists and headings end a sentence too, because help
 * articles are mostly short lines.
 */
export function splitSentences(text: string): string[] {
  return text
    .split(/\n+/)
    .flatMap((line) => line.split(/(?<=[.!?])(?<!^\s*\d+[.)])\s+(?=[\p{Lu}\p{N}"“(])/u))
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0);
}

/**
 * Passages are data, never instructions. Lines that address the assistant with commands (classic
 * prompt injection) are replaced before any generator sees them.
 */
const INJECTION =
  /\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(instructions?|prompts?|rules|guidelines|above|previous)\b|\b(you are now|new instructions|system prompt|act as|pretend to be)\b/i;

export function neutralizeInstructions(text: string): string {
  return splitSentences(text)
    .map((sentence) => (INJECTION.test(sentence) ? '[instruction-like text removed]' : sentence))
    .join('\n');
}
