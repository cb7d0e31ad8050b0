/**
 * What PostgreSQL can store, checked before it is asked to. Text columns and jsonb refuse U+0000
 * (SQLSTATE 22021, 22P05); a lone surrogate has no UTF-8 form (a text column would silently keep
 * U+FFFD, jsonb refuses it); JSON numbers beyond ±2^53 are no longer exact, and non-finite ones
 * (`1e400`) are not numbers a column holds. Inputs with such values are refused at the edge, naming
 * the field (src/api/body-parsers.ts); text Parley extracts or cuts itself is made storable instead.
 */

const NUL = '\u0000';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why this text cannot be stored, or undefined. */
export function textProblem(value: string): string | undefined {
  if (value.includes(NUL)) return 'contains a NUL character (U+0000), which cannot be stored';
  if (LONE_SURROGATE.test(value)) {
    return 'contains a lone surrogate (half of a UTF-16 pair, not a character), which cannot be stored';
  }
  return undefined;
}

/** Why this number cannot be stored, or undefined. */
export function numberProblem(value: number): string | undefined {
  if (!Number.isFinite(value)) return 'is not a finite number';
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    return `is out of range (integers from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER})`;
  }
  return undefined;
}

export interface Unstorable {
  /** Where, as the API names fields: `body.widget.greeting`, `body.allowedOrigins.0`, `query.q`. */
  field: string;
  message: string;
}

/**
 * The first value in `input` (strings, numbers unless `numbers: false`, object keys, at any depth)
 * that cannot be stored. Iterative, so that a deeply nested body cannot overflow the stack.
 */
export function findUnstorable(
  input: unknown,
  root: string,
  options: { numbers?: boolean } = {},
): Unstorable | undefined {
  const stack: [unknown, string][] = [[input, root]];
  const seen = new Set<object>();
  const at = (path: string, key: string) => (path ? `${path}.${key}` : key);
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      const message = textProblem(value);
      if (message) return { field: path, message };
    } else if (typeof value === 'number' && options.numbers !== false) {
      const message = numberProblem(value);
      if (message) return { field: path, message };
    } else if (
      value !== null &&
      typeof value === 'object' &&
      !seen.has(value) &&
      !ArrayBuffer.isView(value)
    ) {
      seen.add(value);
      const entries = Object.entries(value as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const keyProblem = textProblem(key);
        if (keyProblem) return { field: at(path, key), message: `has a name that ${keyProblem}` };
        stack.push([child, at(path, key)]);
      }
    }
  }
  return undefined;
}

/** Text Parley produced (extracted from documents, cut to a length): NUL removed, lone surrogates as U+FFFD. */
export function storableText(value: string): string {
  const text = value.includes(NUL) ? value.replaceAll(NUL, '') : value;
  return LONE_SURROGATE.test(text) ? text.replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD') : text;
}

/** The first `max` UTF-16 units of `value`, never ending in half a surrogate pair. */
export function clip(value: string, max: number): string {
  if (value.length <= max) return value;
  const end = /[\uD800-\uDBFF]/.test(value[max - 1] ?? '') ? max - 1 : max;
  return value.slice(0, end);
}
