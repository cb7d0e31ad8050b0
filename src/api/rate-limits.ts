import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import type { Principal } from '../domain/principal';
import { problems } from '../lib/problem';

/** One quota a request counted against, as the IETF rate-limit headers describe it. */
export interface QuotaState {
  /** The policy's name: `address` (sign-in, per IP), `api-key` or `organization`. */
  name: string;
  quota: number;
  windowSeconds: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

interface Quota {
  name: string;
  limiter: RateLimiterMemory;
  points: number;
}

const WINDOW_SECONDS = 60;

/**
 * `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers), one list item per quota
 * the request counted against; the spec declares them on every answer that counts (scripts/refine-openapi.ts).
 */
export function rateLimitHeaders(states: QuotaState[]): Record<string, string> {
  return {
    'RateLimit-Policy': states.map((s) => `"${s.name}";q=${s.quota};w=${s.windowSeconds}`).join(', '),
    RateLimit: states.map((s) => `"${s.name}";r=${s.remaining};t=${s.resetSeconds}`).join(', '),
  };
}

/**
 * Fixed one-minute windows, kept in this process's memory: per IP on the sign-in endpoints (against
 * password guessing), per API key and per organization elsewhere (one tenant cannot starve the rest).
 * Several API processes each count on their own; a PostgreSQL-backed limiter would share the count.
 */
export class RateLimits {
  private readonly auth: Quota;
  private readonly apiKey: Quota;
  private readonly organization: Quota;
  private readonly loginFailures: RateLimiterMemory;

  constructor(config: Config['rateLimits']) {
    const quota = (name: string, points: number): Quota => ({
      name,
      points,
      limiter: new RateLimiterMemory({ points, duration: WINDOW_SECONDS }),
    });
    this.auth = quota('address', config.authPerMinute);
    this.apiKey = quota('api-key', config.apiKeyPerMinute);
    this.organization = quota('organization', config.organizationPerMinute);
    this.loginFailures = new RateLimiterMemory({ points: config.loginFailuresPerAccount, duration: 15 * 60 });
  }

  /**
   * Per account, whatever the address: guessing one account's password from many addresses is
   * throttled after a few failures (15 minutes), while its owner's right password resets the count.
   */
  async checkLogin(email: string): Promise<void> {
    const used = await this.loginFailures.get(accountKey(email));
    if (used && used.remainingPoints <= 0) {
      throw problems.rateLimited(Math.max(1, Math.ceil(used.msBeforeNext / 1000)));
    }
  }

  async recordLogin(email: string, succeeded: boolean): Promise<void> {
    if (succeeded) await this.loginFailures.delete(accountKey(email));
    else await this.loginFailures.penalty(accountKey(email));
  }

  /** Counts a sign-in request of this address; 429 (with the headers) past the quota. */
  async consumeAuth(ip: string): Promise<QuotaState[]> {
    return await consume([[this.auth, ip]]);
  }

  /** Counts a request of this API key (if any) and organization; 429 (with the headers) past either. */
  async consumePrincipal(principal: Principal): Promise<QuotaState[]> {
    return await consume([
      ...(principal.apiKeyId ? [[this.apiKey, principal.apiKeyId] as const] : []),
      [this.organization, principal.organizationId],
    ]);
  }
}

async function consume(quotas: (readonly [Quota, string])[]): Promise<QuotaState[]> {
  const states: QuotaState[] = [];
  const state = (quota: Quota, res: RateLimiterRes): QuotaState => ({
    name: quota.name,
    quota: quota.points,
    windowSeconds: WINDOW_SECONDS,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(0, Math.ceil(res.msBeforeNext / 1000)),
  });
  for (const [quota, key] of quotas) {
    try {
      states.push(state(quota, await quota.limiter.consume(key)));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      states.push(state(quota, rejection));
      throw problems.rateLimited(
        Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
        rateLimitHeaders(states),
      );
    }
  }
  return states;
}

const accountKey = (email: string) => email.trim().toLowerCase();
