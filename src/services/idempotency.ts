import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { IdempotencyKey } from '../db/models';
import { HttpProblem, problems } from '../lib/problem';

/** How long a key's answer is kept: a retry within this time gets it again. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** An answer to replay: its status and JSON body. */
export interface IdempotentAnswer<T> {
  status: number;
  body: T;
  /** True when this is the stored answer of an earlier request with the same key. */
  replayed: boolean;
}

/** JSON with object keys sorted, so that the same request always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  if (Buffer.isBuffer(value)) return JSON.stringify(createHash('sha256').update(value).digest('hex'));
  return JSON.stringify(value) ?? 'null';
}

/**
 * `Idempotency-Key` on creating requests (IETF draft-ietf-httpapi-idempotency-key-header), per
 * organization: the first request with a key runs and its answer is stored; the same key with the
 * same request within 24 hours gets that answer again without running anything; the same key with
 * another request is a 422, and while the first still runs a retry gets 409. A request that fails
 * leaves no answer behind, so it can be retried with the same key.
 */
export class IdempotencyService {
  constructor(private readonly deps: { knex: Knex }) {}

  async run<T>(
    organizationId: string,
    key: string | undefined,
    /** The operation, e.g. `POST /v1/conversations`: a key used for another operation is refused. */
    operation: string,
    /** Everything that makes the request what it is (body, query, a file's bytes). */
    request: unknown,
    perform: () => Promise<{ status: number; body: T }>,
  ): Promise<IdempotentAnswer<T>> {
    if (key === undefined) return { ...(await perform()), replayed: false };
    const requestHash = createHash('sha256')
      .update(`${operation}\n${canonical(request)}`)
      .digest('hex');
    const { knex } = this.deps;
    const claimed = await knex.transaction(async (trx) => {
      // Keys older than their lifetime are free again; their answers (a new API key's secret among
      // them) are not kept longer than needed.
      await IdempotencyKey.query(trx)
        .forOrganization(organizationId)
        .where('createdAt', '<', new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS))
        .delete();
      const inserted = (await knex('idempotency_keys')
        .transacting(trx)
        .insert({ organization_id: organizationId, key, operation, request_hash: requestHash })
        .onConflict(['organization_id', 'key'])
        .ignore()
        .returning('key')) as unknown[];
      return inserted.length > 0;
    });
    if (!claimed) return this.replay<T>(organizationId, key, operation, requestHash);

    let answer: { status: number; body: T };
    try {
      answer = await perform();
    } catch (error) {
      await IdempotencyKey.query(knex).forOrganization(organizationId).where({ key }).delete();
      throw error;
    }
    await IdempotencyKey.query(knex)
      .forOrganization(organizationId)
      .where({ key })
      // Through JSON, as the answer is sent: dates become ISO strings.
      .patch({ status: answer.status, response: JSON.parse(JSON.stringify(answer.body)) as unknown });
    return { ...answer, replayed: false };
  }

  private async replay<T>(
    organizationId: string,
    key: string,
    operation: string,
    requestHash: string,
  ): Promise<IdempotentAnswer<T>> {
    const stored = await IdempotencyKey.query(this.deps.knex)
      .forOrganization(organizationId)
      .findOne({ key });
    // Deleted in between (the first request failed): the caller may simply retry.
    if (!stored) throw problems.conflict('A request with this Idempotency-Key just failed; retry it.');
    if (stored.operation !== operation || stored.requestHash !== requestHash) {
      throw problems.validation(
        [
          {
            field: 'header.idempotency-key',
            message: 'was already used for a different request (keys are kept 24 hours)',
          },
        ],
        'This Idempotency-Key was already used with another request.',
      );
    }
    if (stored.status === null) {
      throw new HttpProblem(
        'conflict',
        'A request with this Idempotency-Key is still running; retry shortly.',
        {
          headers: { 'Retry-After': '1' },
        },
      );
    }
    return { status: stored.status, body: stored.response as T, replayed: true };
  }
}
