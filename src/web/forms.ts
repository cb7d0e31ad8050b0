import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { HttpProblem } from '../lib/problem';
import { projectRoot } from '../lib/paths';
import { html, type SafeHtml } from './html';

/**
 * Server-side validation of console forms with the API's own rules: the request schemas of the
 * committed OpenAPI spec, which tsoa generates from the same types the controllers validate with.
 * Errors come back per field, in words, to be shown next to the inputs.
 */

/** Field name → message; field names are the form's input names (`email`, `widget.color`). */
export type FieldErrors = Record<string, string>;

const SPEC = path.join(projectRoot, 'openapi', 'openapi.json');
let spec: { components: { schemas: Record<string, { enum?: string[] }> } } | undefined;
let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function openapi(): NonNullable<typeof spec> {
  spec ??= JSON.parse(fs.readFileSync(SPEC, 'utf8')) as NonNullable<typeof spec>;
  return spec;
}

/** The values of an enumeration in the API's schemas (e.g. the API-key scopes). */
export function schemaEnum(schemaName: string): string[] {
  return openapi().components.schemas[schemaName]?.enum ?? [];
}

function validator(schemaName: string): ValidateFunction {
  let validate = compiled.get(schemaName);
  if (!validate) {
    if (!ajv) {
      ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
      ajv.addSchema(openapi(), 'openapi');
    }
    validate = ajv.getSchema(`openapi#/components/schemas/${schemaName}`);
    if (!validate) throw new Error(`No schema ${schemaName} in openapi/openapi.json`);
    compiled.set(schemaName, validate);
  }
  return validate;
}

const FRIENDLY_PATTERNS: [RegExp, string][] = [
  [/@/, 'must be an email address like dana@example.com'],
  [/^\^#/, 'must be a colour like #4f46e5'],
  [/https\?:\/\/\[\^\\s\/\]/, 'must be an origin like https://www.example.com'],
  [/https\?/, 'must be an http(s) URL'],
];

function message(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'minLength':
      return params.limit === 1 ? 'is required' : `must be at least ${String(params.limit)} characters`;
    case 'maxLength':
      return `must be at most ${String(params.limit)} characters`;
    case 'minimum':
      return `must be at least ${String(params.limit)}`;
    case 'maximum':
      return `must be at most ${String(params.limit)}`;
    case 'maxItems':
      return `may list at most ${String(params.limit)} entries`;
    case 'pattern': {
      const pattern = String(params.pattern);
      return FRIENDLY_PATTERNS.find(([test]) => test.test(pattern))?.[1] ?? 'has an invalid format';
    }
    case 'enum':
      return 'is not one of the choices';
    case 'type':
      return params.type === 'number' || params.type === 'integer' ? 'must be a number' : 'is invalid';
    default:
      return error.message ?? 'is invalid';
  }
}

const fieldOf = (error: ErrorObject): string => {
  const base = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty: string }).missingProperty);
    return base ? `${base}.${missing}` : missing;
  }
  return base;
};

/** Checks `data` against a request schema of the API; returns the errors by field (empty when valid). */
export function validateAgainst(schemaName: string, data: unknown): FieldErrors {
  const validate = validator(schemaName);
  if (validate(data)) return {};
  const errors: FieldErrors = {};
  for (const error of validate.errors ?? []) {
    const field = fieldOf(error);
    errors[field] ??= message(error);
  }
  return errors;
}

/** The field errors of a service's validation problem (`body.allowedOrigins.0` → `allowedOrigins.0`). */
export function problemFieldErrors(error: unknown): FieldErrors | undefined {
  if (!(error instanceof HttpProblem) || error.slug !== 'validation') return undefined;
  const errors: FieldErrors = {};
  for (const { field, message: text } of error.extensions.errors ?? []) {
    errors[field.replace(/^body\.?/, '')] ??= text;
  }
  return errors;
}

