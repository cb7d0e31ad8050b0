import type { Request as ExRequest } from 'express';
import {
  Body,
  Header,
  Controller,
  Delete,
  FormField,
  Get,
  Patch,
  Path,
  Post,
  Query,
  Request,
  Response,
  Route,
  Security,
  SuccessResponse,
  Tags,
  UploadedFile,
} from 'tsoa';
import {
  DOCUMENT_VISIBILITIES,
  type DocumentSourceType,
  type DocumentStatus,
  type DocumentVisibility,
} from '../../db/models';
import { toDocumentView, type DocumentView } from '../../services/documents';
import { actorOf } from '../auth/actor';
import { principalOf } from '../auth/principal';
import type { Page } from '../../lib/pagination';
import { PROBLEM_JSON as PROBLEM, problems, type ProblemDocument } from '../../lib/problem';
import type { IdempotencyKeyHeader, Uuid } from '../../domain/schemas';
import type { ApiServices } from '../services';
import { answerIdempotently } from '../idempotency';

/** @example {"url": "https://help.example.com/refunds", "type": "url", "title": "Refunds"} */
export interface UrlDocumentCreation {
  /**
   * An http(s) page, or a sitemap whose pages are all ingested.
   * @maxLength 2048
   * @example "https://help.example.com/refunds"
   */
  url: string;
  /** `url`: one page. `sitemap`: every page the sitemap lists (up to SITEMAP_MAX_PAGES). */
  type: 'url' | 'sitemap';
  /**
   * Defaults to the page's title.
   * @maxLength 500
   */
  title?: string;
  /** `public` (the default): citations link to the page. `internal`: cited by title only, never linked. */
  visibility?: DocumentVisibility;
}

/** @example {"visibility": "internal"} */
export interface DocumentUpdate {
  /**
   * `public`: citations link to the document — its source URL, or for an upload its article page
   * (`/articles/{organizationId}/{documentId}`). `internal`: answered from and cited by title only, and
   * its article page is not found. A sitemap's pages follow it.
   */
  visibility: DocumentVisibility;
}

/**
 * The knowledge base. Each document is ingested by a workflow (`ingest-<id>`): follow `status` and
 * `progress`; URL and sitemap sources re-sync on a schedule and on demand.
 */
