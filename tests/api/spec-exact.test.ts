import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/lib/paths';

/**
 * The committed spec says exactly what the server does. These checks walk the whole document, so
 * they hold every operation and schema to it, including ones added later.
 */

interface Schema {
  type?: string;
  format?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  [key: string]: unknown;
}

const spec = JSON.parse(fs.readFileSync(path.join(projectRoot, 'openapi', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Schema> };
};

/** Every schema node in the spec with its JSON pointer and the name of the property that holds it. */
function* schemaNodes(node: unknown, at = '', name = ''): Generator<[string, string, Schema]> {
  if (!node || typeof node !== 'object') return;
  const schema = node as Schema;
  if (typeof schema.type === 'string' || schema.$ref) yield [at, name, schema];
  // A parameter's schema is named by its parameter.
  const parameter =
    typeof schema.in === 'string' && typeof schema.name === 'string' ? schema.name : undefined;
  for (const [key, child] of Object.entries(schema)) {
    const childName =
      key === 'schema' && parameter
        ? parameter
        : key === 'properties' || key === 'items' || key === 'additionalProperties' || /^\d+$/.test(key)
          ? name
          : key;
    if (key === 'properties' && child && typeof child === 'object') {
      for (const [property, value] of Object.entries(child as Record<string, unknown>))
        yield* schemaNodes(value, `${at}/properties/${property}`, property);
    } else yield* schemaNodes(child, `${at}/${key}`, childName);
  }
}

/** Quantities that really are fractions: similarities, shares, sentiments, averages of ratings. */
const FRACTIONAL = /score|coverage|fused|confidence|sentiment|rate$|threshold|drop|^average$/i;

describe('the committed OpenAPI spec', () => {
  it('types whole numbers as integer, never as number', () => {
    const wrong: string[] = [];
    for (const [at, name, schema] of schemaNodes(spec)) {
      if (schema.type === 'number' && !FRACTIONAL.test(name)) wrong.push(`${at} (${name})`);
    }
    expect(wrong).toEqual([]);
  });
});
