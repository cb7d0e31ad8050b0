import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

describe('configuration', () => {
  it('has safe defaults for local development', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.temporal).toMatchObject({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'parley',
    });
    expect(config.embeddings).toMatchObject({ provider: 'local', model: 'all-MiniLM-L6-v2' });
  });

  it("takes Checkout's and the Billing Portal's origins from Stripe, or from STRIPE_API_BASE (the emulator)", () => {
    expect(loadConfig({}).billing.stripe).toBeUndefined();
    expect(loadConfig({ STRIPE_SECRET_KEY: 'sk_live_x' }).billing.stripe!.hostedPageOrigins).toEqual([
      'https://checkout.stripe.com',
      'https://billing.stripe.com',
    ]);
    const emulated = loadConfig({
      STRIPE_SECRET_KEY: 'sk_test_x',
      STRIPE_API_BASE: 'http://127.0.0.1:8421/',
    });
    expect(emulated.billing.stripe!.hostedPageOrigins).toEqual(['http://127.0.0.1:8421']);
  });

  it('reports every invalid variable at once', () => {
    let error: unknown;
    try {
      loadConfig({
        HTTP_PORT: 'eighty',
        DATABASE_URL: 'not a url',
        LOG_LEVEL: 'loud',
        EMBEDDINGS_PROVIDER: 'openai',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const fields = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(fields.sort()).toEqual(['DATABASE_URL', 'HTTP_PORT', 'LOG_LEVEL', 'OPENAI_API_KEY']);
  });

  it('refuses passages too small to carry a sentence, and retrieval settings it does not know', () => {
    expect(() => loadConfig({ CHUNK_SIZE: '50' })).toThrow('CHUNK_SIZE');
    expect(loadConfig({ CHUNK_SIZE: '120' }).ingestion).toMatchObject({ chunkSize: 120 });
    expect(() => loadConfig({ RETRIEVAL_MODE: 'magic' })).toThrow('RETRIEVAL_MODE');
    expect(loadConfig({ RETRIEVAL_MODE: 'dense', RETRIEVAL_FUSION: 'rrf' }).retrieval).toMatchObject({
      mode: 'dense',
      fusion: 'rrf',
    });
  });

  it('stops a process at boot with a readable list of problems', () => {
    const root = path.join(__dirname, '..', '..');
    const result = spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/api/server.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, HTTP_PORT: '0x', TEMPORAL_UI_URL: 'nope' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('Invalid configuration:');
    expect(result.stderr).toMatch(/- HTTP_PORT: /);
    expect(result.stderr).toMatch(/- TEMPORAL_UI_URL: /);
  });
});
