import { execFile } from 'node:child_process';
import path from 'node:path';

/**
 * The layers of ARCHITECTURE.md are lint rules (eslint.config.mjs): each case puts one import into a
 * real file of a layer and expects lint to refuse it, or to let it through.
 */

interface Case {
  file: string;
  code: string;
  refused: boolean;
}

const cases: Case[] = [
  // Services are below the HTTP layer.
  {
    file: 'src/services/usage.ts',
    code: "import { principalOf } from '../api/auth/principal';",
    refused: true,
  },
  {
    file: 'src/services/usage.ts',
    code: "import { authenticateConsole } from '../web/session';",
    refused: true,
  },
  { file: 'src/services/usage.ts', code: "import { problems } from '../lib/problem';", refused: false },
  {
    file: 'src/services/visitors.ts',
    code: "import type { WireMessage } from '../live/protocol';",
    refused: false,
  },
  {
    file: 'src/services/visitors.ts',
    code: "import { clientFrame } from '../live/protocol';",
    refused: true,
  },
  // Activities and workflows are below the services, but for the services the worker shares.
  {
    file: 'src/activities/tickets.ts',
    code: "import { TicketService } from '../services/tickets';",
    refused: true,
  },
  {
    file: 'src/activities/tickets.ts',
    code: "import { recordUsage } from '../services/usage';",
    refused: false,
  },
  { file: 'src/activities/tickets.ts', code: "import { problems } from '../lib/problem';", refused: false },
  {
    file: 'src/workflows/tickets.ts',
    code: "import { TicketService } from '../services/tickets';",
    refused: true,
  },
  { file: 'src/workflows/tickets.ts', code: "import { HttpProblem } from '../api/problem';", refused: true },
  // Infrastructure (here a model, two folders deep) knows nothing of services or workflows.
  {
    file: 'src/db/models/ticket.ts',
    code: "import { TicketService } from '../../services/tickets';",
    refused: true,
  },
  {
    file: 'src/ai/retrieval.ts',
    code: "import { ticketWorkflowId } from '../workflows/contracts';",
    refused: true,
  },
  // Domain rules and utilities are the bottom: row types only, nothing that runs.
  { file: 'src/domain/tickets.ts', code: "import type { Role } from '../db/models';", refused: false },
  { file: 'src/domain/tickets.ts', code: "import { Ticket } from '../db/models';", refused: true },
  { file: 'src/lib/problem.ts', code: "import { recordUsage } from '../services/usage';", refused: true },
  // Controllers and pages query through services: from db/ they take types and constants only.
  { file: 'src/web/console/overview.ts', code: "import { Ticket } from '../../db/models';", refused: true },
  {
    file: 'src/web/console/overview.ts',
    code: "import { TICKET_STATUSES, type Ticket } from '../../db/models';",
    refused: false,
  },
  { file: 'src/api/auth/AuthController.ts', code: "import { User } from '../../db/models';", refused: true },
  // The two processes load each other's entry points never.
  { file: 'src/worker/main.ts', code: "import { createApp } from '../api/app';", refused: true },
  {
    file: 'src/web/console/overview.ts',
    code: "import { AnalyticsService } from '../../services/analytics';",
    refused: false,
  },
];

function lint(
  texts: { file: string; code: string }[],
): Promise<{ ruleId: string | null; message: string }[][]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [path.join(__dirname, '..', 'helpers', 'lint-text.mjs')],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`lint-text.mjs failed: ${stderr}`, { cause: error }));
        else resolve(JSON.parse(stdout) as never);
      },
    );
    child.stdin!.end(JSON.stringify(texts));
  });
}

describe('the layers (ARCHITECTURE.md)', () => {
  it('are enforced by lint: an import from a layer above fails it', async () => {
    const results = await lint(cases.map(({ file, code }) => ({ file, code: `${code}\n` })));
    const outcomes = results.map((messages, i) => {
      const layer = messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
      return { ...cases[i]!, refused: layer.length > 0, messages: layer };
    });
    expect(outcomes.map(({ file, code, refused }) => ({ file, code, refused }))).toEqual(
      cases.map(({ file, code, refused }) => ({ file, code, refused })),
    );
    // The refusal says which rule the import breaks.
    expect(outcomes[0]!.messages).toEqual([
      expect.stringContaining('src/services may not import from a layer above it (ARCHITECTURE.md, Layers).'),
    ]);
  }, 300_000);

  it('and data access through the process-wide model binding fails it too, in src/ and scripts/', async () => {
    const global = 'export const first = () => User.query().first();\n';
    const injected = 'export const first = (knex: Knex) => User.query(knex).first();\n';
    const results = await lint([
      { file: 'src/services/users.ts', code: global },
      { file: 'src/services/users.ts', code: injected },
      { file: 'scripts/lib/knowledge.ts', code: global },
      { file: 'scripts/lib/knowledge.ts', code: injected },
    ]);
    const restricted = (messages: { ruleId: string | null }[]) =>
      messages.filter((m) => m.ruleId === 'no-restricted-syntax').length;
    expect(results.map(restricted)).toEqual([1, 0, 1, 0]);
  }, 300_000);
});
