import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { checkDatabase } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

export interface HealthCheckResult {
  workflowId: string;
  databaseTime: string;
  workerPid: number;
}

/** Proves the wiring end to end: client → server → worker → activity → PostgreSQL. */
export async function healthCheck(): Promise<HealthCheckResult> {
  const check = await checkDatabase();
  return { workflowId: workflowInfo().workflowId, ...check };
}
