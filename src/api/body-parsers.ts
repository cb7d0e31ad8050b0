import { isUtf8 } from 'node:buffer';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { findUnstorable, textProblem, type Unstorable } from '../lib/storable';
import { HttpProblem, problems } from '../lib/problem';

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

/**
 * The shape a JSON body or frame may have, checked on its text before it is parsed: validators
 * recurse per level (thousands of levels overflowed tsoa's union validation) and slow down with long
 * arrays (tsoa's array validation is quadratic in the items that fail). Parley's schemas nest four
 * levels and take at most 50 items.
 */
export const MAX_JSON_DEPTH = 32;
export const MAX_JSON_ARRAY_ITEMS = 1000;

/** Why this JSON text has a shape no request needs, or undefined. */
export function jsonShapeProblem(text: Buffer | string): string | undefined {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  // One entry per open array (its commas so far) or object (-1).
  const open: number[] = [];
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // a backslash escapes the next byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      open.push(byte === 0x5b ? 0 : -1);
      if (open.length > MAX_JSON_DEPTH)
        return `nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep`;
    } else if (byte === 0x5d || byte === 0x7d) open.pop();
    else if (byte === 0x2c && open.length > 0 && open[open.length - 1]! >= 0) {
      if (++open[open.length - 1]! >= MAX_JSON_ARRAY_ITEMS)
        return `has an array of more than ${MAX_JSON_ARRAY_ITEMS} items`;
    }
  }
  return undefined;
}

/** JSON bodies (`strict: false` lets a bare string reach validation, which names the body). */
export function jsonBody(options: { limit: number | string; strict?: boolean }): RequestHandler[] {
  return [
    express.json({
      ...options,
      verify: (_req, _res, buffer) => {
        // JSON is UTF-8 (RFC 8259); other bytes would be stored as U+FFFD, the text silently lost.
        if (!isUtf8(buffer)) throw problems.badRequest('The JSON body is not valid UTF-8.');
        const problem = jsonShapeProblem(buffer);
        if (problem) throw problems.badRequest(`The JSON body ${problem}.`);
      },
    }),
    refuseUnstorableBody,
  ];
}

/**
 * Pages take forms only: a JSON or text body would reach their handlers as no body at all. (Requests
 * without a body pass; `req.is` answers null for them.)
 */
export const formsOnly: RequestHandler = (req, _res, next) => {
  next(
    req.is(['urlencoded', 'multipart']) === false
      ? new HttpProblem(
          'unsupported-media-type',
          'Send the form as application/x-www-form-urlencoded or multipart/form-data.',
        )
      : undefined,
  );
};

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
    // Browsers send a file's name as raw UTF-8 in the part's header; busboy assumes latin1.
    defParamCharset: 'utf8',
    limits: { fileSize: options.maxBytes, files: 1 },
    fileFilter: (_req, file, accept) => {
      const problem = textProblem(file.originalname);
      if (problem)
        accept(refusal({ field: `body.${file.fieldname}`, message: `has a name that ${problem}` }));
      else accept(null, true);
    },
  });
  // Busboy throws on a multipart body without a boundary (a 500 before); it cannot be read, so 415.
  const checked =
    (middleware: RequestHandler): RequestHandler =>
    (req, res, next) => {
      if (req.is('multipart/form-data') && !/;\s*boundary=/i.test(req.headers['content-type'] ?? '')) {
        next(new HttpProblem('unsupported-media-type', 'Send multipart/form-data with a boundary.'));
        return;
      }
      void middleware(req, res, (error?: unknown) =>
        error ? next(error) : refuseUnstorableBody(req, res, next),
      );
    };
  return {
    ...upload,
    single: (name) => checked(upload.single(name)),
    array: (name, maxCount) => checked(upload.array(name, maxCount)),
    fields: (fields) => checked(upload.fields(fields)),
    any: () => checked(upload.any()),
    none: () => checked(upload.none()),
  };
}
