import { Router, type Request, type Response } from 'express';
import { servicesOf } from '../../api/services';
import type { EmailDelivery } from '../../db/models';
import { problems } from '../../lib/problem';
import { sendVerificationEmail } from '../../services/auth';
import { findDelivery, latestDelivery } from '../../services/emails';
import { html, type SafeHtml } from '../html';
import { sendPage, timeTag, wantsFragment } from '../layout';
import { consoleUser, idParam, requireRole } from './request';

/**
 * Where an email stands, as the console shows it: "sending" (the fragment polls itself until the
 * mail server answers), "sent" once the server accepted it, or plainly that it could not be sent,
 * with the server's last answer. The verification banner and the pending invitations use it.
 */

/** The element the verification banner (src/web/layout.ts) loads the status into. */
const VERIFICATION_ID = 'verification-email';

export function emailStatus(
  delivery: EmailDelivery | undefined,
  elementId: string,
  pollUrl: string,
): SafeHtml {
  if (!delivery) {
    return html`<span id="${elementId}" class="email-status">No email has been sent yet.</span>`;
  }
  if (delivery.status === 'sending') {
    return html`<span
      id="${elementId}"
      class="email-status"
      data-status="sending"
      hx-get="${pollUrl}"
      hx-trigger="every 2s"
      hx-swap="outerHTML"
      >Sending the email to
      ${delivery.recipient}…${
        delivery.lastError
          ? html` <span class="muted"
              >(the mail server has not taken it yet: ${delivery.lastError}; retrying)</span
            >`
          : ''
      }</span
    >`;
  }
  if (delivery.status === 'sent') {
    return html`<span id="${elementId}" class="email-status" data-status="sent"
      >Email sent to ${delivery.recipient} ${timeTag(delivery.sentAt)}.</span
    >`;
  }
  return html`<span id="${elementId}" class="email-status failed" data-status="failed" role="alert"
    >The email to ${delivery.recipient} could not be
    sent${delivery.lastError ? html`: ${delivery.lastError}` : ''}.</span
  >`;
}

const sendFragment = (req: Request, res: Response, fragment: SafeHtml): void => {
  if (!wantsFragment(req)) {
    sendPage(req, res, { title: 'Email', main: html`<div class="card">${fragment}</div>` });
    return;
  }
  res.vary('HX-Request').type('html').send(fragment.toString());
};

export function emailsRouter(): Router {
  const router = Router();

  /** The signed-in member's latest verification email in this organization. */
  router.get('/emails/verification', async (req: Request, res: Response) => {
    const { principal } = consoleUser(res);
    const delivery = await latestDelivery(servicesOf(req).knex, principal.organizationId, {
      kind: 'email_verification',
      userId: principal.userId!,
    });
    sendFragment(req, res, emailStatus(delivery, VERIFICATION_ID, '/console/emails/verification'));
  });

  /** An invitation's email (admins manage invitations). */
  router.get('/emails/:id', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const id = idParam(req);
    const delivery = await findDelivery(servicesOf(req).knex, consoleUser(res).principal.organizationId, id);
    if (!delivery || delivery.kind !== 'invitation') throw problems.notFound('The email');
    sendFragment(req, res, emailStatus(delivery, `email-${id}`, `/console/emails/${id}`));
  });

  router.post('/verify-email/resend', async (req: Request, res: Response) => {
    const { user, principal } = consoleUser(res);
    if (user.emailVerifiedAt) {
      res.redirect(303, '/console');
      return;
    }
    const delivery = await sendVerificationEmail(servicesOf(req), user, principal.organizationId);
    if (wantsFragment(req)) {
      sendFragment(req, res, emailStatus(delivery, VERIFICATION_ID, '/console/emails/verification'));
      return;
    }
    res.redirect(303, '/console');
  });

  return router;
}
