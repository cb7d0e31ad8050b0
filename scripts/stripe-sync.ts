import { loadConfigOrExit } from '../src/config';
import { createStripe, syncCatalog } from '../src/billing/stripe';

/** `npm run stripe:sync`: creates or updates the Stripe products and prices of the plan catalog. */
async function main(): Promise<void> {
  const stripe = createStripe(loadConfigOrExit().billing);
  if (!stripe) throw new Error('Set STRIPE_SECRET_KEY (and STRIPE_API_BASE for the emulator) first');
  const report = await syncCatalog(stripe);
  for (const p of report.products) console.log(`product ${p.id} (${p.plan}): ${p.action}`);
  for (const p of report.prices) console.log(`price ${p.id} (${p.plan}): ${p.action}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
