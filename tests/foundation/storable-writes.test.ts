import { ValidationError } from 'objection';
import { toProblem } from '../../src/api/error-handler';
import { Document, OrganizationSettings } from '../../src/db/models';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';

useTestDatabase();

/** The models' last line behind the edge: no insert or patch carries text PostgreSQL cannot store. */
describe('writes through the models', () => {
  it('refuse a NUL or a lone surrogate in a column or inside a JSON column, naming the property', async () => {
    const organization = await buildOrganization();
    const insert = await Document.query()
      .forOrganization(organization.id)
      .insert({ title: 'Refunds\u0000', sourceType: 'url', sourceUrl: 'https://example.com/refunds' })
      .catch((e: unknown) => e);
    expect(insert).toBeInstanceOf(ValidationError);
    expect(insert).toMatchObject({ data: { title: [{ message: expect.stringMatching(/NUL/) as string }] } });

    const patch = await OrganizationSettings.query()
      .forOrganization(organization.id)
      .patch({ widget: { greeting: 'Hi \uD800' } })
      .catch((e: unknown) => e);
    expect(patch).toBeInstanceOf(ValidationError);
    // As the API answers it: 422 with the field, no SQL.
    expect(
      toProblem(patch)?.toDocument('/v1/organization/settings', 'r1', 'https://parley.example.com'),
    ).toMatchObject({
      status: 422,
      errors: [{ field: 'body.widget.greeting', message: expect.stringMatching(/surrogate/) as string }],
    });

    // Storable text, emoji included, goes through.
    await OrganizationSettings.query()
      .forOrganization(organization.id)
      .patch({ widget: { greeting: 'Hi 😀' } });
  });
});
