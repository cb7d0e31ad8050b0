import { marked, type Token, type Tokens } from 'marked';

/**
 * Structure-aware chunking. A document is cut at its headings first: each section keeps its heading
 * path (the titles above it) and its anchor, so a passage is embedded and shown with its context and
 * cited with a link to its place. Inside a section, whole blocks — paragraphs, list items, table rows,
 * code blocks — are packed into passages of at most `chunkSize` characters; a block is cut only when it
 * alone is longer than that (a paragraph at its sentences, code at its lines), and a lead-in ending in
 * ":" stays with what it introduces.
 */

export interface ChunkOptions {
  /** Characters per passage (a block longer than this is the only thing cut). */
  chunkSize: number;
  /** Parse Markdown structure (Markdown, and HTML or DOCX rendered as Markdown); else paragraphs only. */
  markdown: boolean;
  /** The document's title: a top heading that repeats it is not part of the heading path. */
  title?: string;
  /** Anchors for headings that carry none (`{#id}`), as GitHub makes them: for Markdown files. */
  slugAnchors?: boolean;
}

export interface Chunk {
  text: string;
  /** 0..n-1 in document order. */
  position: number;
  /** Estimated as ceil(characters / 4), the usual ratio for English with BPE and WordPiece tokenizers. */
  tokenCount: number;
  /** Titles of the sections the passage is in, outermost first (the document title not included). */
  headings: string[];
  /** The fragment of the section's place in its source (`url#anchor`), when it has one. */
  anchor: string | null;
  /** 0..m-1: the section the passage belongs to; passages of one section are its text in order. */
  section: number;
}

export type BlockKind = 'heading' | 'paragraph' | 'item' | 'code' | 'row';

/** A whole block of a passage: a paragraph, a list item, a table row or a code block. */
export interface Block {
  kind: BlockKind;
  text: string;
}

/** The blocks of a passage or section (its text as the chunker cut it), in order. */
export function passageBlocks(text: string): Block[] {
  return markdownSections(text, { inlineHeadings: true }).flatMap((section) =>
    section.units.map(({ kind, text: block }) => ({ kind, text: block })),
  );
}

type UnitKind = BlockKind;

interface Unit {
  kind: UnitKind;
  text: string;
  /** A table's header row, repeated at the top of each passage that continues the table. */
  header?: string;
}

interface Section {
  headings: string[];
  anchor: string | null;
  units: Unit[];
}

/** Splits normalised text into passages; the same input always gives the same passages. */
export function chunkText(text: string, options: ChunkOptions): Chunk[] {
  const sections = grouped(
    options.markdown ? markdownSections(text, options) : plainSections(text),
    options.chunkSize,
  );
  const chunks: Chunk[] = [];
  let section = 0;
  for (const { headings, anchor, units } of sections) {
    const passages = pack(
      units.flatMap((unit) => cut(unit, options.chunkSize)),
      options.chunkSize,
    );
    if (passages.length === 0) continue;
    for (const passage of passages) {
      chunks.push({
        text: passage,
        position: chunks.length,
        tokenCount: Math.ceil(passage.length / 4),
        headings,
        anchor,
        section,
      });
    }
    section++;
  }
  return chunks;
}

/**
 * Sections too small to say much alone ("Name: Enter a name for the style.") join the sibling
 * sections after them, under their shared heading path, each keeping its own heading as a line of
 * the passage: one passage about a dialog's options matches better than ten of a sentence each.
 * A run stops at half the passage size, or where the next section is not a sibling.
 */
function grouped(sections: Section[], size: number): Section[] {
  const result: Section[] = [];
  let group: (Section & { length: number; members: Section[] }) | undefined;
  const length = (section: Section) => section.units.reduce((n, u) => n + u.text.length + 2, 0);
  const close = () => {
    if (!group) return;
    const shared = commonPrefix(group.members.map((m) => m.headings));
    const units = group.members.flatMap((member) => {
      const own = member.headings.slice(shared.length);
      return own.length > 0
        ? [{ kind: 'heading' as const, text: `**${headingPath(own)}**` }, ...member.units]
        : member.units;
    });
    result.push({ headings: shared, anchor: group.members[0]!.anchor, units });
    group = undefined;
  };
  for (const section of sections) {
    if (section.units.length === 0) continue;
    const first = group?.members[0];
    if (
      group &&
      first &&
      group.length < size / 2 &&
      group.length + length(section) <= size &&
      startsWith(section.headings, first.headings.slice(0, -1))
    ) {
      group.members.push(section);
      group.length += length(section);
      continue;
    }
    close();
    group = { ...section, length: length(section), members: [section] };
  }
  close();
  return result;
}

