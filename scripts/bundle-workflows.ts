import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { loadConfigOrExit } from '../src/config';
import { projectRoot } from '../src/lib/paths';

/** Prebuilds the workflow bundle so workers start fast and run exactly the code that was built. */
async function main(): Promise<void> {
  const { temporal } = loadConfigOrExit();
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(projectRoot, 'src', 'workflows', 'index.ts'),
    logger: new DefaultLogger('WARN'),
  });
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
