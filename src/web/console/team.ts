import { Router, type Request, type Response } from 'express';
import type { EmailDelivery } from '../../db/models';
import { hasRole } from '../../domain/principal';
import { HttpProblem } from '../../lib/problem';
import { servicesOf } from '../../api/services';
import { PLAN_CATALOG } from '../../domain/plans';
import { invitationDeliveries } from '../../services/emails';
import {
  createInvitation,
  listInvitations,
  resendInvitation,
  revokeInvitation,
} from '../../services/invitations';
import { listMembers, removeMember, updateMember } from '../../services/members';
import {
  option,
  errorSummary,
  input,
  problemFieldErrors,
  select,
  text,
  validateAgainst,
  type FieldErrors,
} from '../forms';
import { html, type SafeHtml } from '../html';
import { contextOf, csrfField, sendPage, timeTag, type PageContext } from '../layout';
import { emailStatus } from './emails';
import { consoleActor, consoleUser, idParam, requireRole } from './request';

/** The team: members and their roles, pending invitations, and inviting someone by email. */

const ROLE_CHOICES = (canGrantOwner: boolean) => [
  { value: 'agent', label: 'Agent — answers conversations and tickets' },
  { value: 'admin', label: 'Admin — also documents, settings, team, API keys' },
  ...(canGrantOwner ? [{ value: 'owner', label: 'Owner — also billing and owners' }] : []),
];

interface InviteState {
  values: { email: string; role: string };
  errors: FieldErrors;
  general?: string;
  sent?: string;
}

