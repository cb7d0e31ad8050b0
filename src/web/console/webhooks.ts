import { Router, type Request, type Response } from 'express';
import { servicesOf } from '../../api/services';
import type { WebhookDeliveryStatus, WebhookEventType } from '../../domain/webhooks';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookDelivery,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  replayWebhookDelivery,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookEndpointView,
  type WebhookEndpointWithSecret,
} from '../../services/webhooks';
import {
  errorSummary,
  input,
  problemFieldErrors,
  schemaEnum,
  text,
  validateAgainst,
  type FieldErrors,
} from '../forms';
import { html, type SafeHtml } from '../html';
import { contextOf, csrfField, sendPage, timeTag, type PageContext } from '../layout';
import { consoleActor, consoleUser, idParam, requireRole } from './request';

/**
 * Outbound webhooks: endpoints (URL, events, enabled), the signing secret shown once after creation
 * or rotation (in the POST's response, never in a URL), and each endpoint's delivery log with replay.
 */

interface EndpointForm {
  url: string;
  description: string;
  eventTypes: string[];
  enabled: boolean;
  errors: FieldErrors;
}

const EMPTY_FORM: EndpointForm = { url: '', description: '', eventTypes: [], enabled: true, errors: {} };

function formOf(req: Request): EndpointForm {
  const body = req.body as Record<string, unknown>;
  const sent = body.eventTypes;
  return {
    url: text(body, 'url'),
    description: text(body, 'description'),
    eventTypes: (Array.isArray(sent) ? sent : sent ? [sent] : []).filter(
      (s): s is string => typeof s === 'string',
    ),
    enabled: body.enabled === 'on',
    errors: {},
  };
}

const deliveryBadge = (status: WebhookDeliveryStatus): SafeHtml => {
  const style = { pending: 'pending', retrying: 'processing', succeeded: 'ready', failed: 'failed' }[status];
  return html`<span class="badge status-${style}">${status}</span>`;
};

function endpointFields(ctx: PageContext, form: EndpointForm, withEnabled: boolean): SafeHtml {
  return html`${csrfField(ctx)}
    ${input({ name: 'url', label: 'URL', value: form.url, errors: form.errors, required: true, type: 'url', hint: 'Where Parley POSTs events; it must answer 2xx within 10 seconds.' })}
    ${input({ name: 'description', label: 'Description', value: form.description, errors: form.errors })}
    <fieldset class="choices">
      <legend>Events</legend>
      ${form.errors.eventTypes ? html`<p class="error">Events ${form.errors.eventTypes}.</p>` : ''}
      <div class="scope-grid">
        ${schemaEnum('WebhookEventType').map(
          (type) =>
            html`<label
              ><input
                type="checkbox"
                name="eventTypes"
                value="${type}"
                ${form.eventTypes.includes(type) ? html`checked` : ''}
              />
              <code>${type}</code></label
            >`,
        )}
      </div>
    </fieldset>
    ${
      withEnabled
        ? html`<label class="checkbox"
            ><input type="checkbox" name="enabled" ${form.enabled ? html`checked` : ''} /> Enabled</label
          >`
        : ''
    }`;
}

const secretAlert = (endpoint: WebhookEndpointWithSecret, what: string): SafeHtml =>
  html`<div class="alert alert-success" role="status">
    <p><strong>${what}</strong> Copy the signing secret now: it is shown only once.</p>
    <div class="secret"><code id="webhook-secret">${endpoint.secret}</code></div>
    <p class="hint">
      Verify each request with it and a Standard Webhooks library (<code>standardwebhooks</code> on npm and
      PyPI).
    </p>
  </div>`;

