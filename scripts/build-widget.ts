import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { projectRoot } from '../src/lib/paths';
import { WIDGET_SCRIPT } from '../src/live/widget-http';

/** Bundles the embeddable widget into one minified script (esbuild); returns its size and gzipped size. */
export async function buildWidget(): Promise<{ bytes: number; gzipped: number }> {
  await build({
    entryPoints: [path.join(projectRoot, 'src', 'web', 'widget', 'widget.ts')],
    outfile: WIDGET_SCRIPT,
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  const code = fs.readFileSync(WIDGET_SCRIPT);
  return { bytes: code.length, gzipped: gzipSync(code).length };
}

if (require.main === module) {
  buildWidget()
    .then(({ bytes, gzipped }) =>
      console.log(
        `widget: ${path.relative(projectRoot, WIDGET_SCRIPT)} ${(bytes / 1024).toFixed(1)} KiB, ` +
          `${(gzipped / 1024).toFixed(1)} KiB gzipped`,
      ),
    )
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
