import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque bearer secrets (refresh tokens, API keys, emailed links). Only their SHA-256 is stored:
 * they carry 256 random bits, so a fast hash is enough and lookups stay a single index probe.
 */
export const newSecret = (prefix: string): string => `${prefix}${randomBytes(32).toString('base64url')}`;

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
