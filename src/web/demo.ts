import { html, type SafeHtml } from './html';

/**
 * The demo host page: a stand-in for a tenant's website with the widget's one-line embed, used by
 * the quick start and the browser tests. `?key=` picks another organization's widget.
 */
export function demoPage(widgetKey: string): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Lumen Notes — notes for teams (Parley demo)</title>
        <link rel="stylesheet" href="/static/demo.css" />
      </head>
      <body>
        <header class="site">
          <strong>Lumen Notes</strong>
          <nav><a href="#features">Features</a> <a href="#pricing">Pricing</a> <a href="#help">Help</a></nav>
        </header>
        <main>
          <h1>Notes your whole team can find.</h1>
          <p>
            This page stands in for a customer's website. The chat button in the corner is the Parley widget,
            answering from the help articles of the demo organization.
          </p>
          <p>
            Try: <em>How long do I have to ask for a refund?</em>,
            <em>How do I turn on two-factor authentication?</em> or <em>I want to talk to a person</em>.
          </p>
          <h2 id="embed">The embed</h2>
          <pre><code>&lt;script src="/widget.js" data-key="${widgetKey}" async&gt;&lt;/script&gt;</code></pre>
        </main>
        <script src="/widget.js" data-key="${widgetKey}" async></script>
      </body>
    </html>`;
}
