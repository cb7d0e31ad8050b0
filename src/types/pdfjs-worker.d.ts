// pdf.js's worker module has no typings; it is imported only for its side effect (globalThis.pdfjsWorker).
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs';
