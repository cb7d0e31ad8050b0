import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { temporal as proto } from '@temporalio/proto';
import { activityIntervals, coveredMs, eventMs, workflowTimes } from '../../scripts/lib/history';
import { percentile, summarize } from '../../scripts/lib/stats';
import { projectRoot } from '../../src/lib/paths';

const recordedHistory = (name: string) =>
  proto.api.history.v1.History.fromObject(
    JSON.parse(
      fs.readFileSync(path.join(projectRoot, 'tests', 'fixtures', 'histories', `${name}.json`), 'utf8'),
    ) as Record<string, unknown>,
  ).events;

describe('benchmark harness', () => {
  it('counts activities that ran in parallel once when it sums activity time', () => {
    const intervals = [
      { type: 'a', start: 0, end: 10 },
      { type: 'b', start: 5, end: 20 },
      { type: 'c', start: 30, end: 35 },
      { type: 'd', start: 31, end: 33 },
    ];
    expect(coveredMs(intervals)).toBe(25);
    expect(coveredMs([])).toBe(0);
  });

  it('reports nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(
      percentile(
        [...samples].sort((a, b) => a - b),
        95,
      ),
    ).toBe(95);
    expect(summarize(samples)).toMatchObject({ n: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(summarize([]).p95).toBeNaN();
  });

  it("times a turn's local activities from their own scheduling, and its workflow tasks apart", () => {
    // A recorded answer: one workflow task ran loadTurnContext, then scoreSentiment and
    // retrievePassages side by side; generateAnswer was a regular activity; recordTurn ran locally in
    // the last workflow task. Times in ms from the workflow's start.
    const events = recordedHistory('chat-turn-answer');
    const t0 = eventMs(events[0]!);
    const rounded = activityIntervals(events).map((i) => ({
      type: i.type,
      start: Math.round(i.start - t0),
      end: Math.round(i.end - t0),
    }));
    expect(rounded).toEqual([
      // Scheduled 122.0 ms in, ran 48.7 ms (its completion, 69.2, is workflow time: task start 20.5 + 48.7).
      { type: 'local loadTurnContext', start: 122, end: 171 },
      { type: 'local scoreSentiment', start: 202, end: 277 },
      // Ends with its workflow task (386.1 ms), not 10 ms after it (the worker's and server's clocks).
      { type: 'local retrievePassages', start: 202, end: 386 },
      { type: 'generateAnswer', start: 386, end: 550 },
      { type: 'local recordTurn', start: 634, end: 696 },
    ]);
    const times = workflowTimes(events);
    expect(Math.round(times.wall)).toBe(736);
    expect(Math.round(times.localActivities)).toBe(295); // 48.7 + 184.1 + 61.8
    expect(Math.round(times.activities)).toBe(458); // + generateAnswer's 163.6
    // Workflow tasks 20.5→386.1 and 577.5→736.2 ms, less the local activities they ran.
    expect(Math.round(times.workflowTasks)).toBe(230);
    expect(Math.round(times.overhead)).toBe(Math.round(times.wall - times.activities));
    expect(times.workflowTasks).toBeLessThan(times.overhead);
  });
});

describe('vector search threads', () => {
  /** What libgomp itself read when faiss-node loaded it (OMP_DISPLAY_ENV prints its settings). */
  function openMpSpinCount(env: NodeJS.ProcessEnv): string | undefined {
    const child = spawnSync(
      process.execPath,
      ['--require', 'tsx/cjs', '--eval', "require('./src/ai/vector-index')"],
      { cwd: projectRoot, env: { ...env, OMP_DISPLAY_ENV: 'VERBOSE' }, encoding: 'utf8' },
    );
    expect(child.status).toBe(0);
    return /GOMP_SPINCOUNT = '(\d+)'/.exec(child.stderr)?.[1];
  }

  it("let FAISS's idle OpenMP threads sleep instead of spinning, unless the environment says otherwise", () => {
    const { OMP_WAIT_POLICY: _unset, ...environment } = process.env;
    // libgomp reads the policy once, when faiss-node loads it: the vector index sets it first.
    expect(openMpSpinCount(environment)).toBe('0');
    expect(Number(openMpSpinCount({ ...environment, OMP_WAIT_POLICY: 'ACTIVE' }))).toBeGreaterThan(0);
  }, 60_000);
});
