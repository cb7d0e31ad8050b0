import { Document, Organization, OrganizationSettings } from '../src/db/models';
import { DocumentService } from '../src/services/documents';
import { createOrganizationWithOwner } from '../src/services/organizations';
import { DEMO_WIDGET_KEY } from '../src/web/router';
import { runCommand } from './lib/command';

/**
 * The demo tenant of the quick start: an owner who can sign in, widget settings, and the demo
 * company's help centre (served by the app at /demo/help) ingested through its sitemap — the same
 * way a customer's site is — once the worker and the API are up.
 */
export const DEMO = {
  organizationName: 'Lumen Notes (demo)',
  slug: 'demo',
  ownerEmail: 'owner@demo.parley.local',
  ownerName: 'Dana Demo',
  password: 'parley-demo-password',
  widgetKey: DEMO_WIDGET_KEY,
};

runCommand('seed', async ({ config, knex, temporal }) => {
  let organization = await Organization.query(knex).findOne({ slug: DEMO.slug });
  if (!organization) {
    ({ organization } = await createOrganizationWithOwner(knex, { ...DEMO, emailVerified: true }));
    await Organization.query(knex).patchAndFetchById(organization.id, {
      widgetKey: DEMO.widgetKey,
      plan: 'pro',
    });
    await OrganizationSettings.query(knex)
      .forOrganization(organization.id)
      .patch({
        widget: {
          color: '#4f46e5',
          position: 'right',
          greeting: 'Hi! I answer from the Lumen Notes help centre. What can I help with?',
          launcherText: 'Ask Lumi',
        },
        aiPersona: 'You are Lumi, the friendly support assistant of Lumen Notes.',
      });
  }

  const sitemap = `${config.http.publicUrl}/demo/sitemap.xml`;
  const known = await Document.query(knex).forOrganization(organization.id).findOne({ sourceUrl: sitemap });
  if (!known) {
    const documents = new DocumentService({ knex, temporal, config });
    await documents.addUrl(organization.id, {
      url: sitemap,
      type: 'sitemap',
      title: 'Lumen Notes help centre',
    });
  }
  console.log(`demo tenant ready: ${DEMO.ownerEmail} / ${DEMO.password} (widget key ${DEMO.widgetKey})`);
});
