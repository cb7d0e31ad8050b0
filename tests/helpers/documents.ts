import fs from 'node:fs';
import path from 'node:path';

/** Bytes of a file in tests/fixtures/documents (binary ones come from scripts/make-document-fixtures.py). */
export const documentFixture = (name: string): Buffer =>
  fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'documents', name));
