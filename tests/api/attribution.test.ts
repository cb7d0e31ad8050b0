import { useTestApi } from '../helpers/api';
import { signUp } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';

const db = useTestDatabase();
const api = useTestApi(db);

describe('attribution of actions taken with an API key', () => {
  it('names the key, by id and name, in the audit log of its own organization only', async () => {
    const owner = await signUp(api());
    const { data: key } = await owner.client.POST('/v1/api-keys', { body: { name: 'CRM sync' } });
    const integrator = api().client(key!.key);
    const { data: child } = await integrator.POST('/v1/api-keys', { body: { name: 'child' } });
    expect(child).toBeDefined();

    const audit = await owner.client.GET('/v1/audit-log', {
      params: { query: { action: 'api_key.created' } },
    });
    const byTarget = new Map(audit.data!.items.map((e) => [e.targetId, e]));
    expect(byTarget.get(child!.id)).toMatchObject({
      actorUserId: null,
      actorApiKeyId: key!.id,
      actorApiKeyName: 'CRM sync',
    });
    expect(byTarget.get(key!.id)).toMatchObject({
      actorUserId: owner.session.user.id,
      actorApiKeyId: null,
      actorApiKeyName: null,
    });

    // Revoked, the key still names what it did.
    await owner.client.DELETE('/v1/api-keys/{id}', { params: { path: { id: key!.id } } });
    const later = await owner.client.GET('/v1/audit-log', {
      params: { query: { action: 'api_key.created' } },
    });
    expect(later.data!.items.find((e) => e.targetId === child!.id)!.actorApiKeyName).toBe('CRM sync');

    const other = await signUp(api());
    const theirs = await other.client.GET('/v1/audit-log', { params: { query: { limit: 100 } } });
    expect(theirs.data!.items.some((e) => e.actorApiKeyId === key!.id || e.targetId === child!.id)).toBe(
      false,
    );
  });
});
