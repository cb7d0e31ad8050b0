import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { loadConfig } from '../../src/config';
import { DocumentChunk } from '../../src/db/models';
import { createLogger } from '../../src/lib/logger';
import { DocumentService } from '../../src/services/documents';
import { TemporalGateway } from '../../src/temporal/client';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { uploaded, waitForDocument } from '../helpers/knowledge';
import { startWorkerProcess, waitForExit } from '../helpers/worker-process';

const db = useTestDatabase();

/** A long help article: many distinct sections, so it splits into a few hundred chunks. */
function largeDocument(sections: number): Buffer {
  const parts = ['# Product manual'];
  for (let i = 1; i <= sections; i++) {
    parts.push(
      `## Section ${i}: feature ${i}\n\n` +
        `Feature ${i} lets teams organise item group ${i} with labels, filters and saved views. ` +
        `To enable feature ${i}, open Settings, choose Features, and switch on option ${i}. ` +
        `Administrators can restrict feature ${i} to members of the group ${i} team only. ` +
        `If feature ${i} does not appear, refresh the page and check the plan includes it.`,
    );
  }
  return Buffer.from(parts.join('\n\n'));
}

describe('a worker killed with SIGKILL in the middle of a large document', () => {
  const children: ChildProcess[] = [];
  let temporal: TemporalGateway;
  const taskQueue = `crash-${randomUUID()}`;
  const logFile = path.join(__dirname, '..', '..', '.data', `worker-crash-${taskQueue}.log`);

  beforeAll(() => {
    const config = loadConfig();
    temporal = new TemporalGateway(
      { ...config.temporal, taskQueue },
      createLogger({ level: 'silent', name: 't' }),
    );
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await temporal.close();
  });

  it('finishes after a restart with every chunk stored exactly once', async () => {
    const config = loadConfig();
    const organization = await buildOrganization();
    // Small batches: many activity calls, so the kill lands between and inside them.
    const documents = new DocumentService({
      knex: db(),
      temporal,
      config: { ...config, ingestion: { ...config.ingestion, embedBatchSize: 8 } },
    });
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    children.push(startWorkerProcess(taskQueue, logFile));

    const created = await documents.upload(organization.id, uploaded('manual.md', largeDocument(200)));
    const midway = await waitForDocument(organization.id, created.id, ['processing'], 120_000, (d) => {
      const { chunksDone = 0, chunksTotal = 0 } = d.progress;
      return chunksTotal > 0 && chunksDone >= chunksTotal * 0.3;
    });
    const total = midway.progress.chunksTotal!;
    expect(total).toBeGreaterThan(90);
    children[0]!.kill('SIGKILL');
    await waitForExit(children[0]!);
    const atKill = midway.progress.chunksDone!;

    children.push(startWorkerProcess(taskQueue, logFile));
    const finished = await waitForDocument(organization.id, created.id, ['ready', 'failed'], 180_000);

    expect(finished).toMatchObject({ status: 'ready', version: 1, error: null });
    expect(atKill).toBeLessThan(total);
    const chunks = await DocumentChunk.query()
      .forOrganization(organization.id)
      .where('documentId', created.id);
    expect(chunks).toHaveLength(total);
    expect(new Set(chunks.map((c) => c.position)).size).toBe(total);
    expect(chunks.every((c) => c.documentVersion === 1 && c.embedding !== null)).toBe(true);
  }, 300_000);
});
