import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/lib/paths';

/**
 * A sync that fails (PostgreSQL down) must fail its caller only. It once also left a rejected promise
 * unhandled, and Node ends a process on that: a database outage killed the worker. Run in a process
 * of its own, where an unhandled rejection shows as a non-zero exit.
 */
describe('TenantIndexStore', () => {
  it('fails a sync when PostgreSQL cannot be reached, and the process lives on', async () => {
    const script = `
      const { TenantIndexStore } = require('./src/ai/tenant-index');
      const { createKnex } = require('./src/db/knex');
      const { bindModels } = require('./src/db/bind');
      const { createLogger } = require('./src/lib/logger');
      const knex = createKnex({ url: 'postgres://postgres@127.0.0.1:1/unreachable', poolMax: 1 });
      bindModels(knex);
      const logger = createLogger({ level: 'silent', name: 'tenant-index-test' });
      const store = new TenantIndexStore({
        knex, dir: require('node:os').tmpdir(), embedder: { model: 'local/all-MiniLM-L6-v2', dimension: 384 }, logger,
      });
      store
        .sync('00000000-0000-0000-0000-000000000000')
        .catch((error) => {
          console.log('sync failed:', error.code);
          // An unhandled rejection left by the failure would end the process before this.
          setTimeout(() => console.log('alive'), 300);
        });
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
      cwd: projectRoot,
    });
    expect(stdout).toContain('sync failed: ECONNREFUSED');
    expect(stdout).toContain('alive');
  });
});
