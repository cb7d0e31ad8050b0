import { headingPath, passageBlocks, type Block } from '../../ingestion';
import { analyze } from '../lexical-index';
import { neutralizeInstructions } from '../text';
import {
  type AnswerGenerator,
  type GenerationRequest,
  type GenerationResult,
  type Passage,
  type TokenSink,
} from './types';
import { citationFor } from './citations';

/**
 * The default generator: no language model. It answers with one contiguous span quoted verbatim from
 * the best passage's section — the sentences, list or code block that cover the question — under the
 * section's heading, so the reply is always faithful to the knowledge base and costs microseconds.
 * Nothing is spliced in from elsewhere: a reply is one place in one document, cited once.
 */

/** A span reads as a reply, not an article: this many characters at most, more only for one block. */
const SPAN_CHARS = 600;
/** A procedure or a table travels whole up to this size, as far as the section goes. */
const LIST_CHARS = 1_000;
/** The reply comes from the best page: its best passage, or its second when that covers more. */
const PASSAGES_CONSIDERED = 2;

interface Unit {
  kind: Block['kind'];
  text: string;
  /** Its words as the lexical index analyses them. */
  terms: Set<string>;
  /** Whether it lies in the passage retrieval matched (the rest is the section around it). */
  inMatch: boolean;
  /** Which of the passage's sections it is in: a heading line (small sections joined) opens one. */
  segment: number;
}

interface Span {
  passage: Passage;
  units: Unit[];
  score: number;
}

export class ExtractiveGenerator implements AnswerGenerator {
  readonly model = 'extractive-v2';

  async generate(request: GenerationRequest, onToken: TokenSink): Promise<GenerationResult> {
    const page = request.passages[0]?.documentId;
    const span = bestSpan(
      request.question,
      request.passages.slice(0, PASSAGES_CONSIDERED).filter((p) => p.documentId === page),
    );
    if (!span) {
      return {
        text: '',
        citations: [],
        model: this.model,
        promptTokens: null,
        completionTokens: 0,
        stream: 'simulated',
        ungrounded: true,
      };
    }
    // A span that opens with a section's own heading line is labelled with it.
    const [first, ...rest] = span.units;
    const titled = first!.kind === 'heading' && rest.length > 0;
    const units = titled ? rest : span.units;
    const where = headingPath([
      span.passage.title,
      ...span.passage.headings,
      ...(titled ? [plain(first!)] : []),
    ]);
    const body = units.map((unit) => plain(unit)).join(joiner(units));
    const text = `From “${where}”:${units.some((u) => u.kind !== 'paragraph') ? '\n' : ' '}${body} [1]`;

    // Sent word by word, so the widget shows the same progressive reply as with a language model; the
    // result says the stream was simulated.
    for (const piece of text.match(/\S+\s*/g) ?? []) await onToken(piece);
    return {
      text,
      citations: [citationFor(span.passage, body, where)],
      model: this.model,
      // No prompt: nothing was sent to a model.
      promptTokens: null,
      completionTokens: Math.ceil(text.length / 4),
      stream: 'simulated',
    };
  }
}

/**
 * The span of a passage's section that best covers the question: every window of consecutive blocks
 * (sentences of a paragraph count as blocks) is scored by the share of the question's words it holds,
 * rarer words weighing more, plus a preference for the passage that matched (retrieval chose it for
 * its meaning, which words alone miss) and for brevity. The window is then completed: a lead-in
 * ("To start with page 12:") brings the steps it introduces, a step brings its lead-in.
 */
export function bestSpan(question: string, passages: Passage[]): Span | null {
  const questionTerms = new Set(analyze(question));
  const sections = passages.map((passage) => ({ passage, units: unitsOf(passage) }));
  const weight = idfWeights(
    questionTerms,
    sections.flatMap((s) => s.units),
  );
  const total = [...questionTerms].reduce((sum, term) => sum + (weight.get(term) ?? 0), 0) || 1;

  let best: Span | null = null;
  for (const [rank, { passage, units }] of sections.entries()) {
    const headingTerms = new Set(analyze([passage.title, ...passage.headings].join(' ')));
    for (let from = 0; from < units.length; from++) {
      let length = 0;
      const found = new Set<string>();
      for (let to = from; to < units.length; to++) {
        // A window stays in one section: a heading line opens a new one.
        if (to > from && units[to]!.segment !== units[from]!.segment) break;
        length += units[to]!.text.length;
        if (to > from && length > SPAN_CHARS) break;
        for (const term of units[to]!.terms) if (questionTerms.has(term)) found.add(term);
        const window = units.slice(from, to + 1);
        let covered = 0;
        for (const term of questionTerms) {
          if (found.has(term) || headingTerms.has(term)) covered += weight.get(term) ?? 0;
        }
        // Retrieval chose the matched passage for its meaning, which words alone miss: a window that
        // holds it whole is preferred, unless another one covers the question's words clearly better.
        // Each block from outside it must earn its place with words of the question.
        const matched =
          window.reduce((n, u) => n + (u.inMatch ? u.text.length : 0), 0) /
          matchedLength(units, units[from]!.segment);
        const outside = window.filter((u) => !u.inMatch).length;
        const score =
          covered / total +
          0.5 * matched -
          0.12 * outside -
          0.05 * (length / SPAN_CHARS) -
          0.25 * (Math.max(0, length - SPAN_CHARS * 0.75) / SPAN_CHARS) -
          0.15 * rank;
        if (!best || score > best.score) best = { passage, units: window, score };
      }
    }
  }
  if (!best) return null;
  const chosen: Span = best;
  const section = sections.find((s) => s.passage === chosen.passage)!.units;
  return { ...chosen, units: complete(section, chosen.units) };
}

