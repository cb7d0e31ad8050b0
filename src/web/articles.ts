import { Router } from 'express';
import { marked, type Token } from 'marked';
import { servicesOf } from '../api/services';
import { passageBlocks, type Block } from '../ingestion';
import { isUuid } from '../lib/uuid';
import type { ArticleSection, ArticleView } from '../services/documents';
import { notFoundPage } from './errors';
import { html, safeUrl, type SafeHtml } from './html';

/**
 * The read-only article page of a public document: what the widget's citations open when the
 * document has no source URL of its own (an upload). It shows the live version — the text answers
 * quote — with its title and headings, each section under the id its citations link to. No console
 * chrome, no scripts; every word from the document is escaped, and its links keep only http(s).
 * An internal document, another organization's, or one not ingested yet is the same 404.
 */

export function articlesRouter(): Router {
  const router = Router();
  // The path articlePath (src/domain/articles.ts) builds for citations.
  router.get('/articles/:organizationId/:documentId', async (req, res, next) => {
    try {
      const { organizationId, documentId } = req.params;
      const article =
        isUuid(organizationId) && isUuid(documentId)
          ? await servicesOf(req).documents.article(organizationId, documentId)
          : null;
      if (!article) {
        notFoundPage(req, res);
        return;
      }
      res.set('Cache-Control', 'no-cache').type('html').send(articlePage(article).toString());
    } catch (error) {
      next(error);
    }
  });
  return router;
}

export function articlePage(article: ArticleView): SafeHtml {
  const shown: string[] = [];
  const body = article.sections.map((section) => renderSection(section, shown));
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>${article.title}</title>
        <link rel="stylesheet" href="/static/article.css" />
      </head>
      <body>
        <main class="article">
          <article>
            <h1>${article.title}</h1>
            ${body}
          </article>
          <footer>
            ${
              article.sourceUrl
                ? html`<p>
                    From
                    <a href="${safeUrl(article.sourceUrl)}" rel="nofollow noopener">${article.sourceUrl}</a>
                  </p>`
                : ''
            }
            ${
              article.lastSyncedAt
                ? html`<p>
                    Updated
                    <time datetime="${article.lastSyncedAt.toISOString()}"
                      >${article.lastSyncedAt.toISOString().slice(0, 10)}</time
                    >
                  </p>`
                : ''
            }
          </footer>
        </main>
      </body>
    </html>`;
}

/**
 * One section: the headings of its path that the page has not shown yet (h2 for the outermost),
 * then its blocks. A section the chunker joined with its small siblings carries their headings as
 * bold lines ("**Returns › Flown kites**"); they become headings again here.
 */
function renderSection(section: ArticleSection, shown: string[]): SafeHtml {
  const parts: SafeHtml[] = [headingsFrom(section.headings, shown)];
  let list: { ordered: boolean; items: SafeHtml[] } | undefined;
  let table: string[][] | undefined;
  const flush = () => {
    if (list)
      parts.push(
        list.ordered
          ? html`<ol>
              ${list.items}
            </ol>`
          : html`<ul>
              ${list.items}
            </ul>`,
      );
    if (table) parts.push(renderTable(table));
    list = undefined;
    table = undefined;
  };
  for (const block of passageBlocks(section.text)) {
    if ((list && block.kind !== 'item') || (table && block.kind !== 'row')) flush();
    if (block.kind === 'heading') {
      parts.push(headingsFrom([...section.headings, ...inlineHeading(block)], shown));
    } else if (block.kind === 'item') {
      const ordered = /^\d+[.)]\s/.test(block.text);
      if (list && list.ordered !== ordered) flush();
      list ??= { ordered, items: [] };
      list.items.push(html`<li>${inline(block.text.replace(/^(?:[-*+]|\d+[.)])\s+/, ''))}</li>`);
    } else if (block.kind === 'row') {
      table ??= [];
      for (const line of block.text.split('\n')) {
        if (/^\|?[\s:|-]+\|?$/.test(line) && line.includes('-')) continue; // the header's rule
        table.push(cells(line));
      }
    } else if (block.kind === 'code') {
      parts.push(
        html`<pre><code>${block.text.replace(/^(`{3,}|~{3,})[^\n]*\n?/, '').replace(/\n?(`{3,}|~{3,})$/, '')}</code></pre>`,
      );
    } else {
      parts.push(html`<p>${inline(block.text)}</p>`);
    }
  }
  flush();
  return section.anchor
    ? html`<section id="${section.anchor}">${parts}</section>`
    : html`<section>${parts}</section>`;
}

/** The heading path of a joined sibling's bold line ("**Returns › Flown kites**"). */
const inlineHeading = (block: Block): string[] =>
  block.text
    .replace(/^\*\*|\*\*$/g, '')
    .split(' › ')
    .map((title) => title.trim())
    .filter(Boolean);

/** Headings of `path` below what the page already shows; `shown` becomes `path`. */
function headingsFrom(path: string[], shown: string[]): SafeHtml {
  let same = 0;
  while (same < path.length && same < shown.length && path[same] === shown[same]) same++;
  const fresh = path.slice(same).map((title, i) => heading(same + i, title));
  shown.splice(0, shown.length, ...path);
  return html`${fresh}`;
}

function heading(depth: number, title: string): SafeHtml {
  switch (Math.min(depth, 3)) {
    case 0:
      return html`<h2>${title}</h2>`;
    case 1:
      return html`<h3>${title}</h3>`;
    case 2:
      return html`<h4>${title}</h4>`;
    default:
      return html`<h5>${title}</h5>`;
  }
}

const cells = (line: string): string[] =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replace(/\\\|/g, '|'));

function renderTable(rows: string[][]): SafeHtml {
  const [head, ...body] = rows;
  return html`<div class="table">
    <table>
      <thead>
        <tr>
          ${(head ?? []).map((cell) => html`<th>${inline(cell)}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${body.map(
          (row) =>
            html`<tr>
              ${row.map((cell) => html`<td>${inline(cell)}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** Inline Markdown (emphasis, code, links) to escaped HTML; raw HTML in a document stays text. */
function inline(text: string): SafeHtml {
  return renderInline(marked.Lexer.lexInline(text));
}

function renderInline(tokens: Token[]): SafeHtml {
  return html`${tokens.map((token) => {
    switch (token.type) {
      case 'strong':
        return html`<strong>${renderInline(token.tokens ?? [])}</strong>`;
      case 'em':
        return html`<em>${renderInline(token.tokens ?? [])}</em>`;
      case 'del':
        return html`<del>${renderInline(token.tokens ?? [])}</del>`;
      case 'codespan':
        return html`<code>${token.text as string}</code>`;
      case 'br':
        return html`<br />`;
      case 'link':
        return html`<a href="${safeUrl(token.href as string)}" rel="nofollow noopener"
          >${renderInline(token.tokens ?? [])}</a
        >`;
      case 'image':
        return (token.text as string) || '';
      case 'text':
        return 'tokens' in token && token.tokens ? renderInline(token.tokens) : String(token.text);
      case 'escape':
        return String(token.text);
      default:
        return token.raw;
    }
  })}`;
}