@Route('v1/documents')
@Tags('Documents')
export class DocumentsController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * Uploads a PDF, DOCX, HTML, Markdown or plain-text file (the type is checked by content) and
   * starts its ingestion.
   * @param file The document, at most UPLOAD_MAX_BYTES.
   * @param title Kept as the title; when omitted, the file's own title (its first heading) once ingested.
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @param visibility `public` (the default) or `internal`. Public: citations link to the document's
   * article page, which Parley serves read-only. Internal: answered from and cited by title only,
   * never linked.
   * @summary Upload a document
   */
  @Post('upload')
  @Security('bearer', ['admin', 'documents:write'])
  @SuccessResponse(201, 'Created; ingestion started')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'File too large', undefined, PROBLEM)
  @Response<ProblemDocument>(415, 'Not a supported document type', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'The workflow engine is unreachable', undefined, PROBLEM)
  public async uploadDocument(
    @Request() req: ExRequest,
    @UploadedFile() file: Express.Multer.File,
    @FormField() title?: string,
    @FormField() visibility?: string,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<DocumentView> {
    // A form without a `file` part: tsoa passes nothing rather than refusing it.
    if (!(file as Express.Multer.File | undefined)) {
      throw problems.validation([{ field: 'body.file', message: 'is required' }]);
    }
    // tsoa checks a form field's type, not its values.
    if (visibility !== undefined && !(DOCUMENT_VISIBILITIES as readonly string[]).includes(visibility)) {
      throw problems.validation([{ field: 'body.visibility', message: "must be 'public' or 'internal'" }]);
    }
    const request = { filename: file.originalname, bytes: file.buffer, title, visibility };
    return answerIdempotently(this, req, idempotencyKey, request, async () => {
      const document = await this.services.documents.upload(
        principalOf(req).organizationId,
        file,
        title,
        visibility as DocumentVisibility | undefined,
      );
      return { status: 201, body: toDocumentView(document) };
    });
  }

  /**
   * Adds a web page or a sitemap and starts its ingestion.
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Add a web page or sitemap
   */
  @Post()
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Security('bearer', ['admin', 'documents:write'])
  @SuccessResponse(201, 'Created; ingestion started')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'The workflow engine is unreachable', undefined, PROBLEM)
  public async addUrlDocument(
    @Request() req: ExRequest,
    @Body() body: UrlDocumentCreation,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<DocumentView> {
    return answerIdempotently(this, req, idempotencyKey, body, async () => {
      const document = await this.services.documents.addUrl(principalOf(req).organizationId, body);
      return { status: 201, body: toDocumentView(document) };
    });
  }

  /**
   * The organization's documents (top level, or the pages of one sitemap), newest first by default.
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @param sort A field, descending with a leading `-`.
   * @param q Words in the title or URL.
   * @param parentId The sitemap whose pages to list.
   * @param updatedSince Only those changed at or after this instant (ISO 8601), for incremental sync: sort by `updatedAt` and keep the latest `updatedAt` seen.
   * @param updatedBefore Only those changed before this instant (ISO 8601).
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @maxLength q 200
   * @summary List documents
   */
  @Get()
  @Security('bearer', ['agent', 'documents:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listDocuments(
    @Request() req: ExRequest,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query() sort?: 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt' | 'title' | '-title',
    @Query() status?: DocumentStatus,
    @Query() sourceType?: DocumentSourceType,
    @Query() q?: string,
    @Query() parentId?: Uuid,
    @Query() updatedSince?: Date,
    @Query() updatedBefore?: Date,
  ): Promise<Page<DocumentView>> {
    const page = await this.services.documents.list(principalOf(req).organizationId, {
      limit,
      cursor,
      sort,
      status,
      sourceType,
      q,
      parentId,
      updatedSince,
      updatedBefore,
    });
    return { items: page.items.map(toDocumentView), nextCursor: page.nextCursor };
  }

  /**
   * One document with its ingestion status and progress.
   * @summary Get a document
   */
  @Get('{id}')
  @Security('bearer', ['agent', 'documents:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such document in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getDocument(@Request() req: ExRequest, @Path() id: Uuid): Promise<DocumentView> {
    return toDocumentView(await this.services.documents.get(principalOf(req).organizationId, id));
  }

  /**
   * Makes the document public or internal; the next answers link it, or cite it by title only.
   * @summary Change a document's visibility
   */
  @Patch('{id}')
  @Security('bearer', ['admin', 'documents:write'])
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such document in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id or fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async updateDocument(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: DocumentUpdate,
  ): Promise<DocumentView> {
    return toDocumentView(await this.services.documents.setVisibility(actorOf(req), id, body.visibility));
  }

  /**
   * Fetches the source again now; unchanged content is recognised by its hash and not re-embedded.
   * @summary Re-sync a document
   */
  @Post('{id}/resync')
  @Security('bearer', ['admin', 'documents:write'])
  @SuccessResponse(202, 'Re-sync started')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such document in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'A sitemap page re-syncs with its sitemap', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'The workflow engine is unreachable', undefined, PROBLEM)
  public async resyncDocument(@Request() req: ExRequest, @Path() id: Uuid): Promise<DocumentView> {
    const document = await this.services.documents.resync(principalOf(req).organizationId, id);
    this.setStatus(202);
    return toDocumentView(document);
  }

  /**
   * Deletes the document (and a sitemap's pages); its passages leave answers at once.
   * @summary Delete a document
   */
  @Delete('{id}')
  @Security('bearer', ['admin', 'documents:write'])
  @SuccessResponse(204, 'Deleted')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such document in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async deleteDocument(@Request() req: ExRequest, @Path() id: Uuid): Promise<void> {
    await this.services.documents.delete(actorOf(req), id);
    this.setStatus(204);
  }
}
