import fs from 'node:fs';
import path from 'node:path';
import { loadConfigOrExit } from '../src/config';
import { bundleWorkflows } from '../src/worker/bundle';

/** Prebuilds the workflow bundle so workers start fast and run exactly the code that was built. */
async function main(): Promise<void> {
  const { temporal } = loadConfigOrExit();
  const code = await bundleWorkflows();
  fs.mkdirSync(path.dirname(temporal.workflowBundlePath), { recursive: true });
  fs.writeFileSync(temporal.workflowBundlePath, code);
  console.log(
    `workflow bundle written to ${temporal.workflowBundlePath} (${(code.length / 1024).toFixed(0)} KiB)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