const commonPrefix = (paths: string[][]): string[] => {
  const [first = [], ...rest] = paths;
  let n = first.length;
  for (const path of rest) {
    let i = 0;
    while (i < n && i < path.length && path[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n);
};

const startsWith = (path: string[], prefix: string[]): boolean =>
  prefix.every((title, i) => path[i] === title);

/** The heading path written as people read it: "Returns › Flown kites". */
export const headingPath = (headings: readonly string[]): string => headings.join(' › ');

/**
 * A passage as it is embedded: under its document's title and headings, so "Click OK." in
 * "Page Numbers › To Start With a Defined Page Number" carries what it is about.
 */
export const passageInContext = (title: string, headings: readonly string[], text: string): string =>
  `${headingPath([title, ...headings])}\n\n${text}`;

const HEADING_ANCHOR = /\s*\{#([\w.:-]+)\}\s*$/;

function markdownSections(
  text: string,
  options: Pick<ChunkOptions, 'title' | 'slugAnchors'> & { inlineHeadings?: boolean },
): Section[] {
  const sections: Section[] = [];
  const path: { level: number; title: string; anchor: string | null }[] = [];
  const slugs = new Map<string, number>();
  let current: Section = { headings: [], anchor: null, units: [] };
  sections.push(current);

  const open = (token: Tokens.Heading) => {
    const explicit = HEADING_ANCHOR.exec(token.text);
    const title = oneLine(token.text.replace(HEADING_ANCHOR, '').replace(/[*_`]/g, ''));
    let anchor = explicit?.[1] ?? null;
    if (!anchor && options.slugAnchors) anchor = uniqueSlug(title, slugs);
    while (path.length > 0 && path.at(-1)!.level >= token.depth) path.pop();
    // The page's own title opens the page; it is the document's title, not a section of it.
    const isTitle = path.length === 0 && sections.length === 1 && sameTitle(title, options.title);
    if (!isTitle && title) path.push({ level: token.depth, title, anchor });
    current = {
      headings: path.map((p) => p.title),
      anchor: anchor ?? [...path].reverse().find((p) => p.anchor)?.anchor ?? null,
      units: [],
    };
    sections.push(current);
  };

  const visit = (token: Token) => {
    switch (token.type) {
      case 'heading':
        open(token as Tokens.Heading);
        return;
      case 'paragraph':
        // A grouped section's own heading, as the chunker writes it: a line of bold text alone.
        if (options.inlineHeadings && /^\*\*[^*\n]+\*\*$/.test(token.raw.trim())) {
          current.units.push({ kind: 'heading', text: token.raw.trim() });
          return;
        }
        pushParagraph(current, token.raw);
        return;
      case 'space':
      case 'hr':
      case 'def':
        return;
      case 'list':
        for (const item of (token as Tokens.List).items) {
          current.units.push({ kind: 'item', text: trimLines(item.raw) });
        }
        return;
      case 'code':
        current.units.push({ kind: 'code', text: token.raw.replace(/\n+$/, '') });
        return;
      case 'table': {
        const [head, rule, ...rows] = trimLines(token.raw).split('\n');
        const header = `${head}\n${rule}`;
        current.units.push({ kind: 'row', text: header });
        for (const row of rows) current.units.push({ kind: 'row', text: row, header });
        return;
      }
      default:
        pushParagraph(current, token.raw);
    }
  };
  for (const token of marked.lexer(text)) visit(token);
  return sections;
}

/** A paragraph, or rows of a table without a header rule (one `|` row per line). */
function pushParagraph(section: Section, raw: string): void {
  const text = trimLines(raw);
  if (!text) return;
  const lines = text.split('\n');
  if (lines.every((line) => /^\|.*\|$/.test(line))) {
    for (const line of lines) section.units.push({ kind: 'row', text: line });
  } else section.units.push({ kind: 'paragraph', text });
}

function plainSections(text: string): Section[] {
  const section: Section = { headings: [], anchor: null, units: [] };
  for (const paragraph of text.split(/\n\s*\n/)) pushParagraph(section, paragraph);
  return [section];
}

/** A block longer than the passage size, cut where it can be: sentences, lines, then words. */
function cut(unit: Unit, size: number): Unit[] {
  if (unit.text.length <= size) return [unit];
  // A list item or a row may run a little long rather than be cut from its own words.
  if ((unit.kind === 'item' || unit.kind === 'row') && unit.text.length <= size * 1.5) return [unit];
  if (unit.kind === 'code') {
    const lines = unit.text.split('\n');
    const fence = /^(```|~~~)/.test(lines[0] ?? '') ? lines[0]! : null;
    const body = fence ? lines.slice(1, lines.at(-1)?.startsWith(fence.slice(0, 3)) ? -1 : undefined) : lines;
    const closing = fence ? fence.replace(/[^`~]/g, '') : '';
    return group(body, size - (fence ? fence.length + closing.length + 2 : 0), '\n').map((piece) => ({
      kind: 'code',
      text: fence ? `${fence}\n${piece}\n${closing}` : piece,
    }));
  }
  const sentences = [...SENTENCES.segment(unit.text)].map((s) => s.segment.trim()).filter(Boolean);
  return group(sentences, size, ' ').map((piece) => ({ ...unit, text: piece }));
}

const SENTENCES = new Intl.Segmenter('en', { granularity: 'sentence' });

/** Joins pieces into runs of at most `size` characters; a piece longer than that is cut at spaces. */
function group(pieces: string[], size: number, joiner: string): string[] {
  const runs: string[] = [];
  let run = '';
  for (const piece of pieces.flatMap((p) => (p.length > size ? hardCut(p, size) : [p]))) {
    if (run && run.length + joiner.length + piece.length > size) {
      runs.push(run);
      run = '';
    }
    run = run ? `${run}${joiner}${piece}` : piece;
  }
  if (run) runs.push(run);
  return runs;
}

function hardCut(text: string, size: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (text.length - start > size) {
    const space = text.lastIndexOf(' ', start + size);
    let end = space > start + size / 2 ? space : start + size;
    // Never between the halves of a surrogate pair (an emoji): half a pair cannot be stored.
    if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
    pieces.push(text.slice(start, end).trim());
    start = end;
  }
  const rest = text.slice(start).trim();
  if (rest) pieces.push(rest);
  return pieces.filter(Boolean);
}

/** Packs a section's blocks into passages of at most `size` characters, blocks kept whole. */
function pack(units: Unit[], size: number): string[] {
  const passages: string[] = [];
  let current: Unit[] = [];
  let length = 0;
  const flush = () => {
    // A heading never ends a passage: it goes with what it heads.
    const heading = current.at(-1)?.kind === 'heading' && current.length > 1 ? current.pop() : undefined;
    if (current.length > 0) passages.push(join(current));
    current = heading ? [heading] : [];
    length = heading ? heading.text.length : 0;
  };
  for (const unit of units) {
    const last = current.at(-1);
    // A lead-in ("To insert a page number:") stays with the steps it introduces.
    const leadIn =
      current.length === 1 &&
      (last!.kind === 'heading' || (last!.kind === 'paragraph' && last!.text.endsWith(':')));
    if (current.length > 0 && length + 2 + unit.text.length > size && !leadIn) {
      flush();
      // A table continued in the next passage carries its header row again.
      if (unit.header && (last?.header === unit.header || last?.text === unit.header)) {
        current.push({ kind: 'row', text: unit.header });
        length = unit.header.length;
      }
    }
    current.push(unit);
    length += (current.length > 1 ? 2 : 0) + unit.text.length;
  }
  flush();
  return passages;
}

/** Items of one list and rows of one table are consecutive lines; other blocks are paragraphs. */
function join(units: Unit[]): string {
  return units
    .map((unit, i) => {
      if (i === 0) return unit.text;
      const previous = units[i - 1]!;
      const sameBlock = unit.kind === previous.kind && (unit.kind === 'item' || unit.kind === 'row');
      return `${sameBlock ? '\n' : '\n\n'}${unit.text}`;
    })
    .join('');
}

const trimLines = (text: string): string => text.replace(/[^\S\n]+$/gm, '').replace(/^\n+|\n+$/g, '');

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

const sameTitle = (heading: string, title: string | undefined): boolean =>
  title !== undefined && heading.toLowerCase() === oneLine(title).toLowerCase();

/** GitHub's heading ids: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function uniqueSlug(title: string, seen: Map<string, number>): string | null {
  const slug = title
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
  if (!slug) return null;
  const count = seen.get(slug) ?? 0;
  seen.set(slug, count + 1);
  return count === 0 ? slug : `${slug}-${count}`;
}
