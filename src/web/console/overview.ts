import { Router, type Request, type Response } from 'express';
import { hasRole } from '../../domain/principal';
import { servicesOf } from '../../api/services';
import { PLAN_CATALOG } from '../../domain/plans';
import { computeAnalytics, type AnalyticsReport } from '../../services/analytics';
import {
  dismissOnboarding,
  onboardingChecklist,
  type Onboarding,
  type OnboardingStepKey,
} from '../../services/onboarding';
import { getSettings } from '../../services/settings';
import { recentBudgetRefusal, usageSummary, type MetricUsage } from '../../services/usage';
import { html, jsonForScript, type SafeHtml } from '../html';
import { option } from '../forms';
import { contextOf, csrfField, sendPage, when, type PageContext } from '../layout';
import { consoleUser, requireRole } from './request';
import { budgetNotice } from './settings';

/**
 * The overview: the analytics service's figures for a period (the same as GET /v1/analytics), daily
 * charts drawn by Chart.js from JSON the page carries, and usage against the plan's limits. Admins of
 * a new organization see the getting-started checklist instead of zeros, until it is done or dismissed.
 */

const PERIODS = [7, 30, 90];
const DAY_MS = 86_400_000;

const percent = (share: number | null): string => (share === null ? '—' : `${(share * 100).toFixed(1)}%`);
const ms = (value: number | null): string =>
  value === null ? '—' : value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
const duration = (milliseconds: number | null): string => {
  if (milliseconds === null) return '—';
  const seconds = milliseconds / 1000;
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
};

function kpi(label: string, value: string, note?: string): SafeHtml {
  return html`<figure class="card kpi">
    <figcaption class="muted">${label}</figcaption>
    <span class="value">${value}</span>
    ${note ? html`<span class="muted small">${note}</span>` : ''}
  </figure>`;
}

function chart(id: string, title: string, spec: unknown, summary: string): SafeHtml {
  return html`<section class="card chart-card">
    <h2 id="${id}-title">${title}</h2>
    <div class="chart-box">
      <canvas
        data-chart="${id}-data"
        role="img"
        aria-labelledby="${id}-title"
        aria-describedby="${id}-summary"
      ></canvas>
    </div>
    <p class="visually-hidden" id="${id}-summary">${summary}</p>
    <script type="application/json" id="${id}-data">
      ${jsonForScript(spec)}
    </script>
  </section>`;
}

function usageMeter(usage: MetricUsage): SafeHtml {
  const label =
    usage.metric === 'messages' ? 'Answered messages this month' : 'Seats (members and pending invitations)';
  if (usage.limit === null) {
    return html`<div class="field">
      <strong>${label}</strong>
      <p>${usage.used} (unlimited)</p>
    </div>`;
  }
  const full = usage.limit > 0 ? usage.used >= usage.limit : true;
  // Answered messages at the limit stop the assistant: an error. Every seat taken only stops
  // invitations (one seat of one on Free is the normal start): information.
  const seats = usage.metric === 'seats';
  const reached = seats ? ' — every seat is taken; upgrade to invite more people' : ' — the limit is reached';
  const note = `${usage.used} of ${usage.limit}${full ? reached : ''}`;
  return html`<div class="field">
    <label for="usage-${usage.metric}"><strong>${label}</strong></label>
    ${
      seats
        ? html`<meter id="usage-${usage.metric}" min="0" max="${usage.limit}" value="${usage.used}">
            ${usage.used} of ${usage.limit}
          </meter>`
        : html`<meter
            id="usage-${usage.metric}"
            min="0"
            max="${usage.limit}"
            low="${usage.limit * 0.8}"
            high="${usage.limit * 0.95}"
            optimum="0"
            value="${usage.used}"
          >
            ${usage.used} of ${usage.limit}
          </meter>`
    }
    <p class="${full && !seats ? 'error' : 'muted'}">${note}</p>
  </div>`;
}

