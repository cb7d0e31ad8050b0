import { Router, type Request, type Response } from 'express';
import { hasRole } from '../../domain/principal';
import { servicesOf } from '../../api/services';
import { getSettings, updateSettings, type SettingsUpdate, type SettingsView } from '../../services/settings';
import { recentBudgetRefusal } from '../../services/usage';
import {
  errorSummary,
  input,
  lines,
  numeric,
  problemFieldErrors,
  select,
  text,
  textarea,
  validateAgainst,
  type FieldErrors,
} from '../forms';
import { html, safeUrl, type SafeHtml } from '../html';
import { contextOf, csrfField, sendPage, type PageContext } from '../layout';
import { consoleActor, consoleUser, requireRole } from './request';

/**
 * Settings: the widget's look (with a live preview the server re-renders as the form changes, and
 * the embed snippet), the assistant's persona and instructions, the confidence threshold, escalation
 * rules and the origins allowed to embed the widget. Saved through the same service as the API.
 */

const DEFAULT_COLOR = '#4f46e5';
const COLOR = /^#[0-9a-f]{6}$/i;

interface Look {
  color: string;
  position: string;
  greeting: string;
  launcherText: string;
  avatarUrl: string;
}

/** The form's values as text, from the stored settings or from a submitted form. */
type Values = Look & {
  aiPersona: string;
  aiInstructions: string;
  confidenceThreshold: string;
  sentimentThreshold: string;
  keywords: string;
  maxAbstentions: string;
  allowedOrigins: string;
  anonymousMessagesPerHour: string;
};

function valuesOf(settings: SettingsView): Values {
  const { widget, escalationRules: rules } = settings;
  return {
    color: widget.color ?? DEFAULT_COLOR,
    position: widget.position ?? 'right',
    greeting: widget.greeting ?? '',
    launcherText: widget.launcherText ?? '',
    avatarUrl: widget.avatarUrl ?? '',
    aiPersona: settings.aiPersona,
    aiInstructions: settings.aiInstructions,
    confidenceThreshold: String(settings.confidenceThreshold),
    sentimentThreshold: rules.sentimentThreshold === undefined ? '' : String(rules.sentimentThreshold),
    keywords: (rules.keywords ?? []).join('\n'),
    maxAbstentions: rules.maxAbstentions === undefined ? '' : String(rules.maxAbstentions),
    allowedOrigins: settings.allowedOrigins.join('\n'),
    anonymousMessagesPerHour: String(settings.anonymousMessagesPerHour),
  };
}

function submitted(body: unknown): Values {
  return {
    color: text(body, 'widget.color'),
    position: text(body, 'widget.position'),
    greeting: text(body, 'widget.greeting'),
    launcherText: text(body, 'widget.launcherText'),
    avatarUrl: text(body, 'widget.avatarUrl'),
    aiPersona: text(body, 'aiPersona'),
    aiInstructions: text(body, 'aiInstructions'),
    confidenceThreshold: text(body, 'confidenceThreshold'),
    sentimentThreshold: text(body, 'escalationRules.sentimentThreshold'),
    keywords: text(body, 'escalationRules.keywords'),
    maxAbstentions: text(body, 'escalationRules.maxAbstentions'),
    allowedOrigins: text(body, 'allowedOrigins'),
    anonymousMessagesPerHour: text(body, 'anonymousMessagesPerHour'),
  };
}

/** Sets or removes optional keys, keeping any the form does not edit. */
function merged<T extends object>(current: T, changes: Record<string, unknown>): T {
  const next = { ...current } as Record<string, unknown>;
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === '') delete next[key];
    else next[key] = value;
  }
  return next as T;
}

function toUpdate(current: SettingsView, v: Values): SettingsUpdate {
  return {
    widget: merged(current.widget, {
      color: v.color,
      position: v.position,
      greeting: v.greeting,
      launcherText: v.launcherText,
      avatarUrl: v.avatarUrl,
    }),
    aiPersona: v.aiPersona,
    aiInstructions: v.aiInstructions,
    confidenceThreshold: numeric(v.confidenceThreshold) as number,
    escalationRules: merged(current.escalationRules, {
      sentimentThreshold: numeric(v.sentimentThreshold),
      keywords: lines(v.keywords),
      maxAbstentions: numeric(v.maxAbstentions),
    }),
    allowedOrigins: lines(v.allowedOrigins),
    anonymousMessagesPerHour: numeric(v.anonymousMessagesPerHour) as number,
  };
}

