import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/lib/paths';
import settings from '../../loadtest/lib/settings.json';

/**
 * loadtest/lib/settings.json is the one definition of the load scenarios: `npm run load:<profile>`
 * (scripts/load.ts) imports it, and the k6 scripts must take their users and durations from it as it
 * is. k6 is not installable here, so each script's `options` are read with k6's modules stood in for.
 */
jest.mock('k6', () => ({ check: () => true, sleep: () => undefined }), { virtual: true });
jest.mock('k6/http', () => ({}), { virtual: true });
jest.mock('k6/ws', () => ({}), { virtual: true });
jest.mock('k6/metrics', () => ({ Rate: class {}, Trend: class {} }), { virtual: true });

type Scenario = Record<string, unknown>;
const LIB = path.join(projectRoot, 'loadtest', 'lib');

function k6Options(script: string): { scenarios: Record<string, Scenario> } {
  const k6Globals = {
    __ENV: {},
    open: (file: string) => fs.readFileSync(path.resolve(LIB, file), 'utf8'),
  };
  Object.assign(globalThis, k6Globals);
  let options: { scenarios: Record<string, Scenario> } | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    options = (require(path.join(projectRoot, 'loadtest', script)) as { options: typeof options }).options;
  });
  return options!;
}

const ramp = (users: number, seconds: number) => ({
  executor: 'ramping-vus',
  startVUs: 0,
  stages: [
    { duration: `${settings.chat.rampSeconds}s`, target: users },
    { duration: `${seconds}s`, target: users },
  ],
});

describe('the load scenarios (loadtest/lib/settings.json)', () => {
  it('are what the k6 chat script runs', () => {
    expect(k6Options('chat.js').scenarios).toEqual({
      chat: { ...ramp(settings.chat.users, settings.chat.seconds), gracefulStop: '70s' },
    });
  });

  it('are what the k6 API script runs', () => {
    expect(k6Options('api.js').scenarios).toEqual({
      api: { executor: 'constant-vus', vus: settings.api.users, duration: `${settings.api.seconds}s` },
    });
  });

  it('are what the k6 soak script runs', () => {
    expect(k6Options('soak.js').scenarios).toEqual({
      chat: { ...ramp(settings.soak.chatUsers, settings.soak.seconds), exec: 'chat', gracefulStop: '70s' },
      api: {
        executor: 'constant-vus',
        vus: settings.soak.apiUsers,
        duration: `${settings.soak.seconds}s`,
        exec: 'api',
      },
    });
  });

  it('are what the k6 ingestion script runs', () => {
    expect(k6Options('ingest.js').scenarios.burst).toMatchObject({ vus: settings.ingest.documents });
  });

  it('are the ones the Node runner reads: scripts/load.ts imports the same file', () => {
    const runner = fs.readFileSync(path.join(projectRoot, 'scripts', 'load.ts'), 'utf8');
    expect(runner).toContain("from '../loadtest/lib/settings.json'");
    // No duration of its own: every default is the settings' seconds.
    expect(runner.match(/seconds\((\d+)\)/g)).toBeNull();
  });
});
