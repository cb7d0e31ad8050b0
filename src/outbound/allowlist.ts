import { isIP } from 'node:net';

/**
 * FETCH_ALLOWED_HOSTS: the intranet hosts and networks that outbound requests to user-supplied URLs
 * may reach although their addresses are loopback, private or link-local. Everything else on such
 * addresses is refused (see OutboundPolicy).
 */
export type AllowRule =
  /** `http://localhost:3000`: that scheme, host and port only (the demo's own help centre). */
  | { kind: 'origin'; origin: string }
  /** `wiki.corp` or `wiki.corp:8080`: that host name (on that port), whatever it resolves to. */
  | { kind: 'host'; hostname: string; port?: number }
  /** `10.0.0.0/8` or `10.1.2.3`: addresses in that network, checked on the address connected to. */
  | { kind: 'network'; cidr: string };

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** One entry of the list, or why it is not one. */
export function parseAllowRule(entry: string): AllowRule | { error: string } {
  const value = entry.trim();
  if (/^https?:\/\//i.test(value)) {
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (!url || url.origin !== value.replace(/\/$/, '').toLowerCase()) {
      return { error: `"${entry}" is not an origin like http://wiki.corp:8080 (no path)` };
    }
    return { kind: 'origin', origin: url.origin };
  }
  const slash = value.indexOf('/');
  if (slash >= 0 || isIP(value) !== 0) {
    const address = slash >= 0 ? value.slice(0, slash) : value;
    const prefix = slash >= 0 ? Number(value.slice(slash + 1)) : undefined;
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    if (
      family === 0 ||
      (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= bits))
    ) {
      return { error: `"${entry}" is not an IP address or a network like 10.0.0.0/8` };
    }
    return { kind: 'network', cidr: prefix === undefined ? address : `${address}/${prefix}` };
  }
  const match = /^([^:]+)(?::(\d{1,5}))?$/.exec(value.toLowerCase());
  const port = match?.[2] === undefined ? undefined : Number(match[2]);
  if (!match || !HOST_NAME.test(match[1]!) || (port !== undefined && (port < 1 || port > 65535))) {
    return { error: `"${entry}" is not a host name, host:port, origin, IP address or network` };
  }
  return { kind: 'host', hostname: match[1]!, ...(port === undefined ? {} : { port }) };
}

/** The comma-separated setting as rules, with one problem per entry that is not one. */
export function parseAllowlist(setting: string): { rules: AllowRule[]; problems: string[] } {
  const rules: AllowRule[] = [];
  const problems: string[] = [];
  for (const entry of setting
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const rule = parseAllowRule(entry);
    if ('error' in rule) problems.push(rule.error);
    else rules.push(rule);
  }
  return { rules, problems };
}
