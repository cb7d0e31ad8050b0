import { createKnex } from '../../src/db/knex';
import { withScratchDatabase } from '../helpers/db';

async function tables(knex: ReturnType<typeof createKnex>): Promise<string[]> {
  const rows = await knex('information_schema.tables')
    .where({ table_schema: 'public' })
    .whereNot('table_name', 'like', 'knex_%')
    .pluck('table_name');
  return (rows as string[]).sort();
}

describe('migrations', () => {
  it('apply, revert completely, and apply again', async () => {
    await withScratchDatabase('parley_test_migrations', async (url) => {
      const knex = createKnex({ url, poolMax: 1 });
      try {
        await knex.migrate.latest();
        const afterUp = await tables(knex);
        expect(afterUp).toEqual(
          expect.arrayContaining(['organizations', 'messages', 'document_chunks', 'tickets']),
        );

        await knex.migrate.rollback(undefined, true);
        expect(await tables(knex)).toEqual([]);
        const types = await knex('pg_type').where({ typtype: 'e' }).pluck('typname');
        expect(types).toEqual([]);

        await knex.migrate.latest();
        expect(await tables(knex)).toEqual(afterUp);
      } finally {
        await knex.destroy();
      }
    });
  });

  it('record that the vectors stored before the embedding-model column came from the configured model', async () => {
    await withScratchDatabase('parley_test_migrations_model', async (url) => {
      const knex = createKnex({ url, poolMax: 1 });
      try {
        await knex.migrate.latest();
        await knex.migrate.down({ name: '20261127000000_chunk_embedding_model' });
        const inserted = (rows: { id: string }[]) => rows[0]!.id;
        const organizationId = inserted(
          await knex('organizations').insert({ name: 'Old', slug: 'old', widgetKey: 'wk_old' }, ['id']),
        );
        const documentId = inserted(
          await knex('documents').insert(
            { organizationId, title: 'Hours', sourceType: 'upload', version: 1 },
            ['id'],
          ),
        );
        const chunk = { organizationId, documentId, tokenCount: 2 };
        await knex('document_chunks').insert([
          { ...chunk, documentVersion: 1, position: 0, text: 'embedded', embedding: Buffer.alloc(16) },
          { ...chunk, documentVersion: 2, position: 0, text: 'not yet' },
        ]);

        await knex.migrate.latest();
        const rows = await knex('document_chunks').orderBy('documentVersion').select('embeddingModel');
        expect(rows).toEqual([{ embeddingModel: 'local/all-MiniLM-L6-v2' }, { embeddingModel: null }]);
        await expect(
          knex('document_chunks').update({ embeddingModel: null }).whereNotNull('embedding'),
        ).rejects.toThrow(/document_chunks_embedding_model_check/);
      } finally {
        await knex.destroy();
      }
    });
  });

  it('give every tenant-owned table an indexed foreign key to organizations', async () => {
    await withScratchDatabase('parley_test_migrations_fk', async (url) => {
      const knex = createKnex({ url, poolMax: 1 });
      try {
        await knex.migrate.latest();
        const { rows } = await knex.raw<{
          rows: { table_name: string; has_fk: boolean; has_index: boolean }[];
        }>(`
          select c.table_name,
            exists (select 1 from information_schema.table_constraints tc
                    join information_schema.constraint_column_usage ccu using (constraint_name)
                    join information_schema.key_column_usage kcu using (constraint_name)
                    where tc.table_name = c.table_name and tc.constraint_type = 'FOREIGN KEY'
                      and kcu.column_name = 'organization_id' and ccu.table_name = 'organizations') as has_fk,
            exists (select 1 from pg_index i join pg_class t on t.oid = i.indrelid
                    join pg_attribute a on a.attrelid = t.oid and a.attnum = i.indkey[0]
                    where t.relname = c.table_name and a.attname = 'organization_id') as has_index
          from information_schema.columns c
          where c.table_schema = 'public' and c.column_name = 'organization_id'
            and c.table_name <> 'webhook_events'`);
        expect(rows.length).toBeGreaterThan(10);
        for (const row of rows)
          expect(row).toEqual({ table_name: row.table_name, has_fk: true, has_index: true });
      } finally {
        await knex.destroy();
      }
    });
  });
});