/** A form field exactly as sent (passwords keep their spaces); '' when absent. */
export function raw(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** Trimmed text of a form field; '' when absent. */
export function text(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** A form field as a number, or the raw text when it is not one (the schema then reports it). */
export function numeric(value: string): number | string | undefined {
  if (value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

/** Non-empty lines of a textarea. */
export const lines = (value: string): string[] =>
  value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

// --- Rendering: a label, the input, and its error, tied together for assistive technology. ---

export interface FieldOptions {
  name: string;
  label: string;
  value?: string;
  type?: string;
  errors?: FieldErrors;
  hint?: string;
  required?: boolean;
  autocomplete?: string;
  /** Extra attributes as already-safe HTML (e.g. min/max/step). */
  attributes?: SafeHtml;
  /** Which error keys belong to this field besides its name (e.g. `allowedOrigins.3`). */
  errorPrefix?: string;
  /** The element id, when two forms on a page have a field of the same name. */
  id?: string;
}

const idFor = (name: string): string => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

export function fieldError(
  options: Pick<FieldOptions, 'name' | 'errors' | 'errorPrefix'>,
): string | undefined {
  const { errors = {}, name, errorPrefix } = options;
  if (errors[name]) return errors[name];
  if (errorPrefix) {
    for (const [key, text] of Object.entries(errors)) {
      if (!key.startsWith(`${errorPrefix}.`)) continue;
      const index = Number(key.slice(errorPrefix.length + 1));
      return Number.isInteger(index) ? `(line ${index + 1}) ${text}` : text;
    }
  }
  return undefined;
}

function describedBy(id: string, hint?: string, error?: string): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return ids || undefined;
}

export function input(options: FieldOptions): SafeHtml {
  const id = options.id ?? idFor(options.name);
  const error = fieldError(options);
  return html`<div class="field${error ? ' invalid' : ''}">
    <label for="${id}">${options.label}</label>
    ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
    <input
      id="${id}"
      name="${options.name}"
      type="${options.type ?? 'text'}"
      value="${options.value ?? ''}"
      ${options.required ? html`required` : ''}
      ${options.autocomplete ? html`autocomplete="${options.autocomplete}"` : ''}
      ${error ? html`aria-invalid="true"` : ''}
      ${describedBy(id, options.hint, error) ? html`aria-describedby="${describedBy(id, options.hint, error)}"` : ''}
      ${options.attributes ?? ''}
    />
    ${error ? html`<p class="error" id="${id}-error">${options.label} ${error}.</p>` : ''}
  </div>`;
}

export function textarea(options: FieldOptions & { rows?: number }): SafeHtml {
  const id = options.id ?? idFor(options.name);
  const error = fieldError(options);
  return html`<div class="field${error ? ' invalid' : ''}">
    <label for="${id}">${options.label}</label>
    ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
    <textarea
      id="${id}"
      name="${options.name}"
      rows="${options.rows ?? 4}"
      ${options.required ? html`required` : ''}
      ${error ? html`aria-invalid="true"` : ''}
      ${describedBy(id, options.hint, error) ? html`aria-describedby="${describedBy(id, options.hint, error)}"` : ''}
      ${options.attributes ?? ''}
    >
${options.value ?? ''}</textarea>
    ${error ? html`<p class="error" id="${id}-error">${options.label} ${error}.</p>` : ''}
  </div>`;
}

/** One `<option>` of a select, selected when it is the current value. */
export const option = (value: string, label: string, current: string | null | undefined): SafeHtml =>
  html`<option value="${value}" ${value === current ? html`selected` : ''}>${label}</option>`;

export function select(options: FieldOptions & { choices: { value: string; label: string }[] }): SafeHtml {
  const id = options.id ?? idFor(options.name);
  const error = fieldError(options);
  return html`<div class="field${error ? ' invalid' : ''}">
    <label for="${id}">${options.label}</label>
    <select
      id="${id}"
      name="${options.name}"
      ${error ? html`aria-invalid="true" aria-describedby="${id}-error"` : ''}
      ${options.attributes ?? ''}
    >
      ${options.choices.map((c) => option(c.value, c.label, options.value))}
    </select>
    ${error ? html`<p class="error" id="${id}-error">${options.label} ${error}.</p>` : ''}
  </div>`;
}

/** A summary at the top of a form, so screen-reader users hear that something needs fixing. */
export function errorSummary(errors: FieldErrors, general?: string): SafeHtml | '' {
  const count = Object.keys(errors).length;
  if (!count && !general) return '';
  return html`<div class="alert alert-error" role="alert">
    ${general ?? `Please correct ${count === 1 ? 'the field' : `the ${count} fields`} marked below.`}
  </div>`;
}
