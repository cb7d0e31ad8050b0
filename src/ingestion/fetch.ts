import type { LookupFunction } from 'node:net';
import { OutboundError, outboundRequest, type OutboundErrorCode, type OutboundPolicy } from '../outbound';
import { DocumentError, type DocumentErrorCode } from './errors';
import { DEFAULT_MAX_BYTES, parseDocument, type ParsedDocument, type ParseInput } from './parse';

export interface FetchOptions {
  /**
   * Which addresses may be reached (FETCH_ALLOWED_HOSTS): loopback, private and link-local ones are
   * refused unless allowed there, when the socket connects and again on every redirect.
   */
  policy: OutboundPolicy;
  /** For the whole exchange, redirects and body included. */
  timeoutMs?: number;
  /** Enforced while the (decompressed) body streams in, not after it has all arrived. */
  maxBytes?: number;
  userAgent?: string;
  /** Name resolution at connect time (tests). */
  lookup?: LookupFunction;
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

const DOCUMENT_CODES: Record<OutboundErrorCode, DocumentErrorCode> = {
  invalid_url: 'invalid_url',
  blocked_address: 'blocked_address',
  too_many_redirects: 'fetch_failed',
  too_large: 'too_large',
  timeout: 'timeout',
  network: 'fetch_failed',
};

/**
 * Downloads one http(s) URL through the guarded outbound path (src/outbound), following up to 5
 * redirects. Failures are DocumentErrors: 404/410 are `not_found`, other 4xx permanent
 * `fetch_failed`; 408/429/5xx, network errors and `timeout` transient; a refused address
 * `blocked_address`, permanent.
 */
export async function fetchUrl(url: string, options: FetchOptions): Promise<FetchedResource> {
  let response;
  try {
    response = await outboundRequest(url, {
      policy: options.policy,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
      maxRedirects: MAX_REDIRECTS,
      headers: { 'user-agent': options.userAgent ?? DEFAULT_USER_AGENT },
      lookup: options.lookup,
    });
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    const code = DOCUMENT_CODES[error.code];
    throw new DocumentError(code, error.message, {
      cause: error,
      ...(error.code === 'too_many_redirects' ? { permanent: true } : {}),
    });
  }
  if (response.status < 200 || response.status >= 300) throw statusError(response.status, response.url);
  const header = (name: string): string | undefined => {
    const value = response.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return {
    bytes: response.body,
    contentType: header('content-type'),
    finalUrl: response.url,
    etag: header('etag'),
    lastModified: header('last-modified'),
  };
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
