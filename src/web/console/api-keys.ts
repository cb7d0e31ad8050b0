import { Router, type Request, type Response } from 'express';
import { servicesOf } from '../../api/services';
import type { ApiKeyScope } from '../../domain/scopes';
import { createApiKey, listApiKeys, type CreatedApiKey } from '../../services/api-keys';
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

/** API keys for integrators: create (the key is shown once, in the response to the POST), list, revoke. */

interface CreateState {
  name: string;
  scopes: string[];
  errors: FieldErrors;
  created?: CreatedApiKey;
}

function createForm(ctx: PageContext, state: CreateState): SafeHtml {
  return html`<section class="card">
    <h2>Create a key</h2>
    ${errorSummary(state.errors)}
    <form method="post" action="/console/api-keys" novalidate>
      ${csrfField(ctx)}
      ${input({ name: 'name', label: 'Name', value: state.name, errors: state.errors, required: true, hint: 'What the key is for, e.g. “Help-centre sync”.' })}
      <fieldset class="choices">
        <legend>Scopes</legend>
        <p class="hint">Leave all unticked for an unrestricted key (everything an admin may do).</p>
        ${state.errors.scopes ? html`<p class="error">Scopes ${state.errors.scopes}.</p>` : ''}
        <div class="scope-grid">
          ${schemaEnum('ApiKeyScope').map(
            (scope) =>
              html`<label
                ><input
                  type="checkbox"
                  name="scopes"
                  value="${scope}"
                  ${state.scopes.includes(scope) ? html`checked` : ''}
                />
                <code>${scope}</code></label
              >`,
          )}
        </div>
      </fieldset>
      <button type="submit" class="button">Create key</button>
    </form>
  </section>`;
}

async function keysPage(
  req: Request,
  res: Response,
  state: CreateState = { name: '', scopes: [], errors: {} },
): Promise<void> {
  const { principal } = consoleUser(res);
  const ctx = contextOf(req, res);
  const keys = await listApiKeys(servicesOf(req).knex, principal.organizationId, { limit: 100 }, {});
  sendPage(req, res, {
    title: 'API keys',
    status: state.created ? 201 : Object.keys(state.errors).length ? 422 : 200,
    main: html`<div class="page-header"><h1>API keys</h1></div>
      ${
        state.created
          ? html`<div class="alert alert-success" role="status">
              <p><strong>Key “${state.created.name}” created.</strong> Copy it now: it is shown only once.</p>
              <div class="secret">
                <code id="new-api-key">${state.created.key}</code>
                <button type="button" class="button secondary" data-copy="new-api-key">Copy key</button>
              </div>
            </div>`
          : ''
      }
      ${createForm(ctx, state.created ? { name: '', scopes: [], errors: {} } : state)}
      <section class="card">
        <h2>Keys</h2>
        ${
          keys.items.length === 0
            ? html`<p class="empty">No keys yet.</p>`
            : html`<div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Key</th>
                      <th scope="col">Scopes</th>
                      <th scope="col">Last used</th>
                      <th scope="col">Created</th>
                      <th scope="col"><span class="visually-hidden">Actions</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    ${keys.items.map(
                      (k) =>
                        html`<tr>
                          <td>${k.name}</td>
                          <td><code>${k.prefix}…</code></td>
                          <td>
                            ${k.scopes.length ? k.scopes.map((s) => html`<code>${s}</code> `) : 'unrestricted'}
                          </td>
                          <td>${timeTag(k.lastUsedAt)}</td>
                          <td>${timeTag(k.createdAt)}</td>
                          <td class="actions">
                            ${
                              k.revokedAt
                                ? html`<span class="badge status-failed">revoked</span>`
                                : html`<form
                                    method="post"
                                    action="/console/api-keys/${k.id}/revoke"
                                    class="inline"
                                    data-confirm="Revoke “${k.name}”? It stops working at once."
                                  >
                                    ${csrfField(ctx)}
                                    <button
                                      type="submit"
                                      class="button small danger"
                                      aria-label="Revoke ${k.name}"
                                    >
                                      Revoke
                                    </button>
                                  </form>`
                            }
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
        }
      </section>`,
  });
}

export function apiKeysRouter(): Router {
  const router = Router();

  router.get('/api-keys', async (req, res) => {
    requireRole(res, 'admin');
    await keysPage(req, res);
  });

  router.post('/api-keys', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const name = text(req.body, 'name');
    const sent = (req.body as Record<string, unknown>).scopes;
    const scopes = (Array.isArray(sent) ? sent : sent ? [sent] : []).filter(
      (s): s is string => typeof s === 'string',
    );
    const body = { name, ...(scopes.length ? { scopes } : {}) };
    let errors = validateAgainst('ApiKeyCreation', body);
    if (Object.keys(errors).length === 0) {
      try {
        const created = await createApiKey(
          servicesOf(req).knex,
          consoleUser(res).principal,
          consoleActor(req, res),
          {
            name,
            scopes: scopes.length ? (scopes as ApiKeyScope[]) : undefined,
          },
        );
        // Rendered in the POST's response, never redirected to: the key must not land in a URL or history.
        res.set('Cache-Control', 'no-store');
        await keysPage(req, res, { name: '', scopes: [], errors: {}, created });
        return;
      } catch (error) {
        const fields = problemFieldErrors(error);
        if (!fields) throw error;
        errors = fields;
      }
    }
    await keysPage(req, res, {
      name,
      scopes,
      errors: Object.fromEntries(
        Object.entries(errors).map(([k, v]) => [k.replace(/^scopes\.\d+$/, 'scopes'), v]),
      ),
    });
  });

  router.post('/api-keys/:id/revoke', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    await servicesOf(req).apiKeys.revoke(consoleUser(res).principal, consoleActor(req, res), idParam(req));
    res.redirect(303, '/console/api-keys');
  });

  return router;
}
