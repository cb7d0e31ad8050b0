import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/knex';
import { withScratchDatabase } from '../helpers/db';

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');

/** Every table's rows, as one fingerprint per table (row count and an md5 of the ordered rows). */
async function fingerprint(knex: Knex): Promise<Record<string, string>> {
  const { rows: tables } = await knex.raw<{ rows: { tablename: string }[] }>(
    `select tablename from pg_tables where schemaname = 'public' order by tablename`,
  );
  const result: Record<string, string> = {};
  for (const { tablename } of tables) {
    const { rows } = await knex.raw<{ rows: { n: number; digest: string | null }[] }>(
      `select count(*)::int as n, md5(string_agg(t::text, '|' order by t::text)) as digest from ?? t`,
      [tablename],
    );
    result[tablename] = `${rows[0]!.n}:${rows[0]!.digest}`;
  }
  return result;
}

describe('PostgreSQL backup and restore scripts', () => {
  it('backs up, survives the database being dropped, and restores the same data', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parley-backup-')), 'parley.dump');
    await withScratchDatabase('parley_backup_test', async (url) => {
      let knex = createKnex({ url, poolMax: 2 });
      let before: Record<string, string>;
      try {
        await knex.migrate.latest();
        const organization = (
          await knex('organizations')
            .insert({ name: "Backup & Restore 'Ltd'", slug: 'backup', plan: 'pro', widget_key: 'wk_backup' })
            .returning<{ id: string }[]>('id')
        )[0]!;
        await knex('organization_settings').insert({ organization_id: organization.id });
        const conversation = (
          await knex('conversations')
            .insert({ organization_id: organization.id, visitor_id: 'v-1', visitor_name: 'Zoë' })
            .returning<{ id: string }[]>('id')
        )[0]!;
        await knex('messages').insert([
          {
            organization_id: organization.id,
            conversation_id: conversation.id,
            role: 'visitor',
            content: 'Hi ✓',
          },
          {
            organization_id: organization.id,
            conversation_id: conversation.id,
            role: 'assistant',
            content: 'Hello!\nLine two',
            citations: JSON.stringify([{ title: 'FAQ', documentId: null }]),
          },
        ]);
        before = await fingerprint(knex);
        expect(before.messages).toMatch(/^2:/);
      } finally {
        await knex.destroy();
      }

      const env = { ...process.env, DATABASE_URL: url };
      await run('bash', ['scripts/backup.sh', file], { cwd: root, env });
      expect(fs.statSync(file).size).toBeGreaterThan(0);

      // Lose the database entirely, then restore into a fresh, empty one.
      const admin = createKnex({ url: url.replace(/\/[^/]*$/, '/postgres'), poolMax: 1 });
      try {
        await admin.raw('DROP DATABASE parley_backup_test WITH (FORCE)');
        await admin.raw('CREATE DATABASE parley_backup_test');
      } finally {
        await admin.destroy();
      }
      await run('bash', ['scripts/restore.sh', file], { cwd: root, env });

      knex = createKnex({ url, poolMax: 2 });
      try {
        expect(await fingerprint(knex)).toEqual(before);
        // The schema came back whole: migrations are recorded, and constraints still hold.
        const migrations = await knex('knex_migrations').count<{ count: string }[]>('* as count');
        expect(Number(migrations[0]!.count)).toBeGreaterThan(0);
        await expect(
          knex('messages').insert({
            organization_id: null,
            conversation_id: null,
            role: 'visitor',
            content: 'x',
          }),
        ).rejects.toThrow(/null value/);
      } finally {
        await knex.destroy();
      }

      // Restoring again over live data replaces it rather than duplicating it.
      await run('bash', ['scripts/restore.sh', file], { cwd: root, env });
      knex = createKnex({ url, poolMax: 2 });
      try {
        expect(await fingerprint(knex)).toEqual(before);
      } finally {
        await knex.destroy();
      }
    });
  }, 120_000);
});