async function listPage(
  req: Request,
  res: Response,
  state: { form: EndpointForm; created?: WebhookEndpointWithSecret } = { form: EMPTY_FORM },
): Promise<void> {
  const { principal } = consoleUser(res);
  const ctx = contextOf(req, res);
  const endpoints = await listWebhookEndpoints(servicesOf(req).knex, principal.organizationId, {
    limit: 100,
  });
  sendPage(req, res, {
    title: 'Webhooks',
    status: state.created ? 201 : Object.keys(state.form.errors).length ? 422 : 200,
    main: html`<div class="page-header"><h1>Webhooks</h1></div>
      ${state.created ? secretAlert(state.created, `Endpoint ${state.created.url} created.`) : ''}
      <section class="card">
        <h2>Endpoints</h2>
        ${
          endpoints.items.length === 0
            ? html`<p class="empty">No endpoints yet.</p>`
            : html`<div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">URL</th>
                      <th scope="col">Events</th>
                      <th scope="col">State</th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${endpoints.items.map(
                      (e) =>
                        html`<tr>
                          <td><a href="/console/webhooks/${e.id}">${e.url}</a></td>
                          <td>${e.eventTypes.map((t) => html`<code>${t}</code> `)}</td>
                          <td>${stateBadge(e)}</td>
                          <td>${timeTag(e.createdAt)}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
        }
      </section>
      <section class="card">
        <h2>Add an endpoint</h2>
        ${errorSummary(state.form.errors)}
        <form method="post" action="/console/webhooks" novalidate>
          ${endpointFields(ctx, state.created ? EMPTY_FORM : state.form, false)}
          <button type="submit" class="button">Add endpoint</button>
        </form>
      </section>`,
  });
}

const stateBadge = (endpoint: WebhookEndpointView): SafeHtml =>
  endpoint.enabled
    ? html`<span class="badge status-ready">enabled</span>`
    : html`<span class="badge status-failed">disabled</span>`;

async function endpointPage(
  req: Request,
  res: Response,
  state: { form?: EndpointForm; rotated?: WebhookEndpointWithSecret } = {},
): Promise<void> {
  const { principal } = consoleUser(res);
  const ctx = contextOf(req, res);
  const knex = servicesOf(req).knex;
  const id = idParam(req);
  const endpoint = await getWebhookEndpoint(knex, principal.organizationId, id);
  const deliveries = await listWebhookDeliveries(knex, principal.organizationId, id, { limit: 50 }, {});
  const form = state.form ?? { ...endpoint, errors: {} };
  sendPage(req, res, {
    title: `Webhook ${endpoint.url}`,
    status: Object.keys(form.errors).length ? 422 : 200,
    main: html`<div class="page-header">
        <h1>Webhook endpoint</h1>
        <p><a href="/console/webhooks">All endpoints</a></p>
      </div>
      ${state.rotated ? secretAlert(state.rotated, 'A new signing secret is in effect.') : ''}
      ${
        endpoint.disabledReason
          ? html`<div class="alert alert-error" role="alert">
              <p><strong>Disabled by Parley:</strong> ${endpoint.disabledReason}</p>
            </div>`
          : ''
      }
      <section class="card">
        <h2>${endpoint.url} ${stateBadge(endpoint)}</h2>
        ${errorSummary(form.errors)}
        <form method="post" action="/console/webhooks/${endpoint.id}" novalidate>
          ${endpointFields(ctx, form, true)}
          <button type="submit" class="button">Save</button>
        </form>
        <form
          method="post"
          action="/console/webhooks/${endpoint.id}/rotate-secret"
          class="inline"
          data-confirm="Rotate the secret? Requests are signed with the new one at once."
        >
          ${csrfField(ctx)}
          <button type="submit" class="button secondary">Rotate secret</button>
        </form>
        <form
          method="post"
          action="/console/webhooks/${endpoint.id}/delete"
          class="inline"
          data-confirm="Delete this endpoint and its delivery log?"
        >
          ${csrfField(ctx)}
          <button type="submit" class="button danger">Delete</button>
        </form>
      </section>
      <section class="card">
        <h2>Deliveries</h2>
        ${
          deliveries.items.length === 0
            ? html`<p class="empty">No deliveries yet.</p>`
            : html`<div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Event</th>
                      <th scope="col">Status</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Last answer</th>
                      <th scope="col">Created</th>
                      <th scope="col"><span class="visually-hidden">Actions</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    ${deliveries.items.map(
                      (d) =>
                        html`<tr>
                          <td>
                            <a href="/console/webhooks/${endpoint.id}/deliveries/${d.id}"
                              ><code>${d.eventType}</code></a
                            >
                            ${d.replayOf ? html`<span class="hint">(replay)</span>` : ''}
                          </td>
                          <td>${deliveryBadge(d.status)}</td>
                          <td>${d.attempts}</td>
                          <td>${d.lastResponseStatus ?? '–'}</td>
                          <td>${timeTag(d.createdAt)}</td>
                          <td class="actions">${replayButton(ctx, endpoint, d.id)}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
        }
      </section>`,
  });
}

const replayButton = (ctx: PageContext, endpoint: WebhookEndpointView, deliveryId: string): SafeHtml | '' =>
  endpoint.enabled
    ? html`<form
        method="post"
        action="/console/webhooks/${endpoint.id}/deliveries/${deliveryId}/replay"
        class="inline"
      >
        ${csrfField(ctx)}
        <button type="submit" class="button small">Replay</button>
      </form>`
    : '';

async function deliveryPage(req: Request, res: Response): Promise<void> {
  const { principal } = consoleUser(res);
  const ctx = contextOf(req, res);
  const knex = servicesOf(req).knex;
  const endpoint = await getWebhookEndpoint(knex, principal.organizationId, idParam(req));
  const delivery = await getWebhookDelivery(
    knex,
    principal.organizationId,
    endpoint.id,
    idParam(req, 'deliveryId'),
  );
  sendPage(req, res, {
    title: `Delivery of ${delivery.eventType}`,
    main: html`<div class="page-header">
        <h1><code>${delivery.eventType}</code> ${deliveryBadge(delivery.status)}</h1>
        <p><a href="/console/webhooks/${endpoint.id}">${endpoint.url}</a></p>
      </div>
      <section class="card">
        <p>
          Event <code>${delivery.eventId}</code> (the <code>webhook-id</code> header)
          ${delivery.nextAttemptAt ? html`· next attempt ${timeTag(delivery.nextAttemptAt)}` : ''}
        </p>
        ${replayButton(ctx, endpoint, delivery.id)}
        <h2>Payload</h2>
        <pre><code>${JSON.stringify(delivery.payload, null, 2)}</code></pre>
      </section>
      ${delivery.attemptLog.map(
        (a) =>
          html`<section class="card">
            <h2>Attempt ${a.attempt}: ${a.responseStatus ?? 'no answer'} · ${a.durationMs} ms</h2>
            <p>${timeTag(a.createdAt)} · POST <code>${a.url}</code></p>
            ${a.error ? html`<p class="error">${a.error}</p>` : ''}
            <h3>Request headers</h3>
            <pre><code>${Object.entries(a.requestHeaders)
              .map(([k, v]) => `${k}: ${v}`)
              .join('\n')}</code></pre>
            <h3>Response body (excerpt)</h3>
            <pre><code>${a.responseBody || '(empty)'}</code></pre>
          </section>`,
      )}`,
  });
}

/** The form as the API's schema sees it, with field errors under the form's names. */
function validated(schema: 'WebhookEndpointCreation' | 'WebhookEndpointUpdate', form: EndpointForm) {
  const body = {
    url: form.url,
    ...(form.description ? { description: form.description } : {}),
    eventTypes: form.eventTypes as WebhookEventType[],
    ...(schema === 'WebhookEndpointUpdate' ? { enabled: form.enabled } : {}),
  };
  const errors = validateAgainst(schema, body);
  return {
    body,
    errors: Object.fromEntries(
      Object.entries(errors).map(([k, v]) => [k.replace(/^eventTypes\.\d+$/, 'eventTypes'), v]),
    ),
  };
}

export function webhooksRouter(): Router {
  const router = Router();

  router.get('/webhooks', async (req, res) => {
    requireRole(res, 'admin');
    await listPage(req, res);
  });

  router.post('/webhooks', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const form = formOf(req);
    const { body, errors } = validated('WebhookEndpointCreation', form);
    form.errors = errors;
    if (Object.keys(errors).length === 0) {
      try {
        const created = await createWebhookEndpoint(servicesOf(req).knex, consoleActor(req, res), body);
        // Rendered in the POST's response: the secret must not land in a URL or the history.
        res.set('Cache-Control', 'no-store');
        await listPage(req, res, { form: EMPTY_FORM, created });
        return;
      } catch (error) {
        const fields = problemFieldErrors(error);
        if (!fields) throw error;
        form.errors = fields;
      }
    }
    await listPage(req, res, { form });
  });

  router.get('/webhooks/:id', async (req, res) => {
    requireRole(res, 'admin');
    await endpointPage(req, res);
  });

  router.post('/webhooks/:id', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const form = formOf(req);
    const { body, errors } = validated('WebhookEndpointUpdate', form);
    form.errors = errors;
    if (Object.keys(errors).length === 0) {
      try {
        await updateWebhookEndpoint(servicesOf(req).knex, consoleActor(req, res), idParam(req), body);
        res.redirect(303, `/console/webhooks/${idParam(req)}`);
        return;
      } catch (error) {
        const fields = problemFieldErrors(error);
        if (!fields) throw error;
        form.errors = fields;
      }
    }
    await endpointPage(req, res, { form });
  });

  router.post('/webhooks/:id/rotate-secret', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const rotated = await rotateWebhookSecret(servicesOf(req).knex, consoleActor(req, res), idParam(req));
    res.set('Cache-Control', 'no-store');
    await endpointPage(req, res, { rotated });
  });

  router.post('/webhooks/:id/delete', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    await deleteWebhookEndpoint(servicesOf(req).knex, consoleActor(req, res), idParam(req));
    res.redirect(303, '/console/webhooks');
  });

  router.get('/webhooks/:id/deliveries/:deliveryId', async (req, res) => {
    requireRole(res, 'admin');
    await deliveryPage(req, res);
  });

  router.post('/webhooks/:id/deliveries/:deliveryId/replay', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    await replayWebhookDelivery(
      servicesOf(req).knex,
      consoleActor(req, res),
      idParam(req),
      idParam(req, 'deliveryId'),
    );
    res.redirect(303, `/console/webhooks/${idParam(req)}`);
  });

  return router;
}
