import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { DocumentError } from './errors';
import { DEFAULT_MAX_BYTES, parseDocument, type ParsedDocument, type ParseInput } from './parse';

export interface FetchOptions {
  /** For the whole exchange, redirects and body included. */
  timeoutMs?: number;
  /** Enforced while the (decompressed) body streams in, not after it has all arrived. */
  maxBytes?: number;
  userAgent?: string;
  /** Off in production: refuses hosts that resolve to loopback, private or link-local addresses. */
  allowPrivateNetworks?: boolean;
}

export interface FetchedResource {
  bytes: Buffer;
  contentType?: string;
  finalUrl: string;
  etag?: string;
  lastModified?: string;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_USER_AGENT = 'ParleyBot/0.1 (document ingestion)';
const MAX_REDIRECTS = 5;

/**
 * Downloads one http(s) URL with Node's fetch, following up to 5 redirects by hand so that every hop
 * is checked (scheme and, unless allowed, network). Failures are DocumentErrors: 404/410 are
 * `not_found`, other 4xx permanent `fetch_failed`; 408/429/5xx, network errors and `timeout` transient.
 */
export async function fetchUrl(url: string, options: FetchOptions = {}): Promise<FetchedResource> {
  let current = httpUrl(url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    for (let redirects = 0; ; redirects++) {
      if (!options.allowPrivateNetworks) await assertPublicHost(current);
      const response = await fetch(current, {
        redirect: 'manual',
        signal: controller.signal,
        headers: { 'user-agent': options.userAgent ?? DEFAULT_USER_AGENT },
      });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        if (redirects === MAX_REDIRECTS) {
          throw new DocumentError('fetch_failed', `${url} redirects more than ${MAX_REDIRECTS} times.`, {
            permanent: true,
          });
        }
        current = httpUrl(new URL(location, current).href);
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw statusError(response.status, current.href);
      }
      return {
        bytes: await readBody(response, options.maxBytes ?? DEFAULT_MAX_BYTES, current.href),
        contentType: response.headers.get('content-type') ?? undefined,
        finalUrl: current.href,
        etag: response.headers.get('etag') ?? undefined,
        lastModified: response.headers.get('last-modified') ?? undefined,
      };
    }
  } catch (error) {
    if (error instanceof DocumentError) throw error;
    if (controller.signal.aborted) {
      throw new DocumentError('timeout', `${current.href} did not answer within ${timeoutMs / 1000} s.`, {
        cause: error,
      });
    }
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new DocumentError('fetch_failed', `Could not download ${current.href} (${reason}).`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** Sniffs and parses a fetched resource; the Content-Type is only a hint (see sniffType). */
export function parseFetched(
  resource: FetchedResource,
  options: Omit<ParseInput, 'bytes' | 'filename' | 'declaredType'> = {},
): Promise<ParsedDocument> {
  return parseDocument({
    ...options,
    bytes: resource.bytes,
    filename: new URL(resource.finalUrl).pathname,
    declaredType: resource.contentType,
  });
}

function httpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DocumentError('invalid_url', `"${url}" is not a valid URL.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new DocumentError(
      'invalid_url',
      `Only http and https URLs can be fetched, not ${parsed.protocol}.`,
    );
  }
  return parsed;
}

function statusError(status: number, url: string): DocumentError {
  if (status === 404 || status === 410) {
    return new DocumentError('not_found', `${url} does not exist (HTTP ${status}); check the address.`);
  }
  const transient = status === 408 || status === 429 || status >= 500;
  return new DocumentError(
    'fetch_failed',
    transient
      ? `${url} is unavailable right now (HTTP ${status}); Parley will retry.`
      : `${url} refused the download (HTTP ${status}); make the page public or remove it.`,
    { permanent: !transient },
  );
}

async function readBody(response: Response, maxBytes: number, url: string): Promise<Buffer> {
  const tooLarge = () =>
    new DocumentError(
      'too_large',
      `${url} is larger than the ${Math.floor(maxBytes / 1024 / 1024)} MB limit.`,
    );
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks);
}

/**
 * Loopback, private, link-local, carrier-grade NAT, multicast and reserved ranges (IPv4-mapped IPv6
 * addresses match the IPv4 rules). The check runs on our own DNS answer, and fetch resolves again, so
 * a DNS-rebinding host could still slip through; closing that needs a pinned-address agent.
 */
const PRIVATE_RANGES = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  PRIVATE_RANGES.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 127], // unspecified and loopback
  ['64:ff9b::', 96], // NAT64 can reach private IPv4 addresses
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE_RANGES.addSubnet(network, prefix, 'ipv6');
}

async function assertPublicHost(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  } catch (error) {
    throw new DocumentError('fetch_failed', `Could not resolve ${host}.`, { cause: error });
  }
  if (
    addresses.some(({ address, family }) => PRIVATE_RANGES.check(address, family === 6 ? 'ipv6' : 'ipv4'))
  ) {
    throw new DocumentError(
      'blocked_address',
      `${url.host} is on a private network; Parley only fetches public addresses.`,
    );
  }
}
