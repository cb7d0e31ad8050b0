import { type NativeConnection, Worker } from '@temporalio/worker';
import type { Config } from '../config';
import { createActivities, type ActivityDependencies } from '../activities';
import type { Tracing } from '../observability/tracing';
import { activityInterceptors, workflowSinks } from './observability';

export interface WorkerOptions {
  connection: NativeConnection;
  temporal: Config['temporal'];
  dependencies: ActivityDependencies;
  /** Path of the prebuilt workflow bundle (see scripts/bundle-workflows.ts). */
  workflowBundlePath: string;
  /** Where workflow and activity spans go; spans are dropped when absent. */
  tracing?: Pick<Tracing, 'spanProcessor' | 'resource'>;
}

/** One worker serving every workflow and activity of Parley on the task queue. */
export function createWorker(options: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.temporal.namespace,
    taskQueue: options.temporal.taskQueue,
    // The bundle already holds the workflow interceptors (src/worker/bundle.ts).
    workflowBundle: { codePath: options.workflowBundlePath },
    activities: createActivities(options.dependencies),
    interceptors: { activity: activityInterceptors },
    sinks: workflowSinks(options.tracing),
  });
}
