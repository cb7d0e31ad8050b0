import { SignJWT } from 'jose';
import { RefreshToken, User } from '../../src/db/models';
import { useTestApi } from '../helpers/api';
import { anyString, matching, PASSWORD, signUp, uniqueEmail } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { linkToken } from '../helpers/mailbox';

const db = useTestDatabase();
const api = useTestApi(db);
const strictApi = useTestApi(db, {
  configure: (c) => ({ ...c, rateLimits: { ...c.rateLimits, authPerMinute: 3 } }),
});

describe('sign-up', () => {
  it('creates the organization and its owner, signs them in and emails a verification link', async () => {
    const email = uniqueEmail('Founder');
    const { data, response } = await api()
      .client()
      .POST('/v1/auth/signup', {
        body: { organizationName: 'Acme Support', name: 'Fran Founder', email, password: PASSWORD },
      });
    expect(response.status).toBe(201);
    expect(data).toMatchObject({
      tokenType: 'Bearer',
      role: 'owner',
      organization: { name: 'Acme Support', slug: matching(/^acme-support/), plan: 'free' },
      user: { email: email.toLowerCase(), name: 'Fran Founder', emailVerifiedAt: null },
    });
    const me = await api().client(data!.accessToken).GET('/v1/auth/me');
    expect(me.data).toMatchObject({ role: 'owner', user: { email: email.toLowerCase() }, apiKeyId: null });

    const mail = await api().mailbox.waitFor(email, /Confirm your email/);
    const token = linkToken(mail);
    expect((await api().client().POST('/v1/auth/verify-email', { body: { token } })).response.status).toBe(
      204,
    );
    const again = await api().client().POST('/v1/auth/verify-email', { body: { token } });
    expect(again.response.status).toBe(401);
    const verified = await api().client(data!.accessToken).GET('/v1/auth/me');
    expect(verified.data?.user?.emailVerifiedAt).toEqual(anyString());
  });

  it('answers 409 for an email that already has an account, whatever its case', async () => {
    const { email } = await signUp(api());
    const { error, response } = await api()
      .client()
      .POST('/v1/auth/signup', {
        body: { organizationName: 'Again', name: 'Again', email: email.toUpperCase(), password: PASSWORD },
      });
    expect(response.status).toBe(409);
    expect(error).toMatchObject({ type: `${api().baseUrl}/problems/conflict` });
  });

  it('answers 422 with field errors for invalid or unknown fields', async () => {
    const res = await fetch(`${api().baseUrl}/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        organizationName: '',
        name: 'X',
        email: 'not-an-email',
        password: 'short',
        admin: true,
      }),
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as { errors: { field: string; message: string }[] };
    const fields = body.errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.organizationName', 'body.email', 'body.password']));
    expect(JSON.stringify(body)).toMatch(/admin/); // the extra property is named
  });

  it('answers 413 for an oversized body', async () => {
    const res = await fetch(`${api().baseUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ type: `${api().baseUrl}/problems/payload-too-large` });
  });
});

describe('login', () => {
  it('signs in with the right password, case-insensitively on the email', async () => {
    const { email, session } = await signUp(api());
    const { data, response } = await api()
      .client()
      .POST('/v1/auth/login', { body: { email: email.toUpperCase(), password: PASSWORD } });
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ organization: { id: session.organization.id }, role: 'owner' });
  });

  it('answers a wrong password and an unknown email alike, in similar time', async () => {
    const { email } = await signUp(api());
    const attempt = async (body: { email: string; password: string }) => {
      const started = performance.now();
      const { error, response } = await api().client().POST('/v1/auth/login', { body });
      return { status: response.status, detail: error?.detail, ms: performance.now() - started };
    };
    const wrongPassword = await attempt({ email, password: 'wrong password!' });
    const unknownEmail = await attempt({ email: uniqueEmail('nobody'), password: 'wrong password!' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(unknownEmail.detail).toBe(wrongPassword.detail);
    // Both verify a scrypt hash; without the dummy hash the unknown email would answer in ~1 ms.
    expect(unknownEmail.ms).toBeGreaterThan(wrongPassword.ms / 4);
  });

  it('refuses an organization the person does not belong to with the same 401', async () => {
    const { email } = await signUp(api());
    const other = await signUp(api());
    const { response, error } = await api()
      .client()
      .POST('/v1/auth/login', {
        body: { email, password: PASSWORD, organizationId: other.session.organization.id },
      });
    expect(response.status).toBe(401);
    expect(error?.detail).toBe('The email or password is incorrect.');
  });
});

