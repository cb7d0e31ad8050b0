import { base64url, SignJWT } from 'jose';
import { useTestApi } from '../helpers/api';
import { signUp, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';

const db = useTestDatabase();
const api = useTestApi(db);

const encode = (value: unknown): string => base64url.encode(JSON.stringify(value));
const parts = (token: string) => {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>,
    signature,
  };
};

describe('access-token tampering', () => {
  let owner: Account;
  let other: Account;
  let key: Uint8Array;

  beforeAll(async () => {
    owner = await signUp(api());
    other = await signUp(api());
    key = new TextEncoder().encode(api().config.auth.jwtSecret);
  });

  /** A token like the ones Parley signs, with `change` applied to its claims. */
  const sign = (change: (jwt: SignJWT) => SignJWT = (jwt) => jwt, alg = 'HS256', secret = key) => {
    const { payload } = parts(owner.session.accessToken);
    return change(
      new SignJWT({ org: payload.org, sid: payload.sid })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setSubject(String(payload.sub))
        .setIssuer('parley')
        .setAudience('parley-api')
        .setIssuedAt()
        .setExpirationTime('5m'),
    ).sign(secret);
  };

  async function me(token: string): Promise<Response> {
    return fetch(`${api().baseUrl}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  }

  it('accepts the token it issued and one signed the same way', async () => {
    expect((await me(owner.session.accessToken)).status).toBe(200);
    expect((await me(await sign())).status).toBe(200);
  });

  const tampered: [string, (owner: Account, other: Account) => Promise<string> | string][] = [
    [
      'the organization claim changed to another tenant, signature kept',
      (o, x) => {
        const { header, payload, signature } = parts(o.session.accessToken);
        return `${encode(header)}.${encode({ ...payload, org: x.session.organization.id })}.${signature}`;
      },
    ],
    [
      'the subject changed to another user, signature kept',
      (o, x) => {
        const { header, payload, signature } = parts(o.session.accessToken);
        return `${encode(header)}.${encode({ ...payload, sub: x.session.user.id })}.${signature}`;
      },
    ],
    [
      'the expiry pushed into the future, signature kept',
      (o) => {
        const { header, payload, signature } = parts(o.session.accessToken);
        return `${encode(header)}.${encode({ ...payload, exp: Number(payload.exp) + 86_400 })}.${signature}`;
      },
    ],
    [
      'alg none without a signature',
      (o) => {
        const { payload } = parts(o.session.accessToken);
        return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
      },
    ],
    [
      'alg none keeping the old signature',
      (o) => {
        const { payload, signature } = parts(o.session.accessToken);
        return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.${signature}`;
      },
    ],
    [
      'signed with another key',
      () => sign(undefined, 'HS256', new TextEncoder().encode('an attacker secret of at least 32 chars!')),
    ],
    ['signed with the right key but HS512', () => sign(undefined, 'HS512')],
    ['expired', () => sign((jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 5))],
    ['not yet valid', () => sign((jwt) => jwt.setNotBefore('1h'))],
    ['issued by someone else', () => sign((jwt) => jwt.setIssuer('evil'))],
    ['meant for another audience', () => sign((jwt) => jwt.setAudience('another-api'))],
    ['truncated', (o) => o.session.accessToken.slice(0, -10)],
    ['garbage', () => 'not.a.token'],
  ];

  it.each(tampered)('answers 401 to a token %s', async (_label, make) => {
    const response = await me(await make(owner, other));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({
      type: `${api().baseUrl}/problems/unauthorized`,
      status: 401,
    });
  });

  it('never lets a tampered token read the other tenant', async () => {
    const { header, payload, signature } = parts(owner.session.accessToken);
    const token = `${encode(header)}.${encode({ ...payload, org: other.session.organization.id })}.${signature}`;
    const response = await fetch(`${api().baseUrl}/v1/organization`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain(other.session.organization.id);
  });
});
