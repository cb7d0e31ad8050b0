import { toProblem } from '../../src/api/error-handler';
import { Organization } from '../../src/db/models';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';

const db = useTestDatabase();

describe('concurrent writes', () => {
  it('answer a deadlock PostgreSQL broke with a 503 to retry (Retry-After), not a 500', async () => {
    const [a, b] = [await buildOrganization(), await buildOrganization()];
    const first = await db().transaction();
    const second = await db().transaction();
    try {
      // Each holds one row and asks for the other's: PostgreSQL rolls one of them back.
      await Organization.query(first).findById(a.id).patch({ name: 'first' });
      await Organization.query(second).findById(b.id).patch({ name: 'second' });
      const outcomes = await Promise.allSettled([
        Organization.query(first).findById(b.id).patch({ name: 'first' }),
        Organization.query(second).findById(a.id).patch({ name: 'second' }),
      ]);
      const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(failed).toHaveLength(1);
      const problem = toProblem(failed[0]!.reason);
      expect(problem?.status).toBe(503);
      expect(problem?.extensions.headers).toEqual({ 'Retry-After': '1' });
    } finally {
      await Promise.allSettled([first.rollback(), second.rollback()]);
    }
  });
});
