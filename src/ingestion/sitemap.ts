import { gunzipSync } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import { DocumentError } from './errors';
import { fetchUrl, type FetchOptions } from './fetch';
import { DEFAULT_MAX_BYTES } from './parse';

export interface SitemapOptions extends FetchOptions {
  maxPages: number;
  /** Sitemap files read at most, the root included (indexes can nest and even loop). */
  maxSitemaps?: number;
}

export interface SitemapPages {
  /** Page URLs on the sitemap's own host, deduplicated (fragments dropped), in sitemap order. */
  urls: string[];
  /** True when more pages (or unread child sitemaps) existed beyond the limits. */
  truncated: boolean;
}

const DEFAULT_MAX_SITEMAPS = 50;

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  isArray: (name) => name === 'url' || name === 'sitemap',
});

/**
 * Lists the pages of a sitemap (`<urlset>`), following `<sitemapindex>` children breadth-first;
 * `.xml.gz` files are recognised by their gzip bytes. Pages and child sitemaps on another host than
 * the root sitemap's (after redirects) are ignored. Any failure fails the whole listing: a partial
 * list would make a re-sync delete the pages of the sitemap it could not read.
 */
export async function fetchSitemap(url: string, options: SitemapOptions): Promise<SitemapPages> {
  const maxSitemaps = options.maxSitemaps ?? DEFAULT_MAX_SITEMAPS;
  let host: string | undefined;
  const pages = new Set<string>();
  const queue = [url];
  const seen = new Set(queue);
  for (let read = 0; queue.length > 0; read++) {
    if (read === maxSitemaps) return { urls: [...pages], truncated: true };
    const sitemapUrl = queue.shift()!;
    const { xml, finalUrl } = await download(sitemapUrl, options);
    // The host the root sitemap ends up on: example.com often redirects to www.example.com.
    host ??= new URL(finalUrl).host;
    const { pageUrls, sitemapUrls } = parseSitemap(xml, sitemapUrl);
    for (const pageUrl of sameHost(pageUrls, host)) {
      if (pages.has(pageUrl)) continue;
      if (pages.size === options.maxPages) return { urls: [...pages], truncated: true };
      pages.add(pageUrl);
    }
    for (const child of sameHost(sitemapUrls, host)) {
      if (!seen.has(child)) queue.push(child);
      seen.add(child);
    }
  }
  return { urls: [...pages], truncated: false };
}

async function download(url: string, options: FetchOptions): Promise<{ xml: Buffer; finalUrl: string }> {
  const { bytes, finalUrl } = await fetchUrl(url, options);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return { xml: bytes, finalUrl };
  try {
    return { xml: gunzipSync(bytes, { maxOutputLength: options.maxBytes ?? DEFAULT_MAX_BYTES }), finalUrl };
  } catch (error) {
    const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new DocumentError(
      tooLarge ? 'too_large' : 'corrupt_file',
      tooLarge
        ? `The sitemap ${url} unpacks to more than the size limit.`
        : `The sitemap ${url} is not valid gzip.`,
      { cause: error },
    );
  }
}

type Entries = { loc?: unknown }[] | undefined;

function parseSitemap(xml: Buffer, url: string): { pageUrls: string[]; sitemapUrls: string[] } {
  let document: { urlset?: { url?: Entries }; sitemapindex?: { sitemap?: Entries } };
  try {
    document = parser.parse(xml) as typeof document;
  } catch (error) {
    throw invalidSitemap(url, error);
  }
  if (document.urlset === undefined && document.sitemapindex === undefined) throw invalidSitemap(url);
  return {
    pageUrls: locations(document.urlset?.url),
    sitemapUrls: locations(document.sitemapindex?.sitemap),
  };
}

const locations = (entries: Entries): string[] =>
  (entries ?? []).flatMap(({ loc }) => (typeof loc === 'string' ? [loc.trim()] : []));

/** Absolute http(s) URLs on `host`, without fragments; anything else is skipped. */
function sameHost(urls: string[], host: string): string[] {
  return urls.flatMap((raw) => {
    if (!URL.canParse(raw)) return [];
    const url = new URL(raw);
    url.hash = '';
    return url.host === host && (url.protocol === 'http:' || url.protocol === 'https:') ? [url.href] : [];
  });
}

const invalidSitemap = (url: string, cause?: unknown): DocumentError =>
  new DocumentError('invalid_sitemap', `${url} is not a sitemap (expected <urlset> or <sitemapindex>).`, {
    cause,
  });
