import { createServer } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { fetchUrl, parseFetched, type FetchOptions } from '../../src/ingestion';
import { OutboundPolicy, parseAllowlist } from '../../src/outbound';
import { useTestSite } from '../helpers/site';

const PAGE = '<!doctype html><title>Refunds</title><main><h1>Refunds</h1><p>Within 30 days.</p></main>';

let bomb: Buffer | undefined;
const site = useTestSite((req, res) => {
  const url = new URL(req.url!, 'http://localhost');
  const redirect = /^\/hops\/(\d+)$/.exec(url.pathname);
  if (redirect) {
    const left = Number(redirect[1]);
    res.writeHead(left === 0 ? 301 : 302, { location: left === 0 ? '/page.html' : `/hops/${left - 1}` });
    res.end();
    return;
  }
  switch (url.pathname) {
    case '/page.html':
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        etag: '"v1"',
        'last-modified': 'Tue, 03 Mar 2026 10:00:00 GMT',
      });
      res.end(PAGE);
      return;
    case '/gzip':
    case '/deflate':
    case '/br': {
      const encode = { '/gzip': gzipSync, '/deflate': deflateSync, '/br': brotliCompressSync }[url.pathname];
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': url.pathname.slice(1) });
      res.end(encode(PAGE));
      return;
    }
    case '/bomb':
      // 16 KB on the wire, 16 MB unpacked.
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
      res.end((bomb ??= gzipSync(Buffer.alloc(16 * 1024 * 1024))));
      return;
    case '/user-agent':
      res.end(req.headers['user-agent']);
      return;
    case '/missing':
      res.writeHead(404).end('not here');
      return;
    case '/gone':
      res.writeHead(410).end();
      return;
    case '/forbidden':
      res.writeHead(403).end();
      return;
    case '/busy':
      res.writeHead(429).end();
      return;
    case '/error':
      res.writeHead(500).end();
      return;
    case '/slow':
      setTimeout(() => res.end(PAGE), 5_000).unref();
      return;
    case '/stalled-body':
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<!doctype html><p>');
      return;
    case '/declared-large':
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('x');
      return;
    case '/endless': {
      // Never ends: only a limit enforced while streaming can stop reading it.
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const timer = setInterval(() => res.write(chunk), 1);
      res.on('close', () => clearInterval(timer));
      return;
    }
    default:
      res.writeHead(404).end();
  }
});

// The test site is on 127.0.0.1: allowed here by network, as FETCH_ALLOWED_HOSTS=127.0.0.1 would.
const local: FetchOptions = {
  policy: new OutboundPolicy(parseAllowlist('127.0.0.1').rules),
  timeoutMs: 2_000,
};

describe('fetchUrl', () => {
  it('downloads a page with its content type and validators', async () => {
    const fetched = await fetchUrl(`${site()}/page.html`, local);
    expect(fetched).toEqual({
      bytes: Buffer.from(PAGE),
      contentType: 'text/html; charset=utf-8',
      finalUrl: `${site()}/page.html`,
      etag: '"v1"',
      lastModified: 'Tue, 03 Mar 2026 10:00:00 GMT',
    });
  });

  it.each(['/gzip', '/deflate', '/br'])('unpacks a %s-encoded body', async (path) => {
    expect((await fetchUrl(`${site()}${path}`, local)).bytes.toString()).toBe(PAGE);
  });

  it('applies the size limit to the unpacked body', async () => {
    const options = { ...local, maxBytes: 1024 * 1024, timeoutMs: 10_000 };
    await expect(fetchUrl(`${site()}/bomb`, options)).rejects.toMatchObject({
      code: 'too_large',
      permanent: true,
    });
  });

  it('sends the configured user agent', async () => {
    const fetched = await fetchUrl(`${site()}/user-agent`, { ...local, userAgent: 'ParleyTest/1' });
    expect(fetched.bytes.toString()).toBe('ParleyTest/1');
  });

  it('follows a chain of 5 redirects and reports the final URL', async () => {
    const fetched = await fetchUrl(`${site()}/hops/4`, local);
    expect(fetched.finalUrl).toBe(`${site()}/page.html`);
    expect(fetched.bytes.toString()).toBe(PAGE);
  });

  it('gives up after 5 redirects', async () => {
    await expect(fetchUrl(`${site()}/hops/5`, local)).rejects.toMatchObject({
      code: 'fetch_failed',
      permanent: true,
    });
  });

  it.each([
    ['/missing', 'not_found', true],
    ['/gone', 'not_found', true],
    ['/forbidden', 'fetch_failed', true],
    ['/busy', 'fetch_failed', false],
    ['/error', 'fetch_failed', false],
  ])('maps %s to %s (permanent: %s)', async (path, code, permanent) => {
    await expect(fetchUrl(`${site()}${path}`, local)).rejects.toMatchObject({ code, permanent });
  });

  it('times out a server that does not answer, as a transient error', async () => {
    const started = Date.now();
    await expect(fetchUrl(`${site()}/slow`, { ...local, timeoutMs: 200 })).rejects.toMatchObject({
      code: 'timeout',
      permanent: false,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out a body that stops arriving', async () => {
    await expect(fetchUrl(`${site()}/stalled-body`, { ...local, timeoutMs: 300 })).rejects.toMatchObject({
      code: 'timeout',
    });
  });

  it('refuses a body declared larger than the limit before reading it', async () => {
    await expect(fetchUrl(`${site()}/declared-large`, { ...local, maxBytes: 1024 })).rejects.toMatchObject({
      code: 'too_large',
      permanent: true,
    });
  });

  it('stops reading an endless body as soon as it passes the limit', async () => {
    await expect(
      fetchUrl(`${site()}/endless`, { ...local, maxBytes: 256 * 1024, timeoutMs: 10_000 }),
    ).rejects.toMatchObject({ code: 'too_large', permanent: true });
  });

  it('reports a refused connection as a transient failure', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetchUrl(`http://127.0.0.1:${port}/`, local)).rejects.toMatchObject({
      code: 'fetch_failed',
      permanent: false,
      message: expect.stringContaining('ECONNREFUSED') as string,
    });
  });

  it('fetches only http and https URLs', async () => {
    for (const url of ['ftp://example.com/file.pdf', 'file:///etc/passwd', 'not a url']) {
      await expect(fetchUrl(url, local)).rejects.toMatchObject({ code: 'invalid_url', permanent: true });
    }
  });
});

describe('parseFetched', () => {
  it('parses a fetched page by sniffing its content', async () => {
    const parsed = await parseFetched(await fetchUrl(`${site()}/hops/0`, local));
    expect(parsed).toEqual({
      title: 'Refunds',
      text: '# Refunds\n\nWithin 30 days.',
      mimeType: 'text/html',
      markdown: true,
      slugAnchors: false,
    });
  });
});
