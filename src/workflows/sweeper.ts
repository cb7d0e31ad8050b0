import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SweepScope } from './contracts';

const { startOrphanedTurns } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute' },
});

/** Sweeps this often; a new run every this many sweeps keeps the history short. */
const INTERVAL = '1 minute';
const SWEEPS_PER_RUN = 60;

/**
 * A visitor message is stored before its chat turn starts, so a message posted while Temporal was
 * unreachable has no turn until its client retries. This workflow, one per task queue and started
 * by the worker, starts the turn of every such message its client gave up on (startOrphanedTurns).
 */
export async function sweepOrphanedTurns(scope: SweepScope = {}): Promise<void> {
  for (let sweep = 0; sweep < SWEEPS_PER_RUN; sweep++) {
    await startOrphanedTurns(scope);
    await sleep(INTERVAL);
  }
  await continueAsNew<typeof sweepOrphanedTurns>(scope);
}
