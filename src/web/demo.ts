import fs from 'node:fs';
import path from 'node:path';
import { marked } from 'marked';
import { projectRoot } from '../lib/paths';
import { html, SafeHtml } from './html';

/**
 * The demo company's website: a home page with the widget's one-line embed, and a small help centre
 * (the seed's articles) with a sitemap, which the demo organization ingests like any customer's site.
 * `?key=` on the home page picks another organization's widget.
 */

const ARTICLES_DIR = path.join(projectRoot, 'seed', 'demo-docs');

export interface Article {
  slug: string;
  title: string;
  /** Markdown from the repository's own seed files (trusted content). */
  markdown: string;
}

export function demoArticles(): Article[] {
  return fs
    .readdirSync(ARTICLES_DIR)
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => {
      const markdown = fs.readFileSync(path.join(ARTICLES_DIR, file), 'utf8');
      return { slug: file.replace(/\.md$/, ''), title: /^#\s+(.+)$/m.exec(markdown)?.[1] ?? file, markdown };
    });
}

function layout(title: string, body: SafeHtml, widgetKey?: string): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <link rel="stylesheet" href="/static/demo.css" />
      </head>
      <body>
        <header class="site">
          <a href="/demo" class="brand">Lumen Notes</a>
          <nav><a href="/demo#features">Features</a> <a href="/demo/help">Help centre</a></nav>
        </header>
        <main>${body}</main>
        ${widgetKey ? html`<script src="/widget.js" data-key="${widgetKey}" async></script>` : ''}
      </body>
    </html>`;
}

/**
 * The home page. The embed shown is the one a customer pastes into their own site, so it names this
 * server by its public address; the page itself loads the widget from its own origin.
 */
export function demoHomePage(widgetKey: string, publicUrl: string): SafeHtml {
  return layout(
    'Lumen Notes — notes for teams (Parley demo)',
    html`<h1>Notes your whole team can find.</h1>
      <p>
        This page stands in for a customer's website. The chat button in the corner is the Parley widget,
        answering from <a href="/demo/help">this site's help centre</a>.
      </p>
      <p>
        Try: <em>How long do I have to ask for a refund?</em>,
        <em>How do I turn on two-factor authentication?</em> or <em>I want to talk to a person</em>.
      </p>
      <h2 id="features">Features</h2>
      <ul class="features">
        <li><strong>Everywhere you work.</strong> In the browser, on macOS, Windows, iOS and Android.</li>
        <li><strong>Find anything.</strong> Ctrl+K searches every note in the workspace.</li>
        <li><strong>Always in sync.</strong> Notes save as you type and follow you to every device.</li>
        <li><strong>Yours to take.</strong> Export the whole workspace as Markdown files at any time.</li>
      </ul>
      <h2 id="embed">The embed</h2>
      <p>The one line that puts this widget on a site:</p>
      <pre><code>&lt;script src="${publicUrl}/widget.js" data-key="${widgetKey}" async&gt;&lt;/script&gt;</code></pre>`,
    widgetKey,
  );
}

export function helpCentrePage(articles: Article[]): SafeHtml {
  return layout(
    'Help centre — Lumen Notes',
    html`<h1>Help centre</h1>
      <ul>
        ${articles.map((a) => html`<li><a href="/demo/help/${a.slug}">${a.title}</a></li>`)}
      </ul>`,
  );
}

export function articlePage(article: Article): SafeHtml {
  return layout(
    `${article.title} — Lumen Notes`,
    new SafeHtml(marked.parse(article.markdown, { async: false })),
  );
}

export function demoSitemap(baseUrl: string, articles: Article[]): string {
  const urls = articles.map((a) => `  <url><loc>${baseUrl}/demo/help/${a.slug}</loc></url>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls}\n</urlset>\n`;
}
