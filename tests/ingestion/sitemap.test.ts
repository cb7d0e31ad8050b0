import { gzipSync } from 'node:zlib';
import { fetchSitemap, type SitemapOptions } from '../../src/ingestion';
import { OutboundPolicy, parseAllowlist } from '../../src/outbound';
import { useTestSite } from '../helpers/site';

const urlset = (locs: string[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
${locs.map((loc) => `  <url><loc>${loc}</loc><image:image><image:loc>${loc}.png</image:loc></image:image></url>`).join('\n')}
</urlset>`;

const sitemapindex = (locs: string[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${locs.map((loc) => `  <sitemap><loc>${loc}</loc></sitemap>`).join('\n')}
</sitemapindex>`;

const site = useTestSite((req, res) => {
  const base = `http://${req.headers.host}`;
  const xml = (body: string | Buffer) => res.writeHead(200, { 'content-type': 'application/xml' }).end(body);
  switch (req.url) {
    case '/sitemap.xml':
      return xml(
        sitemapindex([
          `${base}/sitemaps/pages.xml`,
          `${base}/sitemaps/blog.xml.gz`,
          'https://elsewhere.example/sitemap.xml',
          `${base}/sitemap.xml`, // a loop back to itself
        ]),
      );
    case '/sitemaps/pages.xml':
      return xml(
        urlset([
          `${base}/help/returns`,
          `${base}/help/shipping`,
          `${base}/help/returns#exchanges`,
          'https://elsewhere.example/help/returns',
          'ftp://files.example/manual.pdf',
          `${base}/help/billing?tab=invoices&amp;lang=en`,
        ]),
      );
    case '/sitemaps/blog.xml.gz':
      return xml(gzipSync(urlset([`${base}/blog/launch`, `${base}/blog/pricing`])));
    case '/broken-index.xml':
      return xml(sitemapindex([`${base}/sitemaps/pages.xml`, `${base}/sitemaps/missing.xml`]));
    case '/not-a-sitemap.html':
      return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Home</title>');
    default:
      return res.writeHead(404).end();
  }
});

const options = (overrides: Partial<SitemapOptions> = {}): SitemapOptions => ({
  maxPages: 100,
  policy: new OutboundPolicy(parseAllowlist('127.0.0.1').rules),
  timeoutMs: 2_000,
  ...overrides,
});

describe('fetchSitemap', () => {
  it('lists the pages of nested and gzipped sitemaps on the same host, deduplicated', async () => {
    const base = site();
    expect(await fetchSitemap(`${base}/sitemap.xml`, options())).toEqual({
      urls: [
        `${base}/help/returns`,
        `${base}/help/shipping`,
        `${base}/help/billing?tab=invoices&lang=en`,
        `${base}/blog/launch`,
        `${base}/blog/pricing`,
      ],
      truncated: false,
    });
  });

  it('stops at the page cap and says the list was truncated', async () => {
    const base = site();
    expect(await fetchSitemap(`${base}/sitemap.xml`, options({ maxPages: 3 }))).toEqual({
      urls: [`${base}/help/returns`, `${base}/help/shipping`, `${base}/help/billing?tab=invoices&lang=en`],
      truncated: true,
    });
    expect(await fetchSitemap(`${base}/sitemap.xml`, options({ maxPages: 5 }))).toMatchObject({
      truncated: false,
    });
  });

  it('reads at most maxSitemaps files', async () => {
    expect(await fetchSitemap(`${site()}/sitemap.xml`, options({ maxSitemaps: 2 }))).toEqual({
      urls: [
        `${site()}/help/returns`,
        `${site()}/help/shipping`,
        `${site()}/help/billing?tab=invoices&lang=en`,
      ],
      truncated: true,
    });
  });

  it('fails the whole listing when a child sitemap is missing, rather than return part of it', async () => {
    await expect(fetchSitemap(`${site()}/broken-index.xml`, options())).rejects.toMatchObject({
      code: 'not_found',
      permanent: true,
    });
  });

  it('rejects a document that is not a sitemap', async () => {
    await expect(fetchSitemap(`${site()}/not-a-sitemap.html`, options())).rejects.toMatchObject({
      code: 'invalid_sitemap',
      permanent: true,
    });
  });

  it('applies the network guard to sitemaps too', async () => {
    await expect(
      fetchSitemap(`${site()}/sitemap.xml`, { maxPages: 10, policy: new OutboundPolicy() }),
    ).rejects.toMatchObject({
      code: 'blocked_address',
    });
  });
});
