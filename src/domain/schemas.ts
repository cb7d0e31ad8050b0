// Validated string types shared by request and response bodies; tsoa turns the JSDoc into the spec.

/**
 * A UUID, e.g. an object id.
 * @pattern ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$
 * @example "0b5f0a5e-9a1c-4c47-a8f6-2d6f3c1b8e21"
 */
export type Uuid = string;

/**
 * An email address (ASCII, as the stored users' schema also requires).
 * @pattern ^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$
 * @maxLength 254
 * @example "dana@example.com"
 */
export type Email = string;

/**
 * A password of 8 to 200 characters.
 * @minLength 8
 * @maxLength 200
 * @example "correct horse battery staple"
 */
export type Password = string;

/**
 * A secret from an emailed link or a refresh token.
 * @minLength 1
 * @maxLength 200
 */
export type OpaqueToken = string;

/** A member's role: owner > admin > agent. */
export type MemberRole = 'owner' | 'admin' | 'agent';

/**
 * A whole number: a count, a number, a version, a rank, a duration in milliseconds (64-bit: a
 * month is more milliseconds than 32 bits hold).
 * @isLong
 * @example 3
 */
export type Integer = number;

/**
 * An `Idempotency-Key`: any printable ASCII of your choosing, unique per request you mean (a UUID).
 * @minLength 1
 * @maxLength 255
 * @pattern ^[!-~]+$
 * @example "5f0c3a6e-2b7d-4f1e-9a3c-7d2e1b0f4a68"
 */
export type IdempotencyKeyHeader = string;
