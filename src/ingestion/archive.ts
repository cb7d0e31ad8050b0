import { inflateRawSync } from 'node:zlib';
import { DocumentError } from './errors';
import { zipEntries } from './sniff';

/**
 * Archive bombs: a DOCX is a ZIP, and a 52 KB one expanded to 50 MB inside the parser. Before the
 * parser opens it, each entry is inflated here with the remaining budget as zlib's output limit, so
 * the check itself never holds more than the cap, whatever sizes the headers claim.
 */

export interface ArchiveLimits {
  maxUnpackedBytes: number;
  maxEntries: number;
}

const ZIP_LOCAL_FILE_HEADER = 0x04034b50;

const megabytes = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);

export function checkZipLimits(buffer: Buffer, limits: ArchiveLimits): void {
  const corrupt = () =>
    new DocumentError('corrupt_file', 'This file is damaged or incomplete; export it again and re-upload.');
  const entries = zipEntries(buffer);
  if (!entries) throw corrupt();
  if (entries.length > limits.maxEntries) {
    throw new DocumentError(
      'too_large',
      `This document is an archive of ${entries.length} files; the limit is ${limits.maxEntries}.`,
    );
  }
  const tooLarge = () =>
    new DocumentError(
      'too_large',
      `This document unpacks to more than ${megabytes(limits.maxUnpackedBytes)} MB; the limit is ` +
        `${megabytes(limits.maxUnpackedBytes)} MB (an archive bomb, or images too large: compress them).`,
    );
  let unpacked = 0;
  for (const entry of entries) {
    const at = entry.localOffset;
    if (at + 30 > buffer.length || buffer.readUInt32LE(at) !== ZIP_LOCAL_FILE_HEADER) throw corrupt();
    const start = at + 30 + buffer.readUInt16LE(at + 26) + buffer.readUInt16LE(at + 28);
    const data = buffer.subarray(start, start + entry.compressedSize);
    const budget = limits.maxUnpackedBytes - unpacked;
    if (entry.method === 0) unpacked += data.length;
    else if (entry.method === 8) {
      try {
        unpacked += inflateRawSync(data, { maxOutputLength: Math.max(1, budget) }).length;
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
        throw corrupt();
      }
    } else throw corrupt();
    if (unpacked > limits.maxUnpackedBytes) throw tooLarge();
  }
}
