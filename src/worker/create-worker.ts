import { type NativeConnection, Worker } from '@temporalio/worker';
import type { Config } from '../config';
import { createActivities, type ActivityDependencies } from '../activities';

export interface WorkerOptions {
  connection: NativeConnection;
  temporal: Config['temporal'];
  dependencies: ActivityDependencies;
  /** Path of the prebuilt workflow bundle (see scripts/bundle-workflows.ts). */
  workflowBundlePath: string;
}

/** One worker serving every workflow and activity of Parley on the task queue. */
export function createWorker(options: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.temporal.namespace,
    taskQueue: options.temporal.taskQueue,
    workflowBundle: { codePath: options.workflowBundlePath },
    activities: createActivities(options.dependencies),
  });
}