/** Shown to admins (settings, overview) for a day after the hourly budget refused visitors' messages. */
export function budgetNotice(
  refusal: { hour: string; refused: number } | undefined,
  budget: number,
): SafeHtml | '' {
  if (!refusal) return '';
  return html`<div class="alert alert-warning" role="status" id="budget-notice">
    Visitors reached this organization's budget of ${budget} messages an hour at ${refusal.hour}:00 UTC;
    ${refusal.refused} message${refusal.refused === 1 ? ' was' : 's were'} refused. If that was real traffic,
    raise <a href="/console/settings#f-anonymousMessagesPerHour">the budget</a>; if not, it spared your plan's
    messages.
  </div>`;
}

export function widgetPreview(look: Partial<Look>, organizationName: string): SafeHtml {
  const color = look.color && COLOR.test(look.color) ? look.color : DEFAULT_COLOR;
  const avatar = look.avatarUrl ? safeUrl(look.avatarUrl) : '#';
  return html`<div
    id="widget-preview"
    class="widget-preview${look.position === 'left' ? ' left' : ''}"
    style="--accent: ${color}"
    data-color="${color}"
    role="img"
    aria-label="Preview of the chat widget in ${color}, on the ${look.position === 'left' ? 'left' : 'right'}"
  >
    <div class="panel">
      <header>
        ${avatar !== '#' ? html`<img src="${avatar}" alt="" />` : ''}<span>${organizationName}</span>
      </header>
      <div class="body">
        ${look.greeting ? html`<div class="bubble assistant">${look.greeting}</div>` : ''}
        <div class="bubble visitor">How long do I have to ask for a refund?</div>
        <div class="bubble assistant">You can ask for a full refund within 30 days.</div>
      </div>
    </div>
    <div class="launcher">${look.launcherText || 'Chat with us'}</div>
  </div>`;
}

function settingsForm(
  ctx: PageContext,
  v: Values,
  errors: FieldErrors,
  canWrite: boolean,
  saved: boolean,
  notice: SafeHtml | '' = '',
): SafeHtml {
  const organization = ctx.console!.organization;
  const snippet = `<script src="${ctx.publicUrl}/widget.js" data-key="${organization.widgetKey}" async></script>`;
  return html`<div class="page-header"><h1>Settings</h1></div>
    ${saved ? html`<div class="alert alert-success" role="status">Settings saved.</div>` : ''} ${notice}
    ${canWrite ? '' : html`<div class="alert alert-info">Only admins and owners can change settings.</div>`}
    ${errorSummary(errors)}
    <form id="settings-form" method="post" action="/console/settings" novalidate>
      ${csrfField(ctx)}
      <fieldset class="card" ${canWrite ? '' : html`disabled`}>
        <legend>Widget</legend>
        <div class="grid-2">
          <div>
            <div class="field${errors['widget.color'] ? ' invalid' : ''}">
              <label for="f-widget-color">Accent colour</label>
              <input
                id="f-widget-color"
                name="widget.color"
                type="color"
                value="${COLOR.test(v.color) ? v.color : DEFAULT_COLOR}"
              />
              ${errors['widget.color'] ? html`<p class="error">Accent colour ${errors['widget.color']}.</p>` : ''}
            </div>
            ${select({
              name: 'widget.position',
              label: 'Position',
              value: v.position,
              errors,
              choices: [
                { value: 'right', label: 'Bottom right' },
                { value: 'left', label: 'Bottom left' },
              ],
            })}
            ${input({ name: 'widget.launcherText', label: 'Button text', value: v.launcherText, errors, hint: 'Defaults to “Chat with us”.' })}
            ${textarea({ name: 'widget.greeting', label: 'Greeting', value: v.greeting, errors, rows: 2, hint: 'The first message visitors see.' })}
            ${input({ name: 'widget.avatarUrl', label: 'Avatar image URL', type: 'url', value: v.avatarUrl, errors })}
          </div>
          <div>
            <p class="muted small" id="preview-label">Live preview</p>
            <div
              hx-get="/console/settings/preview"
              hx-trigger="input delay:150ms from:#settings-form, change from:#settings-form"
              hx-include="#settings-form [name^='widget.']"
              hx-target="#widget-preview"
              hx-swap="outerHTML"
            >
              ${widgetPreview(v, organization.name)}
            </div>
          </div>
        </div>
        <h3>Embed snippet</h3>
        <p class="muted">Paste this before <code>&lt;/body&gt;</code> on every page of your site.</p>
        <pre><code id="embed-snippet">${snippet}</code></pre>
        <button type="button" class="button secondary" data-copy="embed-snippet">Copy snippet</button>
        <a class="button secondary" href="/console/try">Try it in a test chat</a>
      </fieldset>
      <fieldset class="card" ${canWrite ? '' : html`disabled`}>
        <legend>Assistant</legend>
        ${textarea({ name: 'aiPersona', label: 'Persona', value: v.aiPersona, errors, rows: 2, hint: 'Who the assistant is: its name and voice.' })}
        ${textarea({ name: 'aiInstructions', label: 'Instructions', value: v.aiInstructions, errors, rows: 4, hint: 'Followed in every answer.' })}
        ${input({ name: 'confidenceThreshold', label: 'Confidence threshold', type: 'number', value: v.confidenceThreshold, errors, attributes: html`min="0" max="1" step="0.05"`, hint: 'The assistant answers only when the chance that it found the right page is at least this (0 to 1, measured on real question sets). Raise it and it answers less often but is wrong less; lower it and it answers more, and more often wrongly. Below it, the assistant says it does not know and offers a person.' })}
      </fieldset>
      <fieldset class="card" ${canWrite ? '' : html`disabled`}>
        <legend>Escalation rules</legend>
        ${input({ name: 'escalationRules.sentimentThreshold', label: 'Sentiment threshold', type: 'number', value: v.sentimentThreshold, errors, attributes: html`min="-1" max="1" step="0.05"`, hint: 'Hand over when a visitor’s sentiment falls below this (−1 very negative … 1 very positive).' })}
        ${textarea({ name: 'escalationRules.keywords', label: 'Keywords', value: v.keywords, errors, errorPrefix: 'escalationRules.keywords', rows: 3, hint: 'One per line; a visitor message containing one goes to a person.' })}
        ${input({ name: 'escalationRules.maxAbstentions', label: 'Unanswered questions before hand-over', type: 'number', value: v.maxAbstentions, errors, attributes: html`min="1" max="20" step="1"` })}
      </fieldset>
      <fieldset class="card" ${canWrite ? '' : html`disabled`}>
        <legend>Allowed origins</legend>
        ${textarea({ name: 'allowedOrigins', label: 'Sites that may embed the widget', value: v.allowedOrigins, errors, errorPrefix: 'allowedOrigins', rows: 3, hint: 'One origin per line, like https://www.example.com. Empty: any site.' })}
      </fieldset>
      <fieldset class="card" ${canWrite ? '' : html`disabled`}>
        <legend>Anonymous visitors</legend>
        ${input({ name: 'anonymousMessagesPerHour', label: 'Visitor messages per hour', type: 'number', value: v.anonymousMessagesPerHour, errors, attributes: html`min="1" max="100000" step="1"`, hint: 'For the whole organization; more are refused, so a flood of visitors cannot spend your plan’s messages.' })}
      </fieldset>
      ${canWrite ? html`<button type="submit" class="button">Save settings</button>` : ''}
    </form>`;
}

