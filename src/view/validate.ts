/**
 * Input checks shared by every transport: the shape guard (plain object, no
 * prototype-pollution keys, bounded depth) and Standard Schema validation with issues mapped to
 * `details = { "dotted.path": [messages] }`.
 * @module
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { ValidationError, type FieldErrors } from "../errors.js";

/**
 * Deepest input nesting accepted from a client unless the app sets `limits.inputDepth` (the
 * default of that limit).
 */
export const DEFAULT_INPUT_DEPTH = 32;

/** The refusal of input nested deeper than `maxDepth` levels, on every transport. */
export function tooDeep(maxDepth: number): ValidationError {
  return new ValidationError(`Input is nested too deeply (more than ${maxDepth} levels).`);
}

/** Keys refused anywhere in client input: they would reach prototypes when merged. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

/** The message for a required field that is missing (Django's). */
export const REQUIRED_MESSAGE = "This field is required.";

/**
 * Checks client input before anything reads it.
 * @throws ValidationError for a non-object, a forbidden key (at any depth), or nesting deeper
 * than `maxDepth` levels.
 */
export function guardInput(input: unknown, maxDepth: number): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new ValidationError("Parameters must be a JSON object.");
  }
  walk(input, undefined, 1, maxDepth);
  return input as Record<string, unknown>;
}

// Paths are built only when reporting: `parent` links let the error name the dotted path.
interface Trail {
  readonly parent: Trail | undefined;
  readonly key: string | number;
}

function dotted(trail: Trail | undefined): string {
  const parts: (string | number)[] = [];
  for (let t = trail; t; t = t.parent) parts.push(t.key);
  return parts.reverse().join(".");
}

// Recursion is bounded by `maxDepth`: deeper input is refused before the next call.
function walk(value: unknown, trail: Trail | undefined, depth: number, maxDepth: number): void {
  if (typeof value !== "object" || value === null) return;
  if (depth > maxDepth) throw tooDeep(maxDepth);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      walk(value[i], { parent: trail, key: i }, depth + 1, maxDepth);
    }
    return;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) {
      const at = dotted({ parent: trail, key });
      throw new ValidationError({ [at]: [`The key "${key}" is not allowed.`] });
    }
    const child = (value as Record<string, unknown>)[key];
    if (typeof child === "object" && child !== null) {
      walk(child, { parent: trail, key }, depth + 1, maxDepth);
    }
  }
}

/**
 * The shape guard of {@link guardInput} for any value (objects, arrays, scalars), without
 * recursion: a value nested far deeper than `maxDepth` (a 64 KiB frame holds 30,000 levels)
 * is refused before anything walks it recursively.
 * @throws ValidationError for a forbidden key at any depth or nesting deeper than `maxDepth`
 * levels.
 */
export function guardValue(value: unknown, maxDepth: number): void {
  if (typeof value !== "object" || value === null) return;
  const stack: [object, number][] = [[value, 1]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top;
    if (depth > maxDepth) throw tooDeep(maxDepth);
    const children = Array.isArray(node) ? (node as unknown[]) : undefined;
    if (children) {
      for (const child of children) {
        if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
      }
      continue;
    }
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key)) {
        throw new ValidationError({ [key]: [`The key "${key}" is not allowed.`] });
      }
      const child = (node as Record<string, unknown>)[key];
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
}

function pathKey(path: StandardSchemaV1.Issue["path"]): string {
  if (!path || path.length === 0) return "__all__";
  return path
    .map((segment) => String(typeof segment === "object" ? segment.key : segment))
    .join(".");
}

