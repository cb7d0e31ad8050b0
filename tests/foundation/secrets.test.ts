import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, TEST_JWT_SECRET } from '../../src/config';

const root = path.join(__dirname, '..', '..');
/** The development default of earlier releases: public, so anyone could sign an owner's token with it. */
const PUBLISHED_SECRET = 'parley-development-secret-do-not-use-in-production';

describe('signing secrets', () => {
  it('refuse the secrets published in the source outside NODE_ENV=test', () => {
    for (const NODE_ENV of ['development', 'production', undefined]) {
      for (const secret of [PUBLISHED_SECRET, TEST_JWT_SECRET]) {
        expect(() => loadConfig({ NODE_ENV, JWT_SECRET: secret })).toThrow(/JWT_SECRET: .*published/);
        expect(() => loadConfig({ NODE_ENV, CSRF_SECRET: secret })).toThrow(/CSRF_SECRET: .*published/);
      }
    }
    expect(loadConfig({ NODE_ENV: 'test' }).auth.jwtSecret).toBe(TEST_JWT_SECRET);
  });

  it('refuse placeholders: too few different characters to be random', () => {
    for (const [name, value] of [
      ['JWT_SECRET', 'x'.repeat(40)],
      ['JWT_SECRET', 'abababababababababababababababababab'],
      ['CSRF_SECRET', '0123456789'.repeat(4)],
      ['METRICS_TOKEN', 'aaaaaaaaaaaaaaaaaaaa'],
    ] as const) {
      expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(
        new RegExp(`${name}: .*placeholder`),
      );
    }
  });

  it('sign with a random key of the process when development sets none, never with a published one', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(config.auth.ephemeralJwtSecret).toBe(true);
    expect([PUBLISHED_SECRET, TEST_JWT_SECRET]).not.toContain(config.auth.jwtSecret);
    expect(config.auth.jwtSecret.length).toBeGreaterThanOrEqual(43);
    // One process, one key: every part of it verifies what another part signed.
    expect(loadConfig({ NODE_ENV: 'development' }).auth.jwtSecret).toBe(config.auth.jwtSecret);
    // The CSRF key is another key, derived from the signing key unless set.
    expect(config.auth.csrfSecret).not.toBe(config.auth.jwtSecret);
  });

  it('stop the API at boot when it is given the published secret', () => {
    const result = spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/api/server.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'development',
        JWT_SECRET: PUBLISHED_SECRET,
        HTTP_PORT: '39999',
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toMatch(/- JWT_SECRET: .*published/);
    expect(result.status).toBe(78);
  });
});

describe('the quick start', () => {
  const env = (dir: string, extra: Record<string, string> = {}): Record<string, string> => {
    const out = execFileSync(
      'bash',
      [
        '-c',
        'source scripts/lib.sh && source scripts/quick-start-env.sh && quick_start_env "$1" && env',
        '_',
        path.join(dir, 'secrets.env'),
      ],
      { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...extra } },
    );
    return Object.fromEntries(
      out.split('\n').flatMap((line) => {
        const at = line.indexOf('=');
        return at > 0 ? [[line.slice(0, at), line.slice(at + 1)]] : [];
      }),
    );
  };

  it('makes random secrets on first run, keeps them readable by their owner alone, and reuses them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-secrets-'));
    try {
      const first = env(dir);
      const file = path.join(dir, 'secrets.env');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const values = ['JWT_SECRET', 'CSRF_SECRET', 'METRICS_TOKEN'].map((name) => first[name]);
      expect(new Set(values).size).toBe(3);
      // Strong enough for the configuration outside tests.
      const config = loadConfig({ NODE_ENV: 'development', ...first });
      expect(config.auth.jwtSecret).toBe(first.JWT_SECRET);
      expect(config.auth.ephemeralJwtSecret).toBe(false);
      expect(config.observability.metricsToken).toBe(first.METRICS_TOKEN);

      // A second run reuses them; a file left readable by others is closed again.
      fs.chmodSync(file, 0o644);
      const second = env(dir);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect([second.JWT_SECRET, second.CSRF_SECRET, second.METRICS_TOKEN]).toEqual(values);

      // A secret set in the environment wins over the file, which keeps its own.
      const own = 'an-operator-chosen-secret-Zq8Kx2Lm9Pw4Rt7Vb1Nc';
      expect(env(dir, { JWT_SECRET: own }).JWT_SECRET).toBe(own);
      expect(fs.readFileSync(file, 'utf8')).toContain(`JWT_SECRET=${first.JWT_SECRET}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lets URL sources reach PUBLIC_URL's origin (the demo's help centre) and no other private address", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-secrets-'));
    try {
      expect(env(dir)).toMatchObject({
        PUBLIC_URL: 'http://localhost:3000',
        FETCH_ALLOWED_HOSTS: 'http://localhost:3000',
      });
      expect(env(dir, { HTTP_PORT: '4000' }).FETCH_ALLOWED_HOSTS).toBe('http://localhost:4000');
      expect(env(dir, { PUBLIC_URL: 'https://help.example.com/base/' }).FETCH_ALLOWED_HOSTS).toBe(
        'https://help.example.com',
      );
      const config = loadConfig({ NODE_ENV: 'development', ...env(dir) });
      expect(config.outbound.allowlist).toEqual([{ kind: 'origin', origin: 'http://localhost:3000' }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('listens on the loopback interface unless HTTP_HOST says otherwise', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-secrets-'));
    try {
      expect(env(dir).HTTP_HOST).toBe('127.0.0.1');
      expect(env(dir, { HTTP_HOST: '0.0.0.0' }).HTTP_HOST).toBe('0.0.0.0');
      expect(loadConfig({ NODE_ENV: 'development' }).http.host).toBe('127.0.0.1');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
