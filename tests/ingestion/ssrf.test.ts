import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { loadConfig } from '../../src/config';
import { fetchSitemap, fetchUrl } from '../../src/ingestion';
import { OutboundPolicy, outboundRequest, parseAllowlist } from '../../src/outbound';
import { useLoopbackOnlyNetwork } from '../helpers/loopback-only';

/**
 * The outbound guard (src/outbound) against a real local web server: what a tenant admin could point
 * a URL or sitemap source at to read the machine's own services back through the assistant.
 */

useLoopbackOnlyNetwork();

interface Site {
  server: Server;
  port: number;
  hits: string[];
}

async function listen(
  host: string,
  handler: (url: string, site: Site) => [number, Record<string, string>, string],
): Promise<Site> {
  const site: Site = { server: createServer(), port: 0, hits: [] };
  site.server.on('request', (req, res) => {
    site.hits.push(req.url!);
    const [status, headers, body] = handler(req.url!, site);
    res.writeHead(status, headers).end(body);
  });
  await new Promise<void>((resolve) => site.server.listen(0, host, resolve));
  site.port = (site.server.address() as AddressInfo).port;
  return site;
}

const SECRET = 'internal secret: parley_http_request_duration_seconds';
let inside: Site; // a service of the machine's own (the API's /metrics, the Temporal UI, the worker)
let help: Site; // an allowlisted help centre that redirects elsewhere
let outside: Site; // stands in for a public site: on 127.0.0.2, allowed by network in some tests

beforeAll(async () => {
  inside = await listen('127.0.0.1', () => [200, { 'content-type': 'text/plain' }, SECRET]);
  const redirect = (url: string): [number, Record<string, string>, string] => {
    const to = new URL(url, 'http://x').searchParams.get('to');
    return to
      ? [302, { location: to }, '']
      : [200, { 'content-type': 'text/html' }, '<title>Help</title><p>Hi</p>'];
  };
  help = await listen('127.0.0.1', redirect);
  outside = await listen('127.0.0.2', redirect);
});

afterAll(async () => {
  for (const site of [inside, help, outside]) {
    site.server.closeAllConnections();
    await new Promise((resolve) => site.server.close(resolve));
  }
});

const policy = (setting = ''): OutboundPolicy => new OutboundPolicy(parseAllowlist(setting).rules);
const options = (p: OutboundPolicy, lookup?: LookupFunction) => ({ policy: p, timeoutMs: 3_000, lookup });

