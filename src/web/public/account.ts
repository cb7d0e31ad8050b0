import { Router, type Request, type Response } from 'express';
import { HttpProblem } from '../../lib/problem';
import { servicesOf } from '../../api/services';
import { startCheckout } from '../../services/billing';
import {
  acceptInvitation,
  login,
  logout,
  requestPasswordReset,
  resetPassword,
  signUp,
  verifyEmail,
} from '../../services/auth';
import {
  errorSummary,
  raw,
  input,
  problemFieldErrors,
  text,
  validateAgainst,
  type FieldErrors,
} from '../forms';
import { html, type SafeHtml } from '../html';
import { contextOf, csrfField, sendPage, type PageContext } from '../layout';
import { clearSessionCookies, parseCookies, REFRESH_COOKIE, safeNext, setSessionCookies } from '../session';
import { landingPage } from './landing';
import { PAID_PLANS, PLAN_CATALOG, type PaidPlan } from '../../domain/plans';

/**
 * The public pages: the landing page and the account flows (sign-up, sign-in, password reset, email
 * verification, invitations). Each form posts to its own URL; invalid input comes back with 422 and
 * the errors next to the fields; success redirects (303), so a reload never posts twice.
 */

const NOTICES: Record<string, string> = {
  'password-reset': 'Your password was changed. Sign in with the new one.',
  'signed-out': 'You are signed out.',
};

function authCard(title: string, body: SafeHtml): SafeHtml {
  return html`<section class="auth container">
    <div class="card auth-card">
      <h1>${title}</h1>
      ${body}
    </div>
  </section>`;
}

type Values = Record<string, string>;

/** The paid plan a sign-up was started for (`/signup?plan=pro` from the pricing table), if any. */
function paidPlanOf(value: unknown): PaidPlan | undefined {
  return PAID_PLANS.find((plan) => plan === value);
}

function signUpForm(ctx: PageContext, values: Values, errors: FieldErrors, plan?: PaidPlan): SafeHtml {
  const chosen = plan ? PLAN_CATALOG[plan] : undefined;
  return authCard(
    'Create your account',
    html`${
        chosen
          ? html`<p class="muted">
              ${chosen.name} plan, $${(chosen.priceCents / 100).toFixed(0)} a month: you pay on the next step,
              on Stripe's secure checkout page.
            </p>`
          : html`<p class="muted">Free for 100 answered messages a month. No card needed.</p>`
      }
      ${errorSummary(errors)}
      <form method="post" action="/signup" novalidate>
        ${csrfField(ctx)} ${plan ? html`<input type="hidden" name="plan" value="${plan}" />` : ''}
        ${input({ name: 'organizationName', label: 'Company name', value: values.organizationName, errors, required: true, autocomplete: 'organization' })}
        ${input({ name: 'name', label: 'Your name', value: values.name, errors, required: true, autocomplete: 'name' })}
        ${input({ name: 'email', label: 'Work email', type: 'email', value: values.email, errors, required: true, autocomplete: 'email' })}
        ${input({ name: 'password', label: 'Password', type: 'password', errors, required: true, autocomplete: 'new-password', hint: 'At least 8 characters.' })}
        <button type="submit" class="button full">Create account</button>
      </form>
      <p class="muted">Already have an account? <a href="/login">Sign in</a></p>`,
  );
}

function loginForm(
  ctx: PageContext,
  values: Values,
  errors: FieldErrors,
  general?: string,
  notice?: string,
): SafeHtml {
  return authCard(
    'Sign in to Parley',
    html`${notice ? html`<div class="alert alert-success" role="status">${notice}</div>` : ''}
      ${errorSummary(errors, general)}
      <form method="post" action="/login" novalidate>
        ${csrfField(ctx)}
        ${values.next ? html`<input type="hidden" name="next" value="${values.next}" />` : ''}
        ${input({ name: 'email', label: 'Email', type: 'email', value: values.email, errors, required: true, autocomplete: 'username' })}
        ${input({ name: 'password', label: 'Password', type: 'password', errors, required: true, autocomplete: 'current-password' })}
        <button type="submit" class="button full">Sign in</button>
      </form>
      <p class="muted">
        <a href="/forgot-password">Forgot your password?</a> · <a href="/signup">Create an account</a>
      </p>`,
  );
}

