import { PLAN_CATALOG, PLANS } from '../../domain/plans';
import { html, type SafeHtml } from '../html';

/** The landing page: what Parley does, why it is different, what it costs (from the plan catalog). */

const FEATURES: { title: string; text: string }[] = [
  {
    title: 'Answers with their sources',
    text: 'Every grounded answer cites the help-centre pages it came from. Below your confidence threshold the assistant says it does not know and offers a person.',
  },
  {
    title: 'Ingestion you can watch',
    text: 'Upload files or point at a sitemap. Each document is a durable workflow with live progress, a clear error, and a resume after any crash.',
  },
  {
    title: 'Knowledge that stays fresh',
    text: 'Pages and sitemaps are re-synced on a schedule; changed pages are re-indexed and every answer records the version it used.',
  },
  {
    title: 'Hand-off with the whole story',
    text: 'Negative sentiment, a request for a human, repeated doubt or your own keywords open a ticket with the reason and a summary.',
  },
  {
    title: 'Gaps become articles',
    text: 'Questions the assistant could not answer are grouped for you; an agent’s reply becomes a new knowledge article in one click.',
  },
  {
    title: 'Yours to run',
    text: 'Self-hosted, multi-tenant, your own models or none at all, a typed REST API and an Apache-2.0 licence.',
  },
];

const TESTIMONIALS: { quote: string; name: string; role: string }[] = [
  {
    quote:
      'We pointed Parley at our sitemap on Monday. By Wednesday it was answering a third of our refund questions — with links our customers actually click.',
    name: 'Maya Okafor',
    role: 'Head of Support, Lumen Notes',
  },
  {
    quote:
      'The hand-off is the part I trust: when a customer is upset the ticket arrives with the reason and the whole conversation, not a blank form.',
    name: 'Jonas Berg',
    role: 'Support lead, Fjord Bikes',
  },
  {
    quote:
      'Running it on our own servers with a local model was a requirement. Parley was the only one that did it without a week of glue code.',
    name: 'Priya Raman',
    role: 'CTO, Ledgerly',
  },
];

const price = (cents: number): string => (cents === 0 ? '$0' : `$${(cents / 100).toFixed(0)}`);

function pricing(): SafeHtml {
  return html`<div class="pricing-grid">
    ${PLANS.map((id) => {
      const plan = PLAN_CATALOG[id];
      return html`<article class="card plan${id === 'pro' ? ' featured' : ''}" aria-labelledby="plan-${id}">
        <h3 id="plan-${id}">${plan.name}</h3>
        <p class="price">
          <span class="amount">${price(plan.priceCents)}</span> <span class="muted">/ month</span>
        </p>
        <ul class="checklist">
          ${plan.features.map((feature) => html`<li>${feature}</li>`)}
        </ul>
        <a class="button${id === 'pro' ? '' : ' secondary'}" href="/signup?plan=${id}">
          ${id === 'free' ? 'Start free' : `Choose ${plan.name}`}
        </a>
      </article>`;
    })}
  </div>`;
}

export function landingPage(): SafeHtml {
  return html`<section class="hero">
      <div class="container hero-grid">
        <div>
          <h1>Customer support that cites its sources.</h1>
          <p class="lead">
            Parley answers your visitors from your own help centre, shows where each answer came from, and
            hands the conversation to your team — with the reason — when a person should take over.
          </p>
          <p class="actions">
            <a class="button large" href="/signup">Start free</a>
            <a class="button secondary large" href="/demo">See the live demo</a>
          </p>
        </div>
        <div class="hero-visual" aria-hidden="true">
          <div class="bubble visitor">How long do I have to ask for a refund?</div>
          <div class="bubble assistant">
            You can ask for a full refund within 30 days of payment.
            <span class="cite">Billing, plans and refunds</span>
          </div>
          <div class="bubble visitor">I want to talk to a person.</div>
          <div class="bubble system">Ticket opened · reason: visitor asked for a human</div>
        </div>
      </div>
    </section>
    <section id="features" class="section">
      <div class="container">
        <h2>Built for answers you can trust</h2>
        <div class="feature-grid">
          ${FEATURES.map(
            (f) =>
              html`<article class="card feature">
                <h3>${f.title}</h3>
                <p>${f.text}</p>
              </article>`,
          )}
        </div>
      </div>
    </section>
    <section id="pricing" class="section alt">
      <div class="container">
        <h2>Simple pricing</h2>
        <p class="lead">Start free; upgrade when your visitors need more answers.</p>
        ${pricing()}
      </div>
    </section>
    <section id="testimonials" class="section">
      <div class="container">
        <h2>Teams that answer faster</h2>
        <div class="testimonial-grid">
          ${TESTIMONIALS.map(
            (t) =>
              html`<figure class="card testimonial">
                <blockquote>“${t.quote}”</blockquote>
                <figcaption><strong>${t.name}</strong><br /><span class="muted">${t.role}</span></figcaption>
              </figure>`,
          )}
        </div>
      </div>
    </section>`;
}
