import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PAID_PLANS, PLAN_CATALOG } from '../../src/domain/plans';
import { planOfLookupKey, priceLookupKey, productId, syncCatalog } from '../../src/billing/stripe';
import { testStripe } from '../helpers/stripe';

const run = promisify(execFile);
const stripe = testStripe();

describe('npm run stripe:sync', () => {
  it('leaves an already synced catalog unchanged, one active price per plan', async () => {
    const first = await syncCatalog(stripe);
    const second = await syncCatalog(stripe);
    expect(second.products.map((p) => p.action)).toEqual(['unchanged', 'unchanged']);
    expect(second.prices.map((p) => p.action)).toEqual(['unchanged', 'unchanged']);
    expect(second.prices.map((p) => p.id)).toEqual(first.prices.map((p) => p.id));

    for (const plan of PAID_PLANS) {
      const { data } = await stripe.prices.list({ lookup_keys: [priceLookupKey(plan)] });
      expect(data).toHaveLength(1);
      expect(data[0]).toMatchObject({
        product: productId(plan),
        unit_amount: PLAN_CATALOG[plan].priceCents,
        currency: 'usd',
        recurring: expect.objectContaining({ interval: 'month' }) as unknown,
        active: true,
      });
      expect(planOfLookupKey(data[0]!.lookup_key)).toBe(plan);
      const product = await stripe.products.retrieve(productId(plan));
      expect(product.name).toBe(`Parley ${PLAN_CATALOG[plan].name}`);
    }
  });

  it('runs from the command line and reports what it did', async () => {
    const root = path.join(__dirname, '..', '..');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/stripe-sync.ts'], {
      cwd: root,
      env: process.env,
    });
    expect(stdout).toContain('product parley_pro (pro): unchanged');
    expect(stdout).toContain('(enterprise): unchanged');
  });
});
