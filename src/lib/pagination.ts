import type { Model, QueryBuilder } from 'objection';
import { problems } from './problem';

/**
 * Cursor pagination shared by every list endpoint: `?limit=&cursor=&sort=createdAt|-createdAt`.
 * Keyset pagination on (sort column, id), so pages stay stable while new rows arrive.
 */

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

export interface PageParams {
  limit?: number;
  cursor?: string;
  /** A sortable field, descending with a leading '-'. */
  sort?: string;
}

/** Incremental sync: only rows changed in this range (`updated_at`). */
export interface UpdatedRange {
  /** Changed at or after. */
  updatedSince?: Date;
  /** Changed before. */
  updatedBefore?: Date;
}

/** Applies an `UpdatedRange` to a query of `table`. */
export function whereUpdated<M extends Model>(
  query: QueryBuilder<M, M[]>,
  table: string,
  range: UpdatedRange,
): void {
  if (range.updatedSince) query.where(`${table}.updatedAt`, '>=', range.updatedSince);
  if (range.updatedBefore) query.where(`${table}.updatedAt`, '<', range.updatedBefore);
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

interface CursorPayload {
  v: string | number;
  id: string;
}

const encodeCursor = (payload: CursorPayload): string =>
  Buffer.from(JSON.stringify(payload)).toString('base64url');

function decodeCursor(cursor: string): CursorPayload {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorPayload>;
    if ((typeof parsed.v === 'string' || typeof parsed.v === 'number') && typeof parsed.id === 'string') {
      return { v: parsed.v, id: parsed.id };
    }
  } catch {
    // fall through to the validation error
  }
  throw problems.validation([
    { field: 'query.cursor', message: 'is not a cursor returned by this endpoint' },
  ]);
}

/**
 * Applies `params` to a query of `table` and returns one page. `sortable` maps the public sort names
 * to columns (camelCase, as the snake-case mapper expects); the first entry is the default. A column
 * that may be null is given with a non-null fallback (`[column, fallback]`): rows sort by the first
 * that is set, since a null would sort first and its cursor would compare with nothing.
 */
export async function paginate<M extends Model & { id: string }>(
  query: QueryBuilder<M, M[]>,
  table: string,
  params: PageParams,
  sortable: Record<string, string | readonly [string, string]> = { createdAt: 'createdAt' },
): Promise<Page<M>> {
  const limit = params.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw problems.validation([
      { field: 'query.limit', message: `must be an integer from 1 to ${MAX_LIMIT}` },
    ]);
  }
  const sort = params.sort ?? `-${Object.keys(sortable)[0]}`;
  const descending = sort.startsWith('-');
  const key = descending ? sort.slice(1) : sort;
  const spec = sortable[key];
  if (!spec) {
    const allowed = Object.keys(sortable).flatMap((k) => [k, `-${k}`]);
    throw problems.validation([{ field: 'query.sort', message: `must be one of ${allowed.join(', ')}` }]);
  }
  const columns = typeof spec === 'string' ? [spec] : [...spec];
  const sortKey = columns.length === 1 ? '??' : 'coalesce(??, ??)';
  const refs = columns.map((column) => `${table}.${column}`);
  const idRef = `${table}.id`;
  const direction = descending ? 'desc' : 'asc';
  if (params.cursor) {
    const { v, id } = decodeCursor(params.cursor);
    // Row-value comparison: strictly after the cursor row in (sort key, id) order.
    query.whereRaw(`(${sortKey}, ??) ${descending ? '<' : '>'} (?, ?)`, [...refs, idRef, v, id]);
  }
  const rows = await query
    .orderByRaw(`${sortKey} ${direction}, ?? ${direction}`, [...refs, idRef])
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1] as unknown as Record<string, unknown> | undefined;
  const value = last ? columns.map((column) => last[column]).find((v) => v != null) : undefined;
  return {
    items,
    nextCursor:
      rows.length > limit && last
        ? encodeCursor({
            v: value instanceof Date ? value.toISOString() : (value as string | number),
            id: last.id as string,
          })
        : null,
  };
}
