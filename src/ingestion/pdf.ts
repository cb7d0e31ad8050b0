import path from 'node:path';
import type * as PdfJsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import { DocumentError } from './errors';

type PdfJs = typeof PdfJsModule;
let pdfjs: Promise<PdfJs> | undefined;

/**
 * pdf.js, loaded on first use. Its legacy build (the one that runs on Node 20) carries core-js
 * polyfills that also replace JSON.parse, JSON.stringify and Array.prototype.push for the whole
 * process with slower copies, although Node's own are correct: loaded eagerly, they cost the API
 * about a tenth of its throughput (`npm run load:api`, 1,151 → 1,265 req/s without them). Node's
 * are put back.
 */
function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= (async () => {
    const { parse, stringify } = JSON;
    const { push } = Array.prototype;
    // Registers pdf.js's worker code on this thread (globalThis.pdfjsWorker), so documents are parsed
    // in-process rather than through a worker file pdf.js would otherwise import() at run time.
    await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
    const loaded = await import('pdfjs-dist/legacy/build/pdf.mjs');
    Object.assign(JSON, { parse, stringify });
    Object.defineProperty(Array.prototype, 'push', { value: push });
    return loaded;
  })();
  return pdfjs;
}

/** Character maps let pdf.js decode text in CJK fonts that are not embedded. */
const CMAP_URL = path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'cmaps') + path.sep;

/** Stops at `maxChars` of text (throwing `tooMuch`): compressed content streams can expand without end. */
export async function pdfToText(
  bytes: Uint8Array,
  maxPages: number,
  maxChars: number,
  tooMuch: DocumentError,
): Promise<{ title?: string; text: string }> {
  const { getDocument, VerbosityLevel } = await loadPdfJs();
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
    let chars = 0;
    for (let number = 1; number <= pdf.numPages; number++) {
      const content = await (await pdf.getPage(number)).getTextContent();
      const page = content.items
        .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : ''))
        .join('');
      chars += page.length;
      if (chars > maxChars) throw tooMuch;
      pages.push(page);
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
