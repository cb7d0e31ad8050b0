import { Writable } from 'node:stream';
import { createLogger } from '../../src/lib/logger';
import { temporalLogger } from '../../src/worker/observability';
import { useTestApi } from '../helpers/api';
import { signUp } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';

/** Parley's logger, with its JSON lines landing in `lines`. */
function capturingLogger(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger({ level, name: 'test' }, stream), lines };
}

const db = useTestDatabase();
const captured = capturingLogger();
const api = useTestApi(db, { logger: captured.logger });

describe('structured logs', () => {
  it('tags every request line with its request id, and with the organization once signed in', async () => {
    const owner = await signUp(api());
    const response = await fetch(`${api().baseUrl}/v1/organization`, {
      headers: { authorization: `Bearer ${owner.session.accessToken}`, 'x-request-id': 'trace-me-123' },
    });
    expect(response.headers.get('x-request-id')).toBe('trace-me-123');
    const line = captured.lines.find((l) => l.requestId === 'trace-me-123');
    expect(line).toMatchObject({
      requestId: 'trace-me-123',
      organizationId: owner.session.organization.id,
      res: { statusCode: 200 },
    });
    expect(JSON.stringify(line)).not.toContain(owner.session.accessToken);
  });

  it('routes Temporal log entries through pino with their workflow and activity ids', () => {
    const { logger, lines } = capturingLogger('debug');
    const temporal = temporalLogger(logger);
    temporal.info('Activity failed', { workflowId: 'turn-1', activityId: '3', attempt: 2 });
    temporal.trace('too chatty', {});
    temporal.error('Workflow failed', { workflowId: 'turn-2' });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'Activity failed',
        workflowId: 'turn-1',
        activityId: '3',
        attempt: 2,
      }),
      expect.objectContaining({ level: 50, msg: 'Workflow failed', workflowId: 'turn-2' }),
    ]);
  });
});
