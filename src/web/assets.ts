import path from 'node:path';
import express, { Router } from 'express';
import { projectRoot } from '../lib/paths';

/**
 * The console's static files: its stylesheet and script from src/web/assets, and htmx and Chart.js
 * from their npm packages (no CDN: self-hosted installs work offline and the CSP stays 'self').
 */
export function assetsRouter(): Router {
  const router = Router();
  // Both packages resolve to a file in their dist/ folder, next to the browser builds served here.
  const vendor = (pkg: string, file: string): string => path.join(path.dirname(require.resolve(pkg)), file);
  const files: Record<string, string> = {
    'htmx.min.js': vendor('htmx.org', 'htmx.min.js'),
    'chart.umd.min.js': vendor('chart.js', 'chart.umd.min.js'),
  };
  for (const [name, file] of Object.entries(files)) {
    router.get(`/${name}`, (_req, res) => {
      res.sendFile(file, {
        maxAge: '1d',
        headers: { 'Content-Type': 'application/javascript; charset=utf-8' },
      });
    });
  }
  router.use(express.static(path.join(projectRoot, 'src', 'web', 'assets'), { maxAge: '5m', index: false }));
  return router;
}