export function settingsRouter(): Router {
  const router = Router();

  router.get('/settings', async (req: Request, res: Response) => {
    const { principal } = consoleUser(res);
    const settings = await getSettings(servicesOf(req).knex, principal.organizationId);
    const refusal = await recentBudgetRefusal(servicesOf(req).knex, principal.organizationId);
    sendPage(req, res, {
      title: 'Settings',
      main: settingsForm(
        contextOf(req, res),
        valuesOf(settings),
        {},
        hasRole(principal.role, 'admin'),
        req.query.saved === '1',
        budgetNotice(refusal, settings.anonymousMessagesPerHour),
      ),
    });
  });

  router.get('/settings/preview', (req: Request, res: Response) => {
    const look = {
      color: typeof req.query['widget.color'] === 'string' ? req.query['widget.color'] : undefined,
      position: typeof req.query['widget.position'] === 'string' ? req.query['widget.position'] : undefined,
      greeting:
        typeof req.query['widget.greeting'] === 'string'
          ? req.query['widget.greeting'].slice(0, 500)
          : undefined,
      launcherText:
        typeof req.query['widget.launcherText'] === 'string'
          ? req.query['widget.launcherText'].slice(0, 60)
          : undefined,
      avatarUrl:
        typeof req.query['widget.avatarUrl'] === 'string' ? req.query['widget.avatarUrl'] : undefined,
    };
    res
      .vary('HX-Request')
      .type('html')
      .send(widgetPreview(look, consoleUser(res).organization.name).toString());
  });

  router.post('/settings', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const { principal } = consoleUser(res);
    const values = submitted(req.body);
    const update = toUpdate(await getSettings(servicesOf(req).knex, principal.organizationId), values);
    let errors = validateAgainst('SettingsUpdate', update);
    if (Object.keys(errors).length === 0) {
      try {
        await updateSettings(servicesOf(req).knex, consoleActor(req, res), update);
        res.redirect(303, '/console/settings?saved=1');
        return;
      } catch (error) {
        const fields = problemFieldErrors(error);
        if (!fields) throw error;
        errors = fields;
      }
    }
    sendPage(req, res, {
      title: 'Settings',
      status: 422,
      main: settingsForm(contextOf(req, res), values, errors, true, false),
    });
  });

  return router;
}