describe('sessions', () => {
  it('rotates refresh tokens; reusing a spent one revokes the whole family', async () => {
    const { session } = await signUp(api());
    const first = await api()
      .client()
      .POST('/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(first.response.status).toBe(200);
    expect(first.data!.refreshToken).not.toBe(session.refreshToken);

    const reuse = await api()
      .client()
      .POST('/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(reuse.response.status).toBe(401);
    // The family is gone: the rotated token and the access tokens minted from it stop working too.
    const rotated = await api()
      .client()
      .POST('/v1/auth/refresh', { body: { refreshToken: first.data!.refreshToken } });
    expect(rotated.response.status).toBe(401);
    const me = await api().client(first.data!.accessToken).GET('/v1/auth/me');
    expect(me.response.status).toBe(401);
    expect(me.response.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('logout ends the session: its refresh and access tokens answer 401', async () => {
    const { session } = await signUp(api());
    const out = await api()
      .client()
      .POST('/v1/auth/logout', { body: { refreshToken: session.refreshToken } });
    expect(out.response.status).toBe(204);
    expect((await api().client(session.accessToken).GET('/v1/auth/me')).response.status).toBe(401);
    const refreshed = await api()
      .client()
      .POST('/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(refreshed.response.status).toBe(401);
  });

  it('refuses expired refresh tokens and expired or forged access tokens', async () => {
    const { session } = await signUp(api());
    await RefreshToken.query()
      .forOrganization(session.organization.id)
      .patch({ expiresAt: new Date(Date.now() - 1000) });
    const refreshed = await api()
      .client()
      .POST('/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(refreshed.response.status).toBe(401);

    const key = new TextEncoder().encode(api().config.auth.jwtSecret);
    const claims = { org: session.organization.id, sid: 'x' };
    const expired = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(session.user.id)
      .setIssuer('parley')
      .setAudience('parley-api')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(key);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(session.user.id)
      .setIssuer('parley')
      .setAudience('parley-api')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('another secret of at least thirty-two chars'));
    for (const token of [expired, forged, 'garbage']) {
      const { response, error } = await api().client(token).GET('/v1/auth/me');
      expect(response.status).toBe(401);
      expect(error).toMatchObject({ type: `${api().baseUrl}/problems/unauthorized` });
    }
    expect((await api().client().GET('/v1/auth/me')).response.status).toBe(401);
  });
});

describe('password reset', () => {
  it('emails a link that works once, signs the person out everywhere, and fails the second time', async () => {
    const { email, session } = await signUp(api());
    const requested = await api().client().POST('/v1/auth/password-reset', { body: { email } });
    expect(requested.response.status).toBe(202);
    const mail = await api().mailbox.waitFor(email, /Reset your Parley password/);
    expect(mail.text).toContain(`${api().config.http.publicUrl}/reset-password?token=`);
    const token = linkToken(mail);

    const newPassword = 'a brand new password';
    const first = await api()
      .client()
      .POST('/v1/auth/password-reset/confirm', { body: { token, password: newPassword } });
    expect(first.response.status).toBe(204);
    const second = await api()
      .client()
      .POST('/v1/auth/password-reset/confirm', { body: { token, password: 'yet another password' } });
    expect(second.response.status).toBe(401);

    expect((await api().client(session.accessToken).GET('/v1/auth/me')).response.status).toBe(401);
    const oldLogin = await api()
      .client()
      .POST('/v1/auth/login', { body: { email, password: PASSWORD } });
    expect(oldLogin.response.status).toBe(401);
    const newLogin = await api()
      .client()
      .POST('/v1/auth/login', { body: { email, password: newPassword } });
    expect(newLogin.response.status).toBe(200);
  });

  it('answers 202 for an unknown email and sends nothing', async () => {
    const email = uniqueEmail('ghost');
    const { response } = await api().client().POST('/v1/auth/password-reset', { body: { email } });
    expect(response.status).toBe(202);
    await expect(api().mailbox.waitFor(email, /./, 500)).rejects.toThrow(/no email/);
  });

  it('refuses an expired link', async () => {
    const { email } = await signUp(api());
    await api().client().POST('/v1/auth/password-reset', { body: { email } });
    const token = linkToken(await api().mailbox.waitFor(email, /Reset/));
    const user = await User.query().findOne({ email: email.toLowerCase() });
    await db()('user_tokens')
      .where({ user_id: user!.id })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const { response } = await api()
      .client()
      .POST('/v1/auth/password-reset/confirm', { body: { token, password: 'whatever password' } });
    expect(response.status).toBe(401);
  });
});

describe('email verification', () => {
  it('resends a link to a signed-in member', async () => {
    const { email, client } = await signUp(api());
    await api().mailbox.waitFor(email, /Confirm/);
    const { response } = await client.POST('/v1/auth/verify-email/resend');
    expect(response.status).toBe(202);
    const token = linkToken(await api().mailbox.waitFor(email, /Confirm/));
    expect((await api().client().POST('/v1/auth/verify-email', { body: { token } })).response.status).toBe(
      204,
    );
  });
});

describe('rate limits on sign-in', () => {
  it('answers 429 with Retry-After as problem+json once an IP exceeds the limit', async () => {
    const body = { email: uniqueEmail('limited'), password: 'wrong password!' };
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      const { response } = await strictApi().client().POST('/v1/auth/login', { body });
      statuses.push(response.status);
      last = response;
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