const STEPS: Record<OnboardingStepKey, (ctx: PageContext) => { title: string; body: SafeHtml }> = {
  documents: () => ({
    title: 'Add your documents',
    body: html`<p class="muted small">
        Upload help articles, policies or manuals, or add your site’s sitemap: the assistant answers from
        them.
      </p>
      <a class="button secondary small" href="/console/documents">Add documents</a>`,
  }),
  test_chat: () => ({
    title: 'Try the assistant',
    body: html`<p class="muted small">
        Ask it a question in a test chat here in the console, answered the way your visitors will be.
      </p>
      <a class="button secondary small" href="/console/try">Open a test chat</a>`,
  }),
  widget: (ctx) => ({
    title: 'Customize and install the widget',
    body: html`<p class="muted small">
        Choose its colour and greeting, then paste this before <code>&lt;/body&gt;</code> on your site. This
        step ticks once the widget opens on your site.
      </p>
      <pre><code id="checklist-snippet">${`<script src="${ctx.publicUrl}/widget.js" data-key="${ctx.console!.organization.widgetKey}" async></script>`}</code></pre>
      <button type="button" class="button secondary small" data-copy="checklist-snippet">Copy snippet</button>
      <a class="button secondary small" href="/console/settings">Customize</a>`,
  }),
  teammate: () => ({
    title: 'Invite a teammate',
    body: html`<p class="muted small">Agents answer the conversations the assistant hands over.</p>
      <a class="button secondary small" href="/console/team">Invite</a>`,
  }),
  email: (ctx) => ({
    title: 'Confirm your email',
    body: html`<p class="muted small">Open the link we sent to ${ctx.console!.user.email}.</p>`,
  }),
};

function checklist(ctx: PageContext, onboarding: Onboarding): SafeHtml {
  const total = onboarding.steps.length;
  return html`<section class="card getting-started" aria-labelledby="checklist-title">
    <div class="getting-started-head">
      <h2 id="checklist-title">Getting started</h2>
      <form method="post" action="/console/overview/checklist/dismiss">
        ${csrfField(ctx)}
        <button type="submit" class="button secondary small">Dismiss</button>
      </form>
    </div>
    <p class="getting-started-progress">
      <progress id="getting-started-progress" max="${total}" value="${onboarding.done}"></progress>
      <label for="getting-started-progress">${onboarding.done} of ${total} done</label>
    </p>
    <ol class="steps">
      ${onboarding.steps.map((step) => {
        const { title, body } = STEPS[step.key](ctx);
        return html`<li class="step${step.done ? ' done' : ''}" data-step="${step.key}">
          <span class="check" aria-hidden="true">${step.done ? '✓' : ''}</span>
          <div>
            <strong>${title}</strong>
            <span class="visually-hidden">${step.done ? '(done)' : '(to do)'}</span>
            ${step.done ? '' : body}
          </div>
        </li>`;
      })}
    </ol>
  </section>`;
}

function charts(report: AnalyticsReport): SafeHtml {
  const labels = report.daily.map((d) => d.date.slice(5));
  return html`<div class="grid-2">
    ${chart(
      'activity',
      'Conversations and messages per day',
      {
        type: 'line',
        labels,
        datasets: [
          {
            label: 'Conversations',
            data: report.daily.map((d) => d.conversations),
            borderColor: '#4338ca',
            backgroundColor: '#4338ca',
          },
          {
            label: 'Messages',
            data: report.daily.map((d) => d.messages),
            borderColor: '#0f766e',
            backgroundColor: '#0f766e',
          },
        ],
      },
      `${report.conversations} conversations and ${report.messages} messages over ${report.daily.length} days.`,
    )}
    ${chart(
      'handover',
      'Escalations and unanswered questions per day',
      {
        type: 'bar',
        labels,
        datasets: [
          { label: 'Escalations', data: report.daily.map((d) => d.escalations), backgroundColor: '#b91c1c' },
          { label: 'Unanswered', data: report.daily.map((d) => d.abstentions), backgroundColor: '#d97706' },
        ],
      },
      `${report.escalations} escalations and ${report.abstentions} unanswered questions.`,
    )}
  </div>`;
}