/** The characters of one section of the units that lie in the matched passage. */
const matchedLength = (units: Unit[], segment: number): number =>
  units.reduce((n, u) => n + (u.inMatch && u.segment === segment ? u.text.length : 0), 0) || 1;

/** The section's blocks, paragraphs cut into sentences, instruction-like sentences left out. */
function unitsOf(passage: Passage): Unit[] {
  const matched = new Set(passageBlocks(passage.text).map((block) => block.text));
  let segment = 0;
  return passageBlocks(passage.context || passage.text).flatMap((block) => {
    const inMatch = matched.has(block.text) || passage.text.includes(block.text);
    if (block.kind === 'heading') segment++;
    // Emphasis is dropped first: "**Forgot password?** and enter…" is one sentence, not two.
    const pieces =
      block.kind === 'paragraph'
        ? [...SENTENCES.segment(unemphasized(block.text))].map((s) => s.segment.trim()).filter(Boolean)
        : [block.text];
    return pieces
      .filter((piece) => !neutralizeInstructions(piece).includes('[instruction-like text removed]'))
      .map((piece) => ({ kind: block.kind, text: piece, terms: new Set(analyze(piece)), inMatch, segment }));
  });
}

const SENTENCES = new Intl.Segmenter('en', { granularity: 'sentence' });

/** Inverse document frequency of the question's words among the candidate blocks. */
function idfWeights(questionTerms: Set<string>, units: Unit[]): Map<string, number> {
  const weights = new Map<string, number>();
  for (const term of questionTerms) {
    const df = units.filter((unit) => unit.terms.has(term)).length;
    weights.set(term, Math.log(1 + (units.length + 1) / (df + 0.5)));
  }
  return weights;
}

/** A window completed to what a reader needs: a lead-in with its steps, steps with their lead-in. */
function complete(section: Unit[], window: Unit[]): Unit[] {
  let from = section.indexOf(window[0]!);
  let to = section.indexOf(window.at(-1)!);
  const isBlock = (unit: Unit | undefined) =>
    unit !== undefined && (unit.kind === 'item' || unit.kind === 'row' || unit.kind === 'code');
  const size = () => section.slice(from, to + 1).reduce((n, u) => n + u.text.length, 0);
  // A lead-in ending in ":" brings the list, table or code it introduces.
  if (section[to]!.text.endsWith(':')) {
    while (isBlock(section[to + 1]) && size() + section[to + 1]!.text.length <= LIST_CHARS) to++;
  }
  // Steps bring the rest of their list (while it fits) and the sentence that introduces them.
  if (isBlock(section[from])) {
    while (
      section[to + 1]?.kind === section[from]!.kind &&
      size() + section[to + 1]!.text.length <= LIST_CHARS
    ) {
      to++;
    }
    while (
      section[from - 1]?.kind === section[from]!.kind &&
      size() + section[from - 1]!.text.length <= LIST_CHARS
    ) {
      from--;
    }
    if (section[from - 1]?.text.endsWith(':')) from--;
  }
  // A very short sentence ("Yes.") or an option's name says little alone: what follows completes it.
  const short = section[from]!.kind === 'heading' || section[from]!.text.split(/\s+/).length < 6;
  if (to === from && short && section[to + 1]?.kind === 'paragraph') to++;
  // A heading the window ends on heads nothing in it; one just before it names what it quotes.
  while (to > from && section[to]!.kind === 'heading') to--;
  if (section[from]!.kind !== 'heading' && section[from - 1]?.kind === 'heading') from--;
  return section.slice(from, to + 1);
}

/** Blocks of a list or table, and headings, go on lines of their own; sentences of a paragraph run on. */
const joiner = (units: Unit[]): string => (units.some((u) => u.kind !== 'paragraph') ? '\n' : ' ');

/** Markdown's emphasis and inline-code markers, which read badly in a chat bubble. */
const unemphasized = (text: string): string =>
  text
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/(^|\s)\*(\S.*?)\*(?=\s|[.,;:!?]|$)/g, '$1$2')
    .replace(/`([^`]+)`/g, '$1');

/** A block as the reply shows it: code exactly as written, without its fences; prose unemphasized. */
function plain(unit: Unit): string {
  if (unit.kind === 'code') return unit.text.replace(/^(```|~~~)[^\n]*\n?|\n?(```|~~~)\s*$/g, '');
  return unemphasized(unit.text).replace(/\n\s*\n/g, '\n');
}
