import { randomUUID } from 'node:crypto';
import type { healthCheck } from '../../src/workflows';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const temporal = useTestWorker(db);

describe('health workflow', () => {
  it('runs end to end: client, Temporal server, worker, activity and PostgreSQL', async () => {
    const { client, taskQueue } = temporal();
    const workflowId = `health-${randomUUID()}`;
    const result = await client.workflow.execute<typeof healthCheck>('healthCheck', {
      taskQueue,
      workflowId,
    });

    expect(result.workflowId).toBe(workflowId);
    expect(result.workerPid).toBe(process.pid);
    expect(Date.now() - Date.parse(result.databaseTime)).toBeLessThan(60_000);

    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const activities = history.events?.filter((e) => e.activityTaskScheduledEventAttributes) ?? [];
    expect(activities.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)).toEqual([
      'checkDatabase',
    ]);
  });
});