async function teamPage(
  req: Request,
  res: Response,
  invite: InviteState = { values: { email: '', role: 'agent' }, errors: {} },
): Promise<void> {
  const { principal, organization } = consoleUser(res);
  const ctx = contextOf(req, res);
  const canManage = hasRole(principal.role, 'admin');
  const isOwner = principal.role === 'owner';
  const [members, invitations] = await Promise.all([
    listMembers(servicesOf(req).knex, principal.organizationId, { limit: 100 }, {}),
    canManage
      ? listInvitations(servicesOf(req).knex, principal.organizationId, { limit: 100 }, { status: 'pending' })
      : undefined,
  ]);
  const deliveries = invitations?.items.length
    ? await invitationDeliveries(
        servicesOf(req).knex,
        principal.organizationId,
        invitations.items.map((i) => i.id),
      )
    : new Map<string, never>();
  const seats = PLAN_CATALOG[organization.plan].seats;
  sendPage(req, res, {
    title: 'Team',
    status: Object.keys(invite.errors).length || invite.general ? 422 : 200,
    main: html`<div class="page-header">
        <h1>Team</h1>
        <p class="muted">
          ${members.items.length}
          member${members.items.length === 1 ? '' : 's'}${seats === null ? '' : ` of ${seats} on the ${PLAN_CATALOG[organization.plan].name} plan`}
        </p>
      </div>
      ${canManage ? inviteForm(ctx, invite, isOwner) : ''}
      <section class="card">
        <h2>Members</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
                ${canManage ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}
              </tr>
            </thead>
            <tbody>
              ${members.items.map(
                (m) =>
                  html`<tr>
                    <td>
                      ${m.name}${m.userId === principal.userId ? html` <span class="muted">(you)</span>` : ''}
                    </td>
                    <td>${m.email}</td>
                    <td>
                      ${
                        canManage && (isOwner || m.role !== 'owner')
                          ? html`<form
                              method="post"
                              action="/console/team/members/${m.id}/role"
                              class="inline role-form"
                            >
                              ${csrfField(ctx)}
                              <label class="visually-hidden" for="role-${m.id}">Role of ${m.name}</label>
                              <select id="role-${m.id}" name="role">
                                ${ROLE_CHOICES(isOwner).map((c) => option(c.value, c.value, m.role))}
                              </select>
                              <button type="submit" class="button small secondary">Change</button>
                            </form>`
                          : m.role
                      }
                    </td>
                    <td>${timeTag(m.createdAt)}</td>
                    ${
                      canManage
                        ? html`<td class="actions">
                            ${
                              m.userId !== principal.userId && (isOwner || m.role !== 'owner')
                                ? html`<form
                                    method="post"
                                    action="/console/team/members/${m.id}/remove"
                                    class="inline"
                                    data-confirm="Remove ${m.name} from the team?"
                                  >
                                    ${csrfField(ctx)}
                                    <button
                                      type="submit"
                                      class="button small danger"
                                      aria-label="Remove ${m.name}"
                                    >
                                      Remove
                                    </button>
                                  </form>`
                                : ''
                            }
                          </td>`
                        : ''
                    }
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
      </section>
      ${
        invitations?.items.length
          ? html`<section class="card">
              <h2>Pending invitations</h2>
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Email</th>
                      <th scope="col">Role</th>
                      <th scope="col">Expires</th>
                      <th scope="col">Email</th>
                      <th scope="col"><span class="visually-hidden">Actions</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    ${invitations.items.map(
                      (i) =>
                        html`<tr>
                          <td>${i.email}</td>
                          <td>${i.role}</td>
                          <td>${timeTag(i.expiresAt)}</td>
                          <td>${invitationEmailStatus(deliveries.get(i.id))}</td>
                          <td class="actions">
                            <form
                              method="post"
                              action="/console/team/invitations/${i.id}/resend"
                              class="inline"
                            >
                              ${csrfField(ctx)}
                              <button
                                type="submit"
                                class="button small secondary"
                                aria-label="Send the invitation to ${i.email} again"
                              >
                                Send again
                              </button>
                            </form>
                            <form
                              method="post"
                              action="/console/team/invitations/${i.id}/revoke"
                              class="inline"
                            >
                              ${csrfField(ctx)}
                              <button
                                type="submit"
                                class="button small danger"
                                aria-label="Withdraw the invitation to ${i.email}"
                              >
                                Withdraw
                              </button>
                            </form>
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>
            </section>`
          : ''
      }`,
  });
}

const invitationEmailStatus = (delivery: EmailDelivery | undefined): SafeHtml =>
  delivery
    ? emailStatus(delivery, `email-${delivery.id}`, `/console/emails/${delivery.id}`)
    : emailStatus(undefined, 'email-none', '');

function inviteForm(ctx: PageContext, invite: InviteState, isOwner: boolean): SafeHtml {
  return html`<section class="card">
    <h2>Invite someone</h2>
    ${invite.sent ? html`<div class="alert alert-success" role="status">${invite.sent} is invited; the email's progress is under Pending invitations.</div>` : ''}
    ${errorSummary(invite.errors, invite.general)}
    <form method="post" action="/console/team/invitations" class="filters" novalidate>
      ${csrfField(ctx)}
      ${input({ name: 'email', label: 'Email', type: 'email', value: invite.values.email, errors: invite.errors, required: true })}
      ${select({ name: 'role', label: 'Role', value: invite.values.role, errors: invite.errors, choices: ROLE_CHOICES(isOwner) })}
      <button type="submit" class="button">Send invitation</button>
    </form>
  </section>`;
}

export function teamRouter(): Router {
  const router = Router();

  router.get('/team', async (req, res) => {
    const sent = typeof req.query.invited === 'string' ? req.query.invited.slice(0, 254) : undefined;
    await teamPage(req, res, { values: { email: '', role: 'agent' }, errors: {}, sent });
  });

  router.post('/team/invitations', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const values = { email: text(req.body, 'email'), role: text(req.body, 'role') };
    let errors = validateAgainst('InvitationCreation', values);
    let general: string | undefined;
    if (Object.keys(errors).length === 0) {
      try {
        const { principal } = consoleUser(res);
        await createInvitation(
          servicesOf(req),
          principal,
          consoleActor(req, res),
          values as { email: string; role: 'agent' },
        );
        res.redirect(303, `/console/team?invited=${encodeURIComponent(values.email)}`);
        return;
      } catch (error) {
        const fields = problemFieldErrors(error);
        if (fields) errors = fields;
        else if (error instanceof HttpProblem && [402, 403, 409].includes(error.status))
          general = error.message;
        else throw error;
      }
    }
    await teamPage(req, res, { values, errors, general });
  });

  router.post('/team/members/:id/role', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const role = text(req.body, 'role');
    const errors = validateAgainst('MemberUpdate', { role });
    if (Object.keys(errors).length) throw new HttpProblem('validation', 'Choose one of the roles.');
    await updateMember(
      servicesOf(req).knex,
      consoleUser(res).principal,
      consoleActor(req, res),
      idParam(req),
      { role: role as 'agent' },
    );
    res.redirect(303, '/console/team');
  });

  router.post('/team/members/:id/remove', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    await removeMember(
      servicesOf(req).knex,
      consoleUser(res).principal,
      consoleActor(req, res),
      idParam(req),
    );
    res.redirect(303, '/console/team');
  });

  router.post('/team/invitations/:id/resend', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    await resendInvitation(servicesOf(req), consoleActor(req, res), idParam(req));
    res.redirect(303, '/console/team');
  });

  router.post('/team/invitations/:id/revoke', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    await revokeInvitation(servicesOf(req).knex, consoleActor(req, res), idParam(req));
    res.redirect(303, '/console/team');
  });

  return router;
}
