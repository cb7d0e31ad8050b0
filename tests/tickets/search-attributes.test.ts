import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createLogger } from '../../src/lib/logger';
import { projectRoot } from '../../src/lib/paths';
import { ensureSearchAttributes, SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';

describe('search attributes on a fresh Temporal server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    // A dev server of its own (not the shared one), starting without Parley's attributes.
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: path.join(projectRoot, '.tools', 'bin', 'temporal') },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await env?.teardown();
  });

  it('are registered by the worker at start-up, once', async () => {
    const list = async () =>
      Object.keys(
        (await env.connection.operatorService.listSearchAttributes({ namespace: env.namespace ?? 'default' }))
          .customAttributes ?? {},
      );
    expect(await list()).not.toContain('TicketId');
    const address = env.address;
    const logger = createLogger({ level: 'silent', name: 'test' });
    await ensureSearchAttributes({ address, namespace: env.namespace ?? 'default' }, logger);
    await ensureSearchAttributes({ address, namespace: env.namespace ?? 'default' }, logger);
    expect(await list()).toEqual(expect.arrayContaining([...SEARCH_ATTRIBUTES]));
  });
});
