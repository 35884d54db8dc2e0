/**
 * String coercion for inputs that arrive as text (`dj-value-*` attributes, form fields):
 * each string is converted to the JSON type its schema property expects before validation.
 * Failures become field messages instead of being passed to the schema, so the user sees
 * "Enter a whole number." rather than a type mismatch.
 * @module
 */
import type { FieldErrors } from "../errors.js";
import type { JsonSchema } from "./schema.js";

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off", ""]);

/** Messages for strings that do not convert. */
export const COERCION_MESSAGES = {
  integer: "Enter a whole number.",
  number: "Enter a number.",
  boolean: "Enter a valid boolean (true/false, yes/no, on/off, 1/0).",
} as const;

type Coerced = { ok: true; value: unknown } | { ok: false; message: string };

/** The JSON types a property schema allows, looking through `anyOf`/`oneOf` (optional, nullable). */
function allowedTypes(schema: JsonSchema | undefined): Set<string> {
  const types = new Set<string>();
  if (!schema) return types;
  const type = schema.type;
  if (typeof type === "string") types.add(type);
  else if (Array.isArray(type)) for (const t of type) if (typeof t === "string") types.add(t);
  if (schema.const !== undefined) types.add(typeof schema.const);
  if (Array.isArray(schema.enum))
    for (const v of schema.enum) types.add(v === null ? "null" : typeof v);
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const branches = schema[key];
    if (Array.isArray(branches)) {
      for (const branch of branches)
        for (const t of allowedTypes(branch as JsonSchema)) types.add(t);
    }
  }
  return types;
}

function itemsSchema(schema: JsonSchema | undefined): JsonSchema | undefined {
  if (!schema) return undefined;
  if (typeof schema.items === "object" && schema.items !== null) return schema.items as JsonSchema;
  for (const key of ["anyOf", "oneOf"] as const) {
    const branches = schema[key];
    if (Array.isArray(branches)) {
      for (const branch of branches) {
        const found = itemsSchema(branch as JsonSchema);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** Converts one string to the type `schema` expects; strings pass when a string is allowed. */
export function coerceString(text: string, schema: JsonSchema | undefined): Coerced {
  const types = allowedTypes(schema);
  if (types.size === 0 || types.has("string")) return { ok: true, value: text };
  const trimmed = text.trim();
  if (trimmed === "" && types.has("null")) return { ok: true, value: null };
  if (types.has("integer") || types.has("number")) {
    // An empty field is a missing value: required → "This field is required.", else the default.
    if (trimmed === "") return { ok: true, value: undefined };
    const integerOnly = !types.has("number");
    if (integerOnly ? INTEGER.test(trimmed) : NUMBER.test(trimmed)) {
      const value = Number(trimmed);
      if (Number.isFinite(value)) return { ok: true, value };
    }
    if (!types.has("boolean")) {
      return {
        ok: false,
        message: integerOnly ? COERCION_MESSAGES.integer : COERCION_MESSAGES.number,
      };
    }
  }
  if (types.has("boolean")) {
    const lower = trimmed.toLowerCase();
    if (TRUE.has(lower)) return { ok: true, value: true };
    if (FALSE.has(lower)) return { ok: true, value: false };
    return { ok: false, message: COERCION_MESSAGES.boolean };
  }
  if (types.has("array")) {
    if (trimmed === "") return { ok: true, value: [] };
    const items = itemsSchema(schema);
    const out: unknown[] = [];
    for (const part of trimmed.split(",")) {
      const item = coerceString(part.trim(), items);
      if (!item.ok) return item;
      out.push(item.value);
    }
    return { ok: true, value: out };
  }
  return { ok: true, value: text };
}

/**
 * Coerces the string-valued top-level properties of `input` (and string items of array
 * properties) to what `schema` expects. Non-string values are left alone.
 */
export function coerceParams(
  input: Record<string, unknown>,
  schema: JsonSchema | null,
): { value: Record<string, unknown>; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const properties = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  const value: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    const raw = input[key];
    const propertySchema = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (typeof raw === "string" && propertySchema) {
      const coerced = coerceString(raw, propertySchema);
      if (coerced.ok) {
        if (coerced.value !== undefined) value[key] = coerced.value;
      } else {
        errors[key] = [coerced.message];
      }
    } else if (Array.isArray(raw) && propertySchema && raw.every((x) => typeof x === "string")) {
      const items = itemsSchema(propertySchema);
      const out: unknown[] = [];
      for (const item of raw as string[]) {
        const coerced = coerceString(item, items);
        if (!coerced.ok) {
          errors[key] = [coerced.message];
          break;
        }
        out.push(coerced.value);
      }
      value[key] = out;
    } else {
      value[key] = raw;
    }
  }
  return { value, errors };
}
