import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CONFIG_VARIABLES, environmentSchema } from '../../src/config';
import { projectRoot } from '../../src/lib/paths';

const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
/** The configuration table: variable → its "default" cell. */
const table = new Map(
  [...readme.matchAll(/^\| `([A-Z0-9_]+)`\s+\| (.*?)\s+\|/gm)].map((m) => [m[1]!, m[2]!]),
);

/** The default a variable takes when unset, as written in the environment (before any transform). */
function defaultOf(field: z.ZodType): unknown {
  if (field instanceof z.ZodDefault) return field.def.defaultValue;
  if (field instanceof z.ZodPipe) return defaultOf(field.def.in as z.ZodType);
  return undefined;
}

/** Paths as the README writes them: relative to the checkout, or under ~/.cache. */
const cacheBase = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
const shown = (value: unknown): string =>
  String(value)
    .replace(projectRoot + path.sep, '')
    .replace(cacheBase, '~/.cache');

describe('README', () => {
  it('documents every configuration variable in its table', () => {
    expect([...table.keys()].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it("gives each variable the schema's default", () => {
    const rows = Object.entries(environmentSchema.shape).map(([name, field]) => {
      const fallback = defaultOf(field as z.ZodType);
      const cell = table.get(name) ?? '';
      // Without a default the cell says what happens instead (– or how it is derived), never a value.
      const documented =
        fallback === undefined || fallback === ''
          ? !/^`[^`$]*`$/.test(cell)
          : cell === `\`${shown(fallback)}\``;
      return { name, cell, documented };
    });
    expect(rows.filter((row) => !row.documented)).toEqual([]);
  });
});
