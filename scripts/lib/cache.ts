import os from 'node:os';
import path from 'node:path';

/** Parley's cache of models and corpora (PARLEY_CACHE as scripts/lib.sh sets it), not a bench's own. */
export const userCacheDir = (): string =>
  process.env.PARLEY_CACHE ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'parley');
