import fs from 'node:fs';
import path from 'node:path';
import { loadConfigOrExit } from '../src/config';
import { bindModels } from '../src/db/bind';
import { createKnex } from '../src/db/knex';
import { Document, DocumentFile, Organization, OrganizationSettings } from '../src/db/models';
import { projectRoot } from '../src/lib/paths';
import { createOrganizationWithOwner } from '../src/services/organizations';
import { DEMO_WIDGET_KEY } from '../src/web/router';

/** The demo tenant of the quick start: an owner who can sign in, widget settings, sample documents. */
export const DEMO = {
  organizationName: 'Lumen Notes (demo)',
  slug: 'demo',
  ownerEmail: 'owner@demo.parley.local',
  ownerName: 'Dana Demo',
  password: 'parley-demo-password',
  widgetKey: DEMO_WIDGET_KEY,
};

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const knex = createKnex({ url: config.database.url, poolMax: 2 });
  bindModels(knex);
  try {
    let organization = await Organization.query().findOne({ slug: DEMO.slug });
    if (!organization) {
      ({ organization } = await createOrganizationWithOwner(knex, { ...DEMO, emailVerified: true }));
      await Organization.query().patchAndFetchById(organization.id, { widgetKey: DEMO.widgetKey });
      await OrganizationSettings.query()
        .forOrganization(organization.id)
        .patch({
          widget: { color: '#4f46e5', position: 'right', greeting: 'Hi! Ask me anything about Lumen Notes.' },
          aiPersona: 'You are Lumi, the friendly support assistant of Lumen Notes.',
          allowedOrigins: [config.http.publicUrl],
        });
    }

    const folder = path.join(projectRoot, 'seed', 'demo-docs');
    for (const filename of fs.readdirSync(folder).sort()) {
      const exists = await Document.query()
        .forOrganization(organization.id)
        .joinRelated('file')
        .where('file.filename', filename)
        .resultSize();
      if (exists) continue;
      const content = fs.readFileSync(path.join(folder, filename));
      const title = /^#\s+(.+)$/m.exec(content.toString('utf8'))?.[1] ?? filename;
      await knex.transaction(async (trx) => {
        const document = await Document.query(trx)
          .forOrganization(organization.id)
          .insert({ title, sourceType: 'upload', mimeType: 'text/markdown' });
        await DocumentFile.query(trx)
          .forOrganization(organization.id)
          .insert({ documentId: document.id, filename, sizeBytes: content.length, content });
      });
    }
    console.log(`demo tenant ready: ${DEMO.ownerEmail} / ${DEMO.password} (widget key ${DEMO.widgetKey})`);
  } finally {
    await knex.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
