import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { findUnstorable, textProblem, type Unstorable } from '../lib/storable';
import { problems } from '../lib/problem';

/**
 * Every parser of request bodies the app uses, each followed by the check that the values can be
 * stored (src/lib/storable.ts): a NUL, a lone surrogate or an out-of-range number anywhere in a
 * JSON body, a form, a multipart field or an uploaded file's name is refused with 422 and the field,
 * before any handler sees it. Lint allows `express.json`, `express.urlencoded` and `multer()` only
 * here, so a new route cannot take a body without the check.
 */

const refusal = ({ field, message }: Unstorable) =>
  problems.validation([{ field, message }], `${field} ${message}.`);

/** The query string of every request (app.ts mounts it first): `?q=%00` never reaches a query. */
export const refuseUnstorableQuery: RequestHandler = (req, _res, next) => {
  const found = findUnstorable(req.query, 'query');
  next(found ? refusal(found) : undefined);
};

const refuseUnstorableBody = (req: Request, _res: Response, next: NextFunction): void => {
  const found = findUnstorable(req.body, 'body');
  next(found ? refusal(found) : undefined);
};

/** JSON bodies (`strict: false` lets a bare string reach validation, which names the body). */
export function jsonBody(options: { limit: number | string; strict?: boolean }): RequestHandler[] {
  return [express.json(options), refuseUnstorableBody];
}

/** HTML forms (application/x-www-form-urlencoded). */
export function formBody(options: { limit: number | string }): RequestHandler[] {
  return [express.urlencoded({ extended: false, limit: options.limit }), refuseUnstorableBody];
}

/**
 * Multipart uploads held in memory (one file of at most `maxBytes`): a file whose name cannot be
 * stored is refused before it is read, and every middleware the instance makes checks the text
 * fields once they are parsed. Returns a Multer instance, as tsoa's RegisterRoutes expects.
 */
export function fileUpload(options: { maxBytes: number }): multer.Multer {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: options.maxBytes, files: 1 },
    fileFilter: (_req, file, accept) => {
      const problem = textProblem(file.originalname);
      if (problem)
        accept(refusal({ field: `body.${file.fieldname}`, message: `has a name that ${problem}` }));
      else accept(null, true);
    },
  });
  const checked =
    (middleware: RequestHandler): RequestHandler =>
    (req, res, next) =>
      void middleware(req, res, (error?: unknown) =>
        error ? next(error) : refuseUnstorableBody(req, res, next),
      );
  return {
    ...upload,
    single: (name) => checked(upload.single(name)),
    array: (name, maxCount) => checked(upload.array(name, maxCount)),
    fields: (fields) => checked(upload.fields(fields)),
    any: () => checked(upload.any()),
    none: () => checked(upload.none()),
  };
}
