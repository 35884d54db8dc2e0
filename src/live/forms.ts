/**
 * Live forms: validate on `dj-change`, save on `dj-submit`, with per-field errors shown only for
 * fields the user has touched (the client marks untouched fields `_unused_<name>`).
 *
 * ```ts
 * form = emptyForm({ title: "", qty: "1" });
 *
 * @eventHandler({ params: "any" })
 * async validate(params: Record<string, unknown>) {
 *   this.form = await form(OrderSchema, params, { previous: this.form });
 * }
 *
 * @eventHandler({ params: "any" })
 * async save(params: Record<string, unknown>) {
 *   const checked = await form(OrderSchema, params, { submitted: true });
 *   if (!checked.valid) { this.form = checked; return; }
 *   insertOrder(checked.data);
 *   this.form = emptyForm({ title: "", qty: "1" });
 * }
 * ```
 *
 * Handlers that read forms take `params: "any"` so they see the client's form metadata; the
 * values are coerced to the schema's types (strings from the browser → numbers, booleans) the
 * same way handler params are.
 * @module
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { ValidationError } from "../errors.js";
import { coerceParams } from "../view/coerce.js";
import { inputJsonSchema } from "../view/schema.js";
import { validateWith } from "../view/validate.js";
import { stripFormMeta, unusedFields } from "./params.js";

/** A form's state: JSON-serializable, so it can live in a view's public state. */
export interface FormState<T = Record<string, unknown>> {
  /** The values as the user typed them (what the inputs should show). */
  readonly values: Record<string, unknown>;
  /** Messages per field (dotted path), only for touched fields unless submitted. */
  readonly errors: Record<string, string[]>;
  /** Fields the user has interacted with. */
  readonly touched: string[];
  /** Whether every field is valid (errors of untouched fields count too). */
  readonly valid: boolean;
  readonly submitted: boolean;
  /** The schema's output when {@link valid}. */
  readonly data?: T;
}

/** Options of {@link form}. */
export interface FormOptions {
  /** Show every error (a submit). Default `false`. */
  readonly submitted?: boolean;
  /** The form's previous state: fields touched before stay touched. */
  readonly previous?: FormState<unknown>;
  /** Extra touched fields. */
  readonly touched?: Iterable<string>;
}

/** A form nobody has touched yet, showing `values`. */
export function emptyForm(values: Record<string, unknown> = {}): FormState<never> {
  return { values: { ...values }, errors: {}, touched: [], valid: false, submitted: false };
}

function leafPaths(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return prefix ? [prefix] : [];
  }
  return Object.entries(value).flatMap(([key, inner]) =>
    leafPaths(inner, prefix ? `${prefix}.${key}` : key),
  );
}

/**
 * Validates form `params` (a handler's raw params: decoded fields plus the client's `_target`
 * and `_unused_*` metadata) with `schema` and returns the form's new state.
 */
export async function form<T = Record<string, unknown>>(
  schema: StandardSchemaV1<unknown, T>,
  params: Record<string, unknown>,
  options: FormOptions = {},
): Promise<FormState<T>> {
  const submitted = options.submitted ?? false;
  const values = stripFormMeta(params);
  const unused = unusedFields(params);
  const touched = new Set<string>(options.previous?.touched ?? []);
  for (const field of options.touched ?? []) touched.add(field);
  for (const path of leafPaths(values)) if (!unused.has(path)) touched.add(path);
  const target = params._target;
  if (typeof target === "string") touched.add(target.replace(/\[([^\]]*)\]/g, ".$1"));
  if (submitted) for (const path of leafPaths(values)) touched.add(path);

  const { value: coerced, errors: coercionErrors } = coerceParams(values, inputJsonSchema(schema));
  let data: T | undefined;
  let all: Record<string, string[]> = { ...coercionErrors };
  try {
    data = (await validateWith(schema, coerced)) as T;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    all = { ...error.fields, ...coercionErrors };
  }
  const valid = Object.keys(all).length === 0;
  const errors: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(all)) {
    const shown =
      submitted ||
      touched.has(field) ||
      [...touched].some((t) => field.startsWith(`${t}.`) || t.startsWith(`${field}.`));
    if (shown) errors[field] = messages;
  }
  const state: FormState<T> = {
    values,
    errors,
    touched: [...touched].sort(),
    valid,
    submitted,
  };
  return valid && data !== undefined ? { ...state, data } : state;
}
