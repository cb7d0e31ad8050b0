/**
 * Why a document source could not be turned into text. `code` is stable (stored on the document, used
 * by the console), `message` is written for a tenant admin, and `permanent` says whether retrying can
 * help: the ingestion workflow turns permanent errors into non-retryable failures.
 */
export type DocumentErrorCode =
  | 'unsupported_type'
  | 'encrypted_pdf'
  | 'corrupt_file'
  | 'no_text'
  | 'too_large'
  | 'too_many_pages'
  | 'invalid_url'
  | 'blocked_address'
  | 'not_found'
  | 'fetch_failed'
  | 'timeout'
  | 'invalid_sitemap';

/** Retrying helps only when the remote side may recover; `fetch_failed` is decided per response. */
const PERMANENT_BY_DEFAULT: Record<DocumentErrorCode, boolean> = {
  unsupported_type: true,
  encrypted_pdf: true,
  corrupt_file: true,
  no_text: true,
  too_large: true,
  too_many_pages: true,
  invalid_url: true,
  blocked_address: true,
  not_found: true,
  fetch_failed: false,
  timeout: false,
  invalid_sitemap: true,
};

export class DocumentError extends Error {
  readonly permanent: boolean;

  constructor(
    readonly code: DocumentErrorCode,
    message: string,
    options: { permanent?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'DocumentError';
    this.permanent = options.permanent ?? PERMANENT_BY_DEFAULT[code];
  }
}
