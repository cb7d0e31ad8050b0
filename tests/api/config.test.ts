import { ConfigError, loadConfig } from '../../src/config';

describe('account and protection settings', () => {
  it('have working defaults outside production', () => {
    const config = loadConfig({});
    expect(config.auth).toMatchObject({ accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 2_592_000 });
    expect(config.auth.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(config.smtp).toMatchObject({ host: '127.0.0.1', port: 1025, secure: false });
    expect(config.cors.origins).toEqual([]);
    expect(config.http.bodyLimitBytes).toBe(1024 * 1024);
  });

  it('require a JWT secret of their own in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    const secret = 'k7Qx2mVb9LpR4tZw8NcY1hJd6FsG3aEu';
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret });
    expect(config.auth.jwtSecret).toBe(secret);
  });

  it('read CORS origins as a comma-separated list of bare origins', () => {
    const config = loadConfig({ CORS_ORIGINS: 'https://a.example.com, http://localhost:5173' });
    expect(config.cors.origins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://a.example.com/app' })).toThrow(/CORS_ORIGINS/);
  });
});
