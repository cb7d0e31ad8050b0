import type { Agent } from 'node:http';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import type { AllowRule } from './allowlist';

/**
 * Which addresses an outbound request to a user-supplied URL may connect to. The check runs when the
 * socket connects (request-filtering-agent wraps the lookup the socket itself uses, and checks IP
 * literals before connecting), so a DNS answer cannot change between the check and the connection,
 * and it runs again for every redirect, since each hop takes the agent of its own URL.
 *
 * Refused: every address that is not public unicast — loopback, private, link-local (cloud metadata
 * at 169.254.169.254), carrier-grade NAT, unspecified (0.0.0.0, ::), multicast, reserved, and IPv6
 * forms that embed IPv4 (::ffff:127.0.0.1, NAT64, 6to4, Teredo) — unless FETCH_ALLOWED_HOSTS allows
 * it: by origin or host name (any address that name resolves to), or by network (the address
 * connected to). There is no switch that turns the guard off.
 */
export class OutboundPolicy {
  private readonly named: Exclude<AllowRule, { kind: 'network' }>[];
  private readonly guarded: { http: Agent; https: Agent };
  private readonly trusted: { http: Agent; https: Agent };

  constructor(readonly rules: readonly AllowRule[] = []) {
    this.named = rules.filter((rule) => rule.kind !== 'network');
    const networks = rules.flatMap((rule) => (rule.kind === 'network' ? [rule.cidr] : []));
    const strict = { allowPrivateIPAddress: false, allowMetaIPAddress: false, allowIPAddressList: networks };
    // An allowed name may resolve to a private address; 0.0.0.0 and :: still mean "this machine".
    const named = { allowPrivateIPAddress: true, allowMetaIPAddress: false };
    this.guarded = {
      http: new RequestFilteringHttpAgent(strict),
      https: new RequestFilteringHttpsAgent(strict),
    };
    this.trusted = {
      http: new RequestFilteringHttpAgent(named),
      https: new RequestFilteringHttpsAgent(named),
    };
  }

  /** Whether FETCH_ALLOWED_HOSTS names this URL's origin or host. */
  allowsByName(url: URL): boolean {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    return this.named.some((rule) =>
      rule.kind === 'origin'
        ? rule.origin === url.origin
        : rule.hostname === url.hostname && (rule.port === undefined || rule.port === port),
    );
  }

  /** The agent for one request to `url` (an http: or https: URL). */
  agentFor(url: URL): Agent {
    const agents = this.allowsByName(url) ? this.trusted : this.guarded;
    return url.protocol === 'https:' ? agents.https : agents.http;
  }
}

/** Whether a request failed because the policy refused the address it would have connected to. */
export function isRefusedAddress(error: unknown): boolean {
  // request-filtering-agent's refusals: "DNS lookup 127.0.0.1(family:4, host:…) is not allowed. …"
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (/^DNS lookup .* is not allowed\b/.test(cause.message)) return true;
  }
  return false;
}
