import * as cheerio from 'cheerio';
import { isTag, isText, type AnyNode, type Element } from 'domhandler';
import { compile, type FormatCallback } from 'html-to-text';

/** Elements that are never the content of a help page: embeds, forms, hidden parts, site navigation. */
const NOISE = [
  'script',
  'style',
  'noscript',
  'template',
  'iframe',
  'object',
  'svg',
  'canvas',
  'nav',
  'aside',
  'form',
  'button',
  'dialog',
  'input',
  'select',
  '[hidden]',
  '[aria-hidden="true"]',
  '[role="navigation"]',
  '[role="banner"]',
  '[role="contentinfo"]',
  '[role="search"]',
].join(', ');

/**
 * What documentation generators and help-centre themes repeat on every page around the content:
 * breadcrumbs, previous/next links, tables of contents, "edit this page", votes and related-article
 * lists. Left in, each page would match every query about its neighbours.
 */
const GENERATOR_CHROME = [
  // breadcrumbs and skip links, by any theme
  '.breadcrumb',
  '.breadcrumbs',
  '[aria-label="breadcrumb" i]',
  '[aria-label="breadcrumbs" i]',
  '.skip-link',
  '.skip-to-content',
  // DocBook (PostgreSQL, GIMP, Linux documentation): navigation tables and chapter tables of contents
  '.navheader',
  '.navfooter',
  '.toc',
  '.list-of-tables',
  '.list-of-figures',
  '.list-of-examples',
  // Sphinx: the top and bottom relation bars, the sidebar, the ¶ links after headings, chapter tables
  // of contents
  'div.related',
  '.sphinxsidebar',
  '.headerlink',
  '.toctree-wrapper',
  '.rst-footer-buttons',
  '.wy-nav-side',
  '.wy-breadcrumbs',
  // MkDocs (Material)
  '.md-header',
  '.md-footer',
  '.md-sidebar',
  '.md-nav',
  '.md-source-file',
  '.md-content__button',
  // Docusaurus
  '.theme-doc-breadcrumbs',
  '.pagination-nav',
  '.theme-doc-toc-desktop',
  '.theme-doc-toc-mobile',
  '.theme-doc-footer',
  '.theme-edit-this-page',
  '.theme-last-updated',
  // help-centre themes (Zendesk Guide, Intercom Articles, Freshdesk)
  '.article-votes',
  '.article-more-questions',
  '.article-relatives',
  '.article-return-to-top',
  '.related-articles',
  '.recent-articles',
  '.article-footer',
  '.article-meta',
  // LibreOffice Help: its debug box
  '#DEBUG',
].join(', ');

/** Headings keep their level as Markdown `#`s, and their anchor as `{#id}`, for the chunker. */
const LEVELS = [1, 2, 3, 4, 5, 6];
const markdownHeading =
  (level: number): FormatCallback =>
  (elem, walk, builder) => {
    builder.openBlock({ leadingLineBreaks: 2 });
    builder.addLiteral(`${'#'.repeat(level)} `);
    walk(elem.children, builder);
    const anchor = (elem as Element).attribs?.['data-anchor'];
    if (anchor) builder.addLiteral(` {#${anchor}}`);
    builder.closeBlock({ trailingLineBreaks: 2 });
  };

const render = compile({
  wordwrap: false,
  formatters: Object.fromEntries(LEVELS.map((level) => [`h${level}`, markdownHeading(level)])),
  selectors: [
    ...LEVELS.map((level) => ({ selector: `h${level}`, format: `h${level}` })),
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'ul', options: { itemPrefix: '- ' } },
    { selector: 'pre', format: 'pre', options: { leadingLineBreaks: 2, trailingLineBreaks: 2 } },
  ],
});

/**
 * The main content of an HTML page as Markdown-flavoured text — `#` headings with `{#anchor}`,
 * `-`/`1.` lists, `|` table rows, fenced code — and its title from the first `<h1>` (the page's own
 * heading; `<title>` usually carries the site's name too), else `<title>`. Bytes are decoded by their
 * BOM or `<meta charset>`.
 */
export function htmlToText(source: Buffer | string): { title?: string; text: string } {
  const $ = typeof source === 'string' ? cheerio.load(source) : cheerio.loadBuffer(source);
  showDefaultAlternatives($);
  $(NOISE).remove();
  $(GENERATOR_CHROME).remove();
  const title = oneLine($('h1').first().text()) || oneLine($('head > title').first().text());
  // Page-level header and footer are site chrome; inside an article they hold its heading or byline.
  $('header, footer')
    .filter((_, element) => $(element).parents('main, article').length === 0)
    .remove();
  removeLinkLists($);
  entriesAsHeadings($);
  markAnchors($);
  fenceCode($);
  tablesAsRows($);
  const main = $('main, [role="main"], article').first();
  return { title: title || undefined, text: render($.html(main.length > 0 ? main : $('body'))) };
}

/**
 * Platform switches (LibreOffice Help writes each shortcut twice, `Command+F9` for macOS and
 * `Ctrl+F9` otherwise, both hidden until a script shows one): keep the default alternative, so the
 * shortcut is not lost with the hidden elements.
 */
function showDefaultAlternatives($: cheerio.CheerioAPI): void {
  $('.switchinline, .switch').each((_, element) => {
    const alternatives = $(element).children('[hidden]');
    if (alternatives.length === 0) return;
    const chosen = alternatives.filter('[id^="default"]').first();
    (chosen.length > 0 ? chosen : alternatives.last()).removeAttr('hidden');
  });
}