export function overviewRouter(): Router {
  const router = Router();

  router.get('/overview', async (req: Request, res: Response) => {
    const { principal, organization, user } = consoleUser(res);
    const services = servicesOf(req);
    const requested = Number(req.query.days);
    const days = PERIODS.includes(requested) ? requested : 30;
    const to = new Date();
    const showUsage = hasRole(principal.role, 'admin');
    const [report, usage, refusal, settings, onboarding] = await Promise.all([
      computeAnalytics(services.knex, principal.organizationId, {
        from: new Date(to.getTime() - days * DAY_MS),
        to,
      }),
      showUsage ? usageSummary(services.knex, principal.organizationId) : undefined,
      showUsage ? recentBudgetRefusal(services.knex, principal.organizationId) : undefined,
      showUsage ? getSettings(services.knex, principal.organizationId) : undefined,
      showUsage ? onboardingChecklist(services.knex, principal.organizationId, user.id) : undefined,
    ]);
    const ctx = contextOf(req, res);
    const guide = onboarding?.visible ? checklist(ctx, onboarding) : undefined;
    // A new organization sees where to start rather than zeros and empty charts.
    const figures = !guide || report.conversations > 0;
    sendPage(req, res, {
      title: 'Overview',
      main: html`<div class="page-header">
          <h1>Overview</h1>
          <form method="get" action="/console/overview" class="filters">
            <div class="field narrow">
              <label for="f-days">Period</label>
              <select id="f-days" name="days">
                ${PERIODS.map((d) => option(String(d), `Last ${d} days`, String(days)))}
              </select>
            </div>
            <button type="submit" class="button secondary">Show</button>
          </form>
        </div>
        ${settings ? budgetNotice(refusal, settings.anonymousMessagesPerHour) : ''} ${guide ?? ''}
        ${
          figures
            ? html`<div class="kpis">
                  ${kpi('Conversations', String(report.conversations))}
                  ${kpi('Messages', String(report.messages))}
                  ${kpi('AI resolution rate', percent(report.aiResolutionRate))}
                  ${kpi('Escalation rate', percent(report.escalationRate), `${report.escalations} ticket${report.escalations === 1 ? '' : 's'}`)}
                  ${kpi('CSAT', report.csat.average === null ? '—' : `${report.csat.average.toFixed(2)} / 5`, `${report.csat.responses} ratings`)}
                  ${kpi('Reply time', `${ms(report.responseTime.p50)} p50`, `${ms(report.responseTime.p95)} p95`)}
                  ${kpi('First agent response', `${duration(report.firstResponseTime.p50)} p50`, `${duration(report.firstResponseTime.p95)} p95`)}
                  ${kpi('SLA breaches', String(report.slaBreaches.firstResponse + report.slaBreaches.resolution))}
                </div>
                ${charts(report)}`
            : ''
        }
        ${
          usage
            ? html`<section class="card">
                <h2>Usage on the ${PLAN_CATALOG[usage.plan].name} plan</h2>
                <p class="muted">Period ${when(usage.periodStart)} – ${when(usage.periodEnd)}</p>
                ${usage.metrics.map(usageMeter)}
                ${
                  organization.plan !== 'enterprise'
                    ? html`<p><a class="button secondary" href="/console/billing">Upgrade</a></p>`
                    : ''
                }
              </section>`
            : ''
        }
        <script src="/assets/chart.umd.min.js" defer></script>`,
    });
  });

  router.post('/overview/checklist/dismiss', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    await dismissOnboarding(servicesOf(req).knex, consoleUser(res).principal.organizationId);
    res.redirect(303, '/console/overview');
  });

  return router;
}
