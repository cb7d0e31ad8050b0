import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import type { Principal } from '../domain/principal';
import { problems } from '../lib/problem';

/**
 * Fixed one-minute windows, kept in this process's memory: per IP on the sign-in endpoints (against
 * password guessing), per API key and per organization elsewhere (one tenant cannot starve the rest).
 * Several API processes each count on their own; a PostgreSQL-backed limiter would share the count.
 */
export class RateLimits {
  private readonly auth: RateLimiterMemory;
  private readonly apiKey: RateLimiterMemory;
  private readonly organization: RateLimiterMemory;
  private readonly loginFailures: RateLimiterMemory;

  constructor(config: Config['rateLimits']) {
    this.auth = new RateLimiterMemory({ points: config.authPerMinute, duration: 60 });
    this.apiKey = new RateLimiterMemory({ points: config.apiKeyPerMinute, duration: 60 });
    this.organization = new RateLimiterMemory({ points: config.organizationPerMinute, duration: 60 });
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

  async consumeAuth(ip: string): Promise<void> {
    await consume(this.auth, ip);
  }

  async consumePrincipal(principal: Principal): Promise<void> {
    if (principal.apiKeyId) await consume(this.apiKey, principal.apiKeyId);
    await consume(this.organization, principal.organizationId);
  }
}

async function consume(limiter: RateLimiterMemory, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      throw problems.rateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
    throw rejection;
  }
}

const accountKey = (email: string) => email.trim().toLowerCase();
