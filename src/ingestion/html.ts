import * as cheerio from 'cheerio';
import { compile, type FormatCallback } from 'html-to-text';

/** Elements that are never the content of a help page: code, embeds, navigation, forms, hidden parts. */
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
  '[hidden]',
  '[aria-hidden="true"]',
  '[role="navigation"]',
  '[role="banner"]',
  '[role="contentinfo"]',
].join(', ');

/** Headings keep their level as Markdown `#`s, so the Markdown splitter can cut chunks at sections. */
const LEVELS = [1, 2, 3, 4, 5, 6];
const markdownHeading =
  (level: number): FormatCallback =>
  (elem, walk, builder) => {
    builder.openBlock({ leadingLineBreaks: 2 });
    builder.addLiteral(`${'#'.repeat(level)} `);
    walk(elem.children, builder);
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
  ],
});

/**
 * The main content of an HTML page as Markdown-flavoured text (`#` headings, `-`/`1.` lists), and its
 * title from the first `<h1>` (the page's own heading; `<title>` usually carries the site's name too), else `<title>`. Bytes are decoded by their BOM or `<meta charset>`.
 */
export function htmlToText(source: Buffer | string): { title?: string; text: string } {
  const $ = typeof source === 'string' ? cheerio.load(source) : cheerio.loadBuffer(source);
  const title = oneLine($('h1').first().text()) || oneLine($('head > title').first().text());
  $(NOISE).remove();
  // Page-level header and footer are site chrome; inside an article they hold its heading or byline.
  $('header, footer')
    .filter((_, element) => $(element).parents('main, article').length === 0)
    .remove();
  const main = $('main, [role="main"]').first();
  return { title: title || undefined, text: render($.html(main.length > 0 ? main : $('body'))) };
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();