/**
 * Runs of two or more paragraphs or list items that are each nothing but one link ("Related topics",
 * "See also", next/previous pages) point at other pages; they are not this page's content.
 */
function removeLinkLists($: cheerio.CheerioAPI): void {
  const isLinkOnly = (element: Element): boolean => {
    const links = $(element).find('a[href]');
    return (
      links.length === 1 &&
      oneLine(links.text()) !== '' &&
      oneLine(links.text()) === oneLine($(element).text())
    );
  };
  const runs: Element[][] = [];
  let run: Element[] = [];
  const close = () => {
    if (run.length >= 2) runs.push(run);
    run = [];
  };
  $('p, li').each((_, element) => {
    const previous = run.at(-1);
    const follows = previous !== undefined && adjacentBlocks(previous, element);
    if (!isLinkOnly(element)) return close();
    if (!follows) close();
    run.push(element);
  });
  close();
  for (const links of runs) {
    for (const element of links) {
      // A wrapper that held only this link (LibreOffice's `div.embedded`) goes with it.
      const parent = element.parent;
      if (parent && isTag(parent) && parent.name === 'div' && $(parent).children().length === 1) {
        $(parent).remove();
      } else $(element).remove();
    }
  }
  // The heading of a list of related links ("Related Topics") is left alone when it had nothing else.
  $('.related').each((_, element) => {
    if (oneLine($(element).text()).split(' ').length <= 3) $(element).remove();
  });
}

/** Whether `next` is the next block after `previous` (siblings, or in sibling wrappers). */
function adjacentBlocks(previous: Element, next: Element): boolean {
  const sibling = (node: AnyNode | null): AnyNode | null => {
    let current = node?.next ?? null;
    while (current && isText(current) && !current.data.trim()) {
      current = current.next;
    }
    return current;
  };
  if (sibling(previous) === next) return true;
  const previousParent = previous.parent;
  return previousParent !== null && sibling(previousParent) === next.parent;
}

/**
 * API references (Sphinx's `dl.py`, `dl.function`…, Javadoc-like definition lists) describe one
 * function, class or setting per `<dt id>` entry; without a heading each, a page of eighty functions
 * is one section and a passage loses which function it is about. Each such entry becomes a heading one
 * level below the section it is in, with its id as the anchor.
 */
function entriesAsHeadings($: cheerio.CheerioAPI): void {
  let level = 1;
  $([...LEVELS.map((l) => `h${l}`), 'dl > dt[id]'].join(', ')).each((_, element) => {
    if (!isTag(element)) return;
    if (element.name !== 'dt') {
      level = Number(element.name.slice(1));
      return;
    }
    const entry = $(element);
    const heading = $(`<h${Math.min(6, level + 1)}></h${Math.min(6, level + 1)}>`);
    heading.attr('id', entry.attr('id')).text(oneLine(entry.text()));
    entry.replaceWith(heading);
  });
}

/**
 * The anchor a link to each heading uses: its own id, an `<a id|name>` inside it (DocBook), or the
 * id of the section it opens (Sphinx's `<section id>`, DocBook's `<div class="sect1" id>`).
 */
function markAnchors($: cheerio.CheerioAPI): void {
  $(LEVELS.map((l) => `h${l}`).join(', ')).each((_, element) => {
    const heading = $(element);
    let anchor = heading.attr('id') ?? heading.find('a[id], a[name]').first().attr('id');
    anchor ??= heading.find('a[name]').first().attr('name');
    if (!anchor) {
      // The heading may open a section whose id names it: the first heading inside that element.
      for (const ancestor of heading.parents().slice(0, 4).toArray()) {
        const id = $(ancestor).attr('id');
        if (!id) continue;
        if (
          $(ancestor)
            .find(LEVELS.map((l) => `h${l}`).join(', '))
            .first()[0] === element
        )
          anchor = id;
        break;
      }
    }
    if (anchor && /^[\w.:-]{1,200}$/.test(anchor)) heading.attr('data-anchor', anchor);
  });
}

/** Code blocks are fenced, so the chunker keeps each whole and answers quote it verbatim. */
function fenceCode($: cheerio.CheerioAPI): void {
  $('pre').each((_, element) => {
    const code = $(element).text().replace(/\n+$/, '');
    if (!code.trim()) return;
    const fence = code.includes('```') ? '~~~~' : '```';
    $(element).text(`${fence}\n${code}\n${fence}`);
  });
}

/**
 * Tables as Markdown rows, one line each (a cell's paragraphs and lists run together), so the chunker
 * keeps every row whole and repeats a header row when it cuts a long table. Inner tables first.
 */
function tablesAsRows($: cheerio.CheerioAPI): void {
  for (const table of $('table').toArray().reverse()) {
    const lines: string[] = [];
    $(table)
      .find('tr')
      .filter((_, row) => $(row).closest('table')[0] === table)
      .each((_, row) => {
        const cells = $(row).children('th, td');
        const texts = cells.toArray().map((cell) => oneLine($(cell).text()).replace(/\|/g, '\\|'));
        if (texts.every((text) => text === '')) return;
        lines.push(`| ${texts.join(' | ')} |`);
        // A header row gets Markdown's rule under it, so the parser sees the table and its header.
        if (lines.length === 1 && cells.toArray().every((cell) => cell.name === 'th')) {
          lines.push(`|${' --- |'.repeat(texts.length)}`);
        }
      });
    const block = $('<p></p>');
    lines.forEach((line, i) => {
      if (i > 0) block.append('<br>');
      block.append($('<span></span>').text(line));
    });
    $(table).replaceWith(block);
  }
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();
