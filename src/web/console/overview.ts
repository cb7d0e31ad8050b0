import { Router, type Request, type Response } from 'express';
import { hasRole } from '../../domain/principal';
import { servicesOf } from '../../api/services';
import { PLAN_CATALOG } from '../../domain/plans';
import { computeAnalytics, type AnalyticsReport } from '../../services/analytics';
import { getSettings } from '../../services/settings';
import { recentBudgetRefusal, usageSummary, type MetricUsage } from '../../services/usage';
import { html, jsonForScript, type SafeHtml } from '../html';
import { option } from '../forms';
import { sendPage, when } from '../layout';
import { consoleUser } from './request';
import { budgetNotice } from './settings';

/**
 * The overview: the analytics service's figures for a period (the same as GET /v1/analytics), daily
 * charts drawn by Chart.js from JSON the page carries, and usage against the plan's limits.
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
  const share = usage.limit > 0 ? usage.used / usage.limit : 1;
  return html`<div class="field">
    <label for="usage-${usage.metric}"><strong>${label}</strong></label>
    <meter
      id="usage-${usage.metric}"
      min="0"
      max="${usage.limit}"
      low="${usage.limit * 0.8}"
      high="${usage.limit * 0.95}"
      optimum="0"
      value="${usage.used}"
    >
      ${usage.used} of ${usage.limit}
    </meter>
    <p class="${share >= 1 ? 'error' : 'muted'}">
      ${usage.used} of ${usage.limit}${share >= 1 ? ' — the limit is reached' : ''}
    </p>
  </div>`;
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
    const { principal, organization } = consoleUser(res);
    const services = servicesOf(req);
    const requested = Number(req.query.days);
    const days = PERIODS.includes(requested) ? requested : 30;
    const to = new Date();
    const showUsage = hasRole(principal.role, 'admin');
    const [report, usage, refusal, settings] = await Promise.all([
      computeAnalytics(services.knex, principal.organizationId, {
        from: new Date(to.getTime() - days * DAY_MS),
        to,
      }),
      showUsage ? usageSummary(services.knex, principal.organizationId) : undefined,
      showUsage ? recentBudgetRefusal(services.knex, principal.organizationId) : undefined,
      showUsage ? getSettings(services.knex, principal.organizationId) : undefined,
    ]);
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
        ${settings ? budgetNotice(refusal, settings.anonymousMessagesPerHour) : ''}
        <div class="kpis">
          ${kpi('Conversations', String(report.conversations), `${report.engagedConversations} with a visitor message`)}
          ${kpi('Messages', String(report.messages))}
          ${kpi('AI resolution rate', percent(report.aiResolutionRate))}
          ${kpi('Escalation rate', percent(report.escalationRate), `${report.escalations} ticket${report.escalations === 1 ? '' : 's'}`)}
          ${kpi('CSAT', report.csat.average === null ? '—' : `${report.csat.average.toFixed(2)} / 5`, `${report.csat.responses} ratings`)}
          ${kpi('Reply time', `${ms(report.responseTime.p50)} p50`, `${ms(report.responseTime.p95)} p95`)}
          ${kpi('First agent response', `${duration(report.firstResponseTime.p50)} p50`, `${duration(report.firstResponseTime.p95)} p95`)}
          ${kpi('SLA breaches', String(report.slaBreaches.firstResponse + report.slaBreaches.resolution))}
        </div>
        ${charts(report)}
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

  return router;
}