function valueAt(input: unknown, path: StandardSchemaV1.Issue["path"] | Path): unknown {
  let current = input;
  for (const segment of path ?? []) {
    const key = typeof segment === "object" ? segment.key : segment;
    if (typeof current !== "object" || current === null) return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * The JSON Schema `pattern` of a `bigint` param's JSON form, an integer string (the OpenAPI
 * document gives it; {@link reviveWireValues} accepts it).
 */
export const BIGINT_PATTERN = "^-?[0-9]+$";
const BIGINT = new RegExp(BIGINT_PATTERN);
/** RFC 3339 `date-time`, the JSON Schema format a `Date` param's JSON form is documented as. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** The `Date` or `bigint` that `value` is the JSON form of, when the schema `expected` one. */
function revived(expected: unknown, value: unknown): Date | bigint | undefined {
  if (typeof value !== "string") return undefined;
  if (expected === "date" && DATE_TIME.test(value)) {
    const date = new Date(value.toUpperCase());
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  if (expected === "bigint" && BIGINT.test(value)) return BigInt(value);
  return undefined;
}

type Path = readonly (PropertyKey | StandardSchemaV1.PathSegment)[];

/** Where issues (zod's, through a union's branches too) wanted a `Date`/`bigint`. */
function wantedAt(
  issues: readonly StandardSchemaV1.Issue[],
  prefix: Path,
  out: [Path, unknown][],
): void {
  for (const issue of issues) {
    const { code, expected, errors } = issue as {
      code?: unknown;
      expected?: unknown;
      errors?: unknown;
    };
    const path = [...prefix, ...(issue.path ?? [])];
    if (code === "invalid_type" && (expected === "date" || expected === "bigint")) {
      out.push([path, expected]);
    } else if (code === "invalid_union" && Array.isArray(errors)) {
      for (const branch of errors) if (Array.isArray(branch)) wantedAt(branch, path, out);
    }
  }
}

/**
 * `input` with the JSON forms of dates and bigints revived where the schema's `issues` say it
 * wanted a `Date` or a `bigint` and got such a string, or `null` when there is none to revive.
 * JSON has no dates or bigints: a body carries them as the OpenAPI document describes them (an
 * RFC 3339 `date-time` string, an integer string), so those forms, and only where the schema
 * wants one, are what the schema is given again. A `z.string().datetime()` is never touched.
 */
export function reviveWireValues(
  issues: readonly StandardSchemaV1.Issue[],
  input: Record<string, unknown>,
): Record<string, unknown> | null {
  const wanted: [Path, unknown][] = [];
  wantedAt(issues, [], wanted);
  let copy: Record<string, unknown> | null = null;
  for (const [path, expected] of wanted) {
    if (path.length === 0) continue;
    const value = revived(expected, valueAt(input, path));
    if (value === undefined) continue;
    copy ??= structuredClone(input);
    const keys = path.map((segment) => (typeof segment === "object" ? segment.key : segment));
    const parent = valueAt(copy, path.slice(0, -1)) as Record<PropertyKey, unknown>;
    parent[keys[keys.length - 1] as PropertyKey] = value;
  }
  return copy;
}

/**
 * Messages collected per field. A field may be named `toString` or `__proto__`, which on a
 * plain object would read (or set) what it inherits, so they are kept in a `Map` until done.
 */
export class FieldErrorsBuilder {
  readonly #fields = new Map<string, string[]>();

  /** The messages of `key`, empty at first. */
  of(key: string): string[] {
    let list = this.#fields.get(key);
    if (!list) this.#fields.set(key, (list = []));
    return list;
  }

  get size(): number {
    return this.#fields.size;
  }

  /** The collected messages, as a plain object (`__proto__` an own field like any other). */
  done(): FieldErrors {
    return Object.fromEntries(this.#fields);
  }
}

/** Converts Standard Schema issues into field errors. */
export function issuesToFields(
  issues: readonly StandardSchemaV1.Issue[],
  input: unknown,
): FieldErrors {
  const fields = new FieldErrorsBuilder();
  const add = (key: string, message: string) => {
    const list = fields.of(key);
    if (!list.includes(message)) list.push(message);
  };
  for (const issue of issues) {
    // zod reports refused extra keys of a strict object as one issue listing them.
    const extra = (issue as { code?: unknown; keys?: unknown }).keys;
    if ((issue as { code?: unknown }).code === "unrecognized_keys" && Array.isArray(extra)) {
      const base = pathKey(issue.path);
      for (const key of extra)
        add(base === "__all__" ? String(key) : `${base}.${String(key)}`, "Unexpected field.");
      continue;
    }
    const missing = issue.path && issue.path.length > 0 && valueAt(input, issue.path) === undefined;
    add(pathKey(issue.path), missing ? REQUIRED_MESSAGE : issue.message);
  }
  return fields.done();
}

/** Validates `input` with `schema`; returns the parsed value or throws {@link ValidationError}. */
export async function validateWith(schema: StandardSchemaV1, input: unknown): Promise<unknown> {
  const result = await schema["~standard"].validate(input);
  if (result.issues) throw new ValidationError(issuesToFields(result.issues, input));
  return result.value;
}
