import path from 'node:path';
// Registers pdf.js's worker code on this thread (globalThis.pdfjsWorker), so documents are parsed
// in-process rather than through a worker file pdf.js would otherwise import() at run time.
import 'pdfjs-dist/legacy/build/pdf.worker.mjs';
import { getDocument, VerbosityLevel } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { DocumentError } from './errors';

/** Character maps let pdf.js decode text in CJK fonts that are not embedded. */
const CMAP_URL = path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'cmaps') + path.sep;

export async function pdfToText(
  bytes: Uint8Array,
  maxPages: number,
): Promise<{ title?: string; text: string }> {
  const task = getDocument({
    data: new Uint8Array(bytes), // a copy: pdf.js may take ownership of the buffer it is given
    cMapUrl: CMAP_URL,
    cMapPacked: true,
    isEvalSupported: false, // never compile font programs from untrusted files into JavaScript
    disableFontFace: true,
    verbosity: VerbosityLevel.ERRORS,
  });
  try {
    const pdf = await task.promise;
    if (pdf.numPages > maxPages) {
      throw new DocumentError(
        'too_many_pages',
        `This PDF has ${pdf.numPages} pages; the limit is ${maxPages}. Split it into smaller files.`,
      );
    }
    const pages: string[] = [];
    for (let number = 1; number <= pdf.numPages; number++) {
      const content = await (await pdf.getPage(number)).getTextContent();
      pages.push(
        content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''),
      );
    }
    const { info } = await pdf.getMetadata();
    const title = (info as { Title?: unknown } | undefined)?.Title;
    return { title: typeof title === 'string' ? title : undefined, text: pages.join('\n\n') };
  } catch (error) {
    if (error instanceof DocumentError) throw error;
    // pdf.js 5 does not export PasswordException; its name is part of the API.
    if (error instanceof Error && error.name === 'PasswordException') {
      throw new DocumentError(
        'encrypted_pdf',
        'This PDF is password-protected; remove the password and upload it again.',
        { cause: error },
      );
    }
    const message = 'This PDF is damaged or incomplete; export it again and re-upload.';
    throw new DocumentError('corrupt_file', message, { cause: error });
  } finally {
    await task.destroy();
  }
}