const tokenOf = (req: Request): string => (typeof req.query.token === 'string' ? req.query.token : '');

function linkProblem(error: unknown): string | undefined {
  return error instanceof HttpProblem && [401, 402, 409].includes(error.status) ? error.message : undefined;
}

/**
 * Where a sign-up for a paid plan goes next: that plan's Stripe Checkout. The account exists already,
 * so when Checkout cannot open (billing not configured, Stripe or Temporal unavailable) the owner lands
 * on the console's billing page, which says so and offers the plan again.
 */
async function checkoutAfterSignUp(req: Request, organizationId: string, plan: PaidPlan): Promise<string> {
  try {
    return (await startCheckout(servicesOf(req), organizationId, plan)).url;
  } catch (error) {
    // A problem (503, 409) is expected when billing is down; anything else is a bug, logged as one.
    const level = error instanceof HttpProblem ? 'warn' : 'error';
    servicesOf(req).logger[level](
      { err: error, organizationId, plan },
      'checkout after sign-up did not open',
    );
    return '/console/billing?checkout=unavailable';
  }
}

async function limitAuth(req: Request): Promise<void> {
  await servicesOf(req).rateLimits.consumeAuth(req.ip ?? 'unknown');
}

export function accountRouter(): Router {
  const router = Router();

  router.get('/', (req, res) => {
    sendPage(
      req,
      res,
      { title: 'AI customer support that cites its sources', main: landingPage() },
      'public',
    );
  });

  router.get('/signup', (req, res) => {
    const plan = paidPlanOf(req.query.plan);
    sendPage(req, res, { title: 'Sign up', main: signUpForm(contextOf(req, res), {}, {}, plan) }, 'public');
  });

  router.post('/signup', async (req: Request, res: Response) => {
    await limitAuth(req);
    const values = {
      organizationName: text(req.body, 'organizationName'),
      name: text(req.body, 'name'),
      email: text(req.body, 'email'),
    };
    const body = {
      ...values,
      password: raw(req.body, 'password'),
    };
    const plan = paidPlanOf(text(req.body, 'plan'));
    const services = servicesOf(req);
    let errors = validateAgainst('SignUpRequest', body);
    if (Object.keys(errors).length === 0) {
      try {
        const session = await signUp(services, body, req.ip ?? null);
        setSessionCookies(res, services, session);
        res.redirect(303, plan ? await checkoutAfterSignUp(req, session.organization.id, plan) : '/console');
        return;
      } catch (error) {
        if (error instanceof HttpProblem && error.status === 409) {
          errors = { email: 'already has an account; sign in instead' };
        } else {
          const fields = problemFieldErrors(error);
          if (!fields) throw error;
          errors = fields;
        }
      }
    }
    sendPage(
      req,
      res,
      { title: 'Sign up', status: 422, main: signUpForm(contextOf(req, res), values, errors, plan) },
      'public',
    );
  });

  router.get('/login', (req, res) => {
    const notice = typeof req.query.notice === 'string' ? NOTICES[req.query.notice] : undefined;
    const next = safeNext(req.query.next) ?? '';
    sendPage(
      req,
      res,
      { title: 'Sign in', main: loginForm(contextOf(req, res), { next }, {}, undefined, notice) },
      'public',
    );
  });

  router.post('/login', async (req: Request, res: Response) => {
    await limitAuth(req);
    const values = { email: text(req.body, 'email'), next: safeNext(text(req.body, 'next')) ?? '' };
    const password = raw(req.body, 'password');
    const services = servicesOf(req);
    const errors = validateAgainst('LoginRequest', { email: values.email, password });
    if (!password) errors.password = 'is required';
    let general: string | undefined;
    if (Object.keys(errors).length === 0) {
      try {
        const session = await login(services, { email: values.email, password }, req.ip ?? null);
        setSessionCookies(res, services, session);
        res.redirect(303, values.next || '/console');
        return;
      } catch (error) {
        if (!(error instanceof HttpProblem) || error.status !== 401) throw error;
        general = error.message;
      }
    }
    sendPage(
      req,
      res,
      { title: 'Sign in', status: 422, main: loginForm(contextOf(req, res), values, errors, general) },
      'public',
    );
  });

  router.post('/logout', async (req: Request, res: Response) => {
    const refresh = parseCookies(req)[REFRESH_COOKIE];
    if (refresh) await logout(servicesOf(req).knex, refresh);
    clearSessionCookies(res, servicesOf(req));
    res.redirect(303, '/login?notice=signed-out');
  });

  const forgotForm = (ctx: PageContext, email: string, errors: FieldErrors): SafeHtml =>
    authCard(
      'Reset your password',
      html`<p class="muted">We will email you a link to choose a new password.</p>
        ${errorSummary(errors)}
        <form method="post" action="/forgot-password" novalidate>
          ${csrfField(ctx)}
          ${input({ name: 'email', label: 'Email', type: 'email', value: email, errors, required: true, autocomplete: 'email' })}
          <button type="submit" class="button full">Send the link</button>
        </form>
        <p class="muted"><a href="/login">Back to sign in</a></p>`,
    );

  router.get('/forgot-password', (req, res) => {
    sendPage(req, res, { title: 'Forgot password', main: forgotForm(contextOf(req, res), '', {}) }, 'public');
  });

  router.post('/forgot-password', async (req: Request, res: Response) => {
    await limitAuth(req);
    const email = text(req.body, 'email');
    const errors = validateAgainst('PasswordResetRequest', { email });
    if (Object.keys(errors).length > 0) {
      sendPage(
        req,
        res,
        { title: 'Forgot password', status: 422, main: forgotForm(contextOf(req, res), email, errors) },
        'public',
      );
      return;
    }
    await requestPasswordReset(servicesOf(req), email);
    sendPage(
      req,
      res,
      {
        title: 'Check your email',
        main: authCard(
          'Check your email',
          html`<p role="status">If ${email} has an account, a link to reset its password is on its way.</p>
            <p><a href="/login">Back to sign in</a></p>`,
        ),
      },
      'public',
    );
  });

  const resetForm = (ctx: PageContext, token: string, errors: FieldErrors, general?: string): SafeHtml =>
    authCard(
      'Choose a new password',
      html`${errorSummary(errors, general)}
        <form method="post" action="/reset-password" novalidate>
          ${csrfField(ctx)}
          <input type="hidden" name="token" value="${token}" />
          ${input({ name: 'password', label: 'New password', type: 'password', errors, required: true, autocomplete: 'new-password', hint: 'At least 8 characters.' })}
          ${input({ name: 'confirmPassword', label: 'Repeat the new password', type: 'password', errors, required: true, autocomplete: 'new-password' })}
          <button type="submit" class="button full">Change password</button>
        </form>
        ${general ? html`<p><a href="/forgot-password">Ask for a new link</a></p>` : ''}`,
    );

  router.get('/reset-password', (req, res) => {
    sendPage(
      req,
      res,
      { title: 'Reset password', main: resetForm(contextOf(req, res), tokenOf(req), {}) },
      'public',
    );
  });

  router.post('/reset-password', async (req: Request, res: Response) => {
    await limitAuth(req);
    const token = text(req.body, 'token');
    const password = raw(req.body, 'password');
    const errors = validateAgainst('PasswordResetConfirmation', { token, password });
    if (!errors.password && password !== raw(req.body, 'confirmPassword'))
      errors.confirmPassword = 'does not match the new password';
    let general = errors.token ? 'This link is incomplete; open the link from the email again.' : undefined;
    if (Object.keys(errors).length === 0) {
      try {
        await resetPassword(servicesOf(req), { token, password }, req.ip ?? null);
        res.redirect(303, '/login?notice=password-reset');
        return;
      } catch (error) {
        general = linkProblem(error);
        if (!general) throw error;
      }
    }
    sendPage(
      req,
      res,
      { title: 'Reset password', status: 422, main: resetForm(contextOf(req, res), token, errors, general) },
      'public',
    );
  });

  const verifyForm = (ctx: PageContext, token: string, general?: string): SafeHtml =>
    authCard(
      'Confirm your email address',
      html`${errorSummary({}, general)}
        <form method="post" action="/verify-email">
          ${csrfField(ctx)}
          <input type="hidden" name="token" value="${token}" />
          <button type="submit" class="button full">Confirm my email address</button>
        </form>`,
    );

  // The link only shows a button: mail scanners that open links must not spend the token.
  router.get('/verify-email', (req, res) => {
    sendPage(
      req,
      res,
      { title: 'Confirm your email', main: verifyForm(contextOf(req, res), tokenOf(req)) },
      'public',
    );
  });

  router.post('/verify-email', async (req: Request, res: Response) => {
    await limitAuth(req);
    const token = text(req.body, 'token');
    const errors = validateAgainst('EmailVerification', { token });
    let general = errors.token ? 'This link is incomplete; open the link from the email again.' : undefined;
    if (!general) {
      try {
        await verifyEmail(servicesOf(req), token);
        sendPage(
          req,
          res,
          {
            title: 'Email confirmed',
            main: authCard(
              'Email confirmed',
              html`<p role="status">Thank you — your email address is confirmed.</p>
                <p><a class="button" href="/console">Open the console</a></p>`,
            ),
          },
          'public',
        );
        return;
      } catch (error) {
        general = linkProblem(error);
        if (!general) throw error;
      }
    }
    sendPage(
      req,
      res,
      { title: 'Confirm your email', status: 422, main: verifyForm(contextOf(req, res), token, general) },
      'public',
    );
  });

  const acceptForm = (
    ctx: PageContext,
    token: string,
    values: Values,
    errors: FieldErrors,
    general?: string,
  ): SafeHtml =>
    authCard(
      'Join your team on Parley',
      html`${errorSummary(errors, general)}
        <form method="post" action="/accept-invitation" novalidate>
          ${csrfField(ctx)}
          <input type="hidden" name="token" value="${token}" />
          ${input({ name: 'name', label: 'Your name', value: values.name, errors, autocomplete: 'name', hint: 'Only needed if you do not have a Parley account yet.' })}
          ${input({ name: 'password', label: 'Password', type: 'password', errors, required: true, autocomplete: 'new-password', hint: 'Your existing Parley password, or a new one of at least 8 characters.' })}
          <button type="submit" class="button full">Accept the invitation</button>
        </form>`,
    );

  router.get('/accept-invitation', (req, res) => {
    sendPage(
      req,
      res,
      { title: 'Accept invitation', main: acceptForm(contextOf(req, res), tokenOf(req), {}, {}) },
      'public',
    );
  });

  router.post('/accept-invitation', async (req: Request, res: Response) => {
    await limitAuth(req);
    const token = text(req.body, 'token');
    const name = text(req.body, 'name');
    const password = raw(req.body, 'password');
    const body = { token, password, ...(name ? { name } : {}) };
    let errors = validateAgainst('InvitationAcceptance', body);
    let general = errors.token ? 'This link is incomplete; open the link from the email again.' : undefined;
    if (Object.keys(errors).length === 0) {
      const services = servicesOf(req);
      try {
        const session = await acceptInvitation(services, body, req.ip ?? null);
        setSessionCookies(res, services, session);
        res.redirect(303, '/console');
        return;
      } catch (error) {
        const fields = problemFieldErrors(error);
        if (fields) errors = fields;
        else {
          general = linkProblem(error);
          if (!general) throw error;
        }
      }
    }
    sendPage(
      req,
      res,
      {
        title: 'Accept invitation',
        status: 422,
        main: acceptForm(contextOf(req, res), token, { name }, errors, general),
      },
      'public',
    );
  });

  return router;
}
