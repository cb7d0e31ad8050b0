import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../src/config';
import type { healthCheck } from '../src/workflows';

/** Runs the health workflow once through the real worker and prints where to see it in the Temporal UI. */
async function main(): Promise<void> {
  const { temporal } = loadConfigOrExit();
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const client = new Client({ connection, namespace: temporal.namespace });
    const workflowId = `health-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const result = await client.workflow.execute<typeof healthCheck>('healthCheck', {
      taskQueue: temporal.taskQueue,
      workflowId,
      workflowExecutionTimeout: '1 minute',
    });
    console.log(
      `health workflow completed (database time ${result.databaseTime}, worker pid ${result.workerPid})`,
    );
    console.log(`  ${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows/${workflowId}`);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
