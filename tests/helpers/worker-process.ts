import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

/** A worker as its own OS process (`src/worker/main.ts`), so tests can SIGKILL it like a crash would. */
export function startWorkerProcess(
  taskQueue: string,
  logFile: string,
  env: Record<string, string> = {},
): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  // `node --import tsx` rather than the tsx binary: one process, so a signal reaches the worker itself.
  return spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'info',
      WORKER_HEALTH_PORT: String(20_000 + Math.floor(Math.random() * 20_000)),
      ...env,
    },
    stdio: ['ignore', log, log],
  });
}

export function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}