/** A stand-in DNS server: `answers(name, call)` gives the address of the call-th lookup of that name. */
function dns(answers: (hostname: string, call: number) => string): {
  lookup: LookupFunction;
  calls: string[];
} {
  const calls: string[] = [];
  const lookup = ((
    hostname: string,
    lookupOptions: { all?: boolean },
    callback: (...args: unknown[]) => void,
  ) => {
    calls.push(hostname);
    const address = answers(hostname, calls.filter((h) => h === hostname).length);
    const family = address.includes(':') ? 6 : 4;
    if (lookupOptions.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
  return { lookup, calls };
}

describe('the outbound guard', () => {
  it.each([
    '127.0.0.1',
    '0x7f000001',
    '2130706433',
    '0177.0.0.1',
    '127.1',
    '[::ffff:127.0.0.1]',
    '[::1]',
    '0.0.0.0',
    '0',
    '[::]',
    'localhost',
  ])('refuses %s in every mode, and the service never hears of it', async (host) => {
    for (const NODE_ENV of ['development', 'production', 'test']) {
      const config = loadConfig({
        NODE_ENV,
        JWT_SECRET: 'k7Qx2mVb9LpR4tZw8NcY1hJd6FsG3aEu',
        FETCH_ALLOWED_HOSTS: '',
      });
      const p = new OutboundPolicy(config.outbound.allowlist);
      await expect(fetchUrl(`http://${host}:${inside.port}/metrics`, options(p))).rejects.toMatchObject({
        code: 'blocked_address',
        permanent: true,
      });
    }
    expect(inside.hits).toEqual([]);
  });

  it.each([
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['a private network', 'http://10.1.2.3/'],
    ['another private network', 'http://192.168.1.1/'],
    ['a third private network', 'http://172.16.0.1/'],
    ['carrier-grade NAT', 'http://100.64.0.1/'],
    ['IPv6 link-local', 'http://[fe80::1]/'],
    ['IPv6 unique-local', 'http://[fd00::1]/'],
    ['NAT64 of loopback', 'http://[64:ff9b::7f00:1]/'],
  ])('refuses %s before connecting', async (_what, url) => {
    await expect(fetchUrl(url, options(policy()))).rejects.toMatchObject({ code: 'blocked_address' });
  });

  it('refuses a name that resolves to loopback or link-local when the socket connects', async () => {
    const { lookup, calls } = dns((name) => (name === 'metadata.test' ? '169.254.169.254' : '127.0.0.1'));
    for (const name of ['intranet.test', 'metadata.test']) {
      await expect(
        fetchUrl(`http://${name}:${inside.port}/metrics`, options(policy(), lookup)),
      ).rejects.toMatchObject({ code: 'blocked_address' });
    }
    expect(calls).toEqual(['intranet.test', 'metadata.test']);
    expect(inside.hits).toEqual([]);
  });

  it('checks the address it connects to: a name that rebinds after a first answer cannot pass', async () => {
    // The first answer is allowed (127.0.0.2 stands in for a public address); later ones point inside.
    // A check before connecting would see the first answer and connect to a later one.
    const { lookup, calls } = dns((_name, call) => (call === 1 ? '127.0.0.2' : '127.0.0.1'));
    await expect(
      fetchUrl(`http://rebind.test:${inside.port}/metrics`, options(policy('127.0.0.2'), lookup)),
    ).rejects.toMatchObject({
      code: 'fetch_failed',
      message: expect.stringContaining('ECONNREFUSED') as string,
    });
    expect(calls).toEqual(['rebind.test']); // one resolution, and that address is the one connected to
    expect(inside.hits).toEqual([]);
  });

  it('checks every redirect: from an allowed site to a private address is refused', async () => {
    const p = policy(`http://localhost:${help.port}, 127.0.0.2`);
    for (const target of [
      `http://127.0.0.1:${inside.port}/metrics`,
      `http://0x7f000001:${inside.port}/metrics`,
      `http://localhost:${inside.port}/metrics`,
      'http://169.254.169.254/latest/meta-data/',
    ]) {
      for (const start of [`http://localhost:${help.port}`, `http://127.0.0.2:${outside.port}`]) {
        await expect(
          fetchUrl(`${start}/go?to=${encodeURIComponent(target)}`, options(p)),
        ).rejects.toMatchObject({ code: 'blocked_address' });
      }
    }
    expect(inside.hits).toEqual([]);
    // A sitemap is fetched the same way.
    await expect(
      fetchSitemap(
        `http://localhost:${help.port}/go?to=${encodeURIComponent(`http://127.0.0.1:${inside.port}/`)}`,
        {
          ...options(p),
          maxPages: 10,
        },
      ),
    ).rejects.toMatchObject({ code: 'blocked_address' });
    expect(inside.hits).toEqual([]);
  });

  it('lets the allowlisted origin through, and nothing else on that machine', async () => {
    const p = policy(`http://localhost:${help.port}`);
    const fetched = await fetchUrl(`http://localhost:${help.port}/help`, options(p));
    expect(fetched.bytes.toString()).toContain('<title>Help</title>');
    // Same machine, another port; the same server under another name.
    for (const url of [`http://localhost:${inside.port}/metrics`, `http://127.0.0.1:${help.port}/help`]) {
      await expect(fetchUrl(url, options(p))).rejects.toMatchObject({ code: 'blocked_address' });
    }
    expect(inside.hits).toEqual([]);
  });

  it('lets allowlisted hosts and networks through', async () => {
    const { lookup } = dns(() => '127.0.0.1');
    const byHost = await outboundRequest(`http://wiki.corp:${inside.port}/`, {
      ...options(policy(`wiki.corp:${inside.port}`), lookup),
      maxBytes: 1024,
    });
    expect(byHost.body.toString()).toBe(SECRET);
    const byNetwork = await outboundRequest(`http://127.0.0.2:${outside.port}/`, {
      ...options(policy('127.0.0.0/30')),
      maxBytes: 1024,
    });
    expect(byNetwork.status).toBe(200);
  });
});

describe('FETCH_ALLOWED_HOSTS', () => {
  it('reads origins, host names, host:port, addresses and networks', () => {
    expect(
      parseAllowlist('http://localhost:3000, wiki.corp, Docs.Corp:8080, 10.0.0.0/8, fd00::/8, 10.1.2.3'),
    ).toEqual({
      rules: [
        { kind: 'origin', origin: 'http://localhost:3000' },
        { kind: 'host', hostname: 'wiki.corp' },
        { kind: 'host', hostname: 'docs.corp', port: 8080 },
        { kind: 'network', cidr: '10.0.0.0/8' },
        { kind: 'network', cidr: 'fd00::/8' },
        { kind: 'network', cidr: '10.1.2.3' },
      ],
      problems: [],
    });
  });

  it('refuses entries that are none of these, at boot', () => {
    expect(() =>
      loadConfig({ FETCH_ALLOWED_HOSTS: 'http://wiki.corp/path, 10.0.0.0/33, wiki corp' }),
    ).toThrow(/FETCH_ALLOWED_HOSTS: .*http:\/\/wiki.corp\/path[\s\S]*10\.0\.0\.0\/33[\s\S]*wiki corp/);
  });

  it('replaces ALLOW_PRIVATE_URLS, which a deploy may not rely on silently', () => {
    expect(() => loadConfig({ ALLOW_PRIVATE_URLS: 'true' })).toThrow(/ALLOW_PRIVATE_URLS: was removed/);
    expect(loadConfig({ NODE_ENV: 'development' }).outbound.allowlist).toEqual([]);
  });
});
