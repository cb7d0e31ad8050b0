import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { isRefusedAddress, type OutboundPolicy } from './policy';

/**
 * The one HTTP path for requests to URLs that users supply (URL and sitemap sources, outbound
 * webhooks): every hop connects through the policy's agents, redirects are followed by hand
 * (each one checked again), the whole exchange has a deadline, and the body is read up to a limit
 * enforced on the decompressed bytes while they stream in.
 */

export type OutboundErrorCode =
  'invalid_url' | 'blocked_address' | 'too_many_redirects' | 'too_large' | 'timeout' | 'network';

export class OutboundError extends Error {
  constructor(
    readonly code: OutboundErrorCode,
    message: string,
    /** The URL of the hop that failed. */
    readonly url: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'OutboundError';
  }
}

export interface OutboundOptions {
  policy: OutboundPolicy;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** For the whole exchange, redirects and body included. */
  timeoutMs: number;
  /** Largest (decompressed) body read; larger ones fail with `too_large` (or are cut, see `excerpt`). */
  maxBytes: number;
  /**
   * Read the body of every answer, not only 2xx ones, and keep its first `maxBytes` bytes rather than
   * failing when it is longer (a webhook delivery's log keeps an excerpt of what the receiver said).
   */
  excerpt?: boolean;
  /** Redirects followed at most (0: a redirect is returned as the response). */
  maxRedirects?: number;
  /** Name resolution at connect time (default: the system's); tests stand in a DNS server with it. */
  lookup?: LookupFunction;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered, after redirects. */
  url: string;
  /** The body of a 2xx answer (of any answer with `excerpt`); empty otherwise. */
  body: Buffer;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function outboundRequest(url: string, options: OutboundOptions): Promise<OutboundResponse> {
  let current = httpUrl(url);
  let method = options.method ?? 'GET';
  let body = options.body;
  const maxRedirects = options.maxRedirects ?? 0;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    for (let redirects = 0; ; redirects++) {
      const response = await send(current, method, body, options, controller.signal);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (REDIRECTS.has(status) && location && maxRedirects > 0) {
        response.destroy();
        if (redirects === maxRedirects) {
          throw new OutboundError(
            'too_many_redirects',
            `${url} redirects more than ${maxRedirects} times.`,
            current.href,
          );
        }
        current = httpUrl(new URL(location, current).href);
        if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      if ((status < 200 || status >= 300) && !options.excerpt) {
        response.destroy();
        return { status, headers: response.headers, url: current.href, body: Buffer.alloc(0) };
      }
      return {
        status,
        headers: response.headers,
        url: current.href,
        body: await readBody(response, options.maxBytes, current.href, options.excerpt ?? false),
      };
    }
  } catch (error) {
    if (error instanceof OutboundError) throw error;
    if (controller.signal.aborted) {
      throw new OutboundError(
        'timeout',
        `${current.href} did not answer within ${options.timeoutMs / 1000} s.`,
        current.href,
        { cause: error },
      );
    }
    if (isRefusedAddress(error)) {
      throw new OutboundError(
        'blocked_address',
        `${current.host} is on a private network; Parley only fetches public addresses (see FETCH_ALLOWED_HOSTS).`,
        current.href,
        { cause: error },
      );
    }
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    throw new OutboundError('network', `Could not download ${current.href} (${reason}).`, current.href, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** An http(s) URL, or `invalid_url`. */
export function httpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OutboundError('invalid_url', `"${url}" is not a valid URL.`, url);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new OutboundError(
      'invalid_url',
      `Only http and https URLs can be fetched, not ${parsed.protocol}.`,
      url,
    );
  }
  return parsed;
}

function send(
  url: URL,
  method: string,
  body: string | Buffer | undefined,
  options: OutboundOptions,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method,
      agent: options.policy.agentFor(url),
      headers: { 'accept-encoding': 'gzip, deflate, br', ...options.headers },
      signal,
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
    request.once('response', resolve);
    request.once('error', reject);
    request.end(body);
  });
}

function decoder(encoding: string | undefined): Transform | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

async function readBody(
  response: IncomingMessage,
  maxBytes: number,
  url: string,
  excerpt: boolean,
): Promise<Buffer> {
  const tooLarge = () =>
    new OutboundError(
      'too_large',
      `${url} is larger than the ${Math.floor(maxBytes / 1024 / 1024)} MB limit.`,
      url,
    );
  if (!excerpt && Number(response.headers['content-length']) > maxBytes) {
    response.destroy();
    throw tooLarge();
  }
  const decode = decoder(response.headers['content-encoding']);
  if (decode) response.once('error', (error) => decode.destroy(error));
  const source = decode ? response.pipe(decode) : response;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > maxBytes && excerpt) {
        chunks.push(chunk.subarray(0, chunk.byteLength - (size - maxBytes)));
        break;
      }
      if (size > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  } finally {
    response.destroy();
    decode?.destroy();
  }
  return Buffer.concat(chunks);
}
