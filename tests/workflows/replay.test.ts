import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { temporal as proto } from '@temporalio/proto';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflows, WORKFLOW_INTERCEPTOR_MODULES } from '../../src/worker/bundle';
import { workflowSinks } from '../../src/worker/observability';

/**
 * Workflow versioning guard: the histories recorded by `npm run histories:record` (real runs of the
 * workflows as they were) must replay against today's bundle. A change to a workflow that running
 * executions would trip over fails here; make it with patched()/deprecatePatch() (ARCHITECTURE.md).
 */
const HISTORIES = path.join(__dirname, '..', 'fixtures', 'histories');

function loadHistories(): { workflowId: string; history: proto.api.history.v1.IHistory }[] {
  return fs
    .readdirSync(HISTORIES)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({
      workflowId: name.replace(/\.json$/, ''),
      history: proto.api.history.v1.History.fromObject(
        JSON.parse(fs.readFileSync(path.join(HISTORIES, name), 'utf8')) as Record<string, unknown>,
      ),
    }));
}

const replayOptions = (code: string) => ({
  workflowBundle: { code },
  sinks: workflowSinks(),
});

describe('workflow history replay', () => {
  const histories = loadHistories();

  beforeAll(() => {
    // The rejected replay below is expected; keep the SDK from logging it as a worker failure.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  });

  it('has recorded histories of every workflow', () => {
    const kinds = new Set(
      histories.map(
        ({ history }) => history.events![0]!.workflowExecutionStartedEventAttributes!.workflowType!.name,
      ),
    );
    expect([...kinds].sort()).toEqual([
      'chatTurn',
      'healthCheck',
      'ingestDocument',
      'subscriptionLifecycle',
      'sweepOrphanedTurns',
      'ticketLifecycle',
    ]);
  });

  it('replays every recorded history against the current workflow bundle', async () => {
    const code = await bundleWorkflows();
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(replayOptions(code), histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it.each([
    ['a chat turn', 'incompatible-chat-turn.ts', 'chat-turn-answer'],
    ['a ticket lifecycle', 'incompatible-ticket-lifecycle.ts', 'ticket-sla-breach'],
  ])(
    'rejects %s changed without patched()',
    async (_kind, fixture, recorded) => {
      const { code } = await bundleWorkflowCode({
        workflowsPath: path.join(__dirname, '..', 'fixtures', 'workflows', fixture),
        workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
        logger: new DefaultLogger('WARN'),
      });
      const { history, workflowId } = histories.find((h) => h.workflowId === recorded)!;
      await expect(Worker.runReplayHistory(replayOptions(code), history, workflowId)).rejects.toBeInstanceOf(
        DeterminismViolationError,
      );
    },
    120_000,
  );
});
