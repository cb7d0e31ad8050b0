import type { Knex } from 'knex';
import { Attachment, type AttachmentRef } from '../db/models';
import type { VisitorIdentity } from './visitors';
import { WidgetError } from './visitors';
import { clip } from '../lib/storable';

/**
 * Files visitors send from the widget: images and PDFs, typed by their bytes (never by the name or
 * the declared type), and only ever served back with a passive content type.
 */

const SIGNATURES: { type: string; test: (b: Buffer) => boolean }[] = [
  {
    type: 'image/png',
    test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  { type: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', test: (b) => /^GIF8[79]a/.test(b.subarray(0, 6).toString('latin1')) },
  {
    type: 'image/webp',
    test: (b) =>
      b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
  { type: 'application/pdf', test: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
];

export const detectAttachmentType = (bytes: Buffer): string | undefined =>
  SIGNATURES.find((s) => s.test(bytes))?.type;

/** Keeps the name readable but harmless in a Content-Disposition header and in HTML. */
const safeFilename = (name: string): string =>
  clip(name.replace(/[^\p{L}\p{N}._ -]/gu, '_'), 120) || 'attachment';

export async function storeAttachment(
  knex: Knex,
  identity: VisitorIdentity,
  file: { originalname: string; buffer: Buffer; size: number },
  maxBytes: number,
): Promise<AttachmentRef> {
  if (file.size > maxBytes)
    throw new WidgetError(
      'invalid_message',
      `Attachments are limited to ${Math.floor(maxBytes / 1024 / 1024)} MB.`,
    );
  const contentType = detectAttachmentType(file.buffer);
  if (!contentType)
    throw new WidgetError(
      'invalid_message',
      'Only images (PNG, JPEG, GIF, WebP) and PDF files can be attached.',
    );
  const stored = await Attachment.query(knex)
    .forOrganization(identity.organizationId)
    .insert({
      conversationId: identity.conversationId,
      filename: safeFilename(file.originalname),
      contentType,
      sizeBytes: file.size,
      content: file.buffer,
    })
    .returning(['id', 'filename', 'contentType', 'sizeBytes']);
  return {
    id: stored.id,
    filename: stored.filename,
    contentType: stored.contentType,
    sizeBytes: stored.sizeBytes,
  };
}

export async function loadAttachment(
  knex: Knex,
  organizationId: string,
  conversationId: string,
  id: string,
): Promise<Attachment> {
  const attachment = await Attachment.query(knex)
    .forOrganization(organizationId)
    .findOne({ id, conversationId });
  if (!attachment) throw new WidgetError('not_found', 'No such attachment.');
  return attachment;
}

/** Headers that keep a stored file inert: never rendered as a page, never sniffed into something else. */
export function attachmentHeaders(attachment: Attachment): Record<string, string> {
  const inline = attachment.contentType.startsWith('image/');
  return {
    'Content-Type': attachment.contentType,
    'Content-Length': String(attachment.sizeBytes),
    'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${attachment.filename}"`,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Cache-Control': 'private, max-age=3600',
  };
}
