/**
 * Value semantics shared by compiled templates and filters: Python-style truthiness, equality
 * and ordering (the DTL spec is Django, whose values are Python values), variable lookup and
 * conversion of values to text.
 * @module
 */
import { SafeString as ImportedSafeString } from "./safe.js";
import type { RenderContext, RowEdits } from "../render/tree.js";

// Hot paths use a module-local alias: when this file is transpiled to CommonJS (tsx, bundlers),
// every use of an imported binding becomes a getter call, which showed up in render profiles.
const SafeString = ImportedSafeString;

/** Local bindings (loop variables, `with` names, `forloop`) on top of the render context. */
export class Frame {
  constructor(
    readonly parent: Frame | null,
    readonly names: readonly string[],
    readonly values: unknown[],
  ) {}
}

/** Per-render mutable state (`{% cycle %}` counters), fresh for every `Template.render`. */
export class RenderState {
  readonly cycles = new Map<object, number>();
  /** What the view knows of the rows its step edited in place (live renders only). */
  constructor(readonly edits?: RowEdits) {}
}

/** Everything a compiled expression needs to evaluate. */
export interface Scope {
  readonly ctx: RenderContext;
  readonly frame: Frame | null;
  readonly state: RenderState;
}

/** Unwraps a {@link SafeString} so that filters and comparisons see the plain string. */
export function unwrap(value: unknown): unknown {
  return value instanceof SafeString ? value.value : value;
}

/** Python truthiness: empty strings, collections and mappings, zero and None are false. */
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (value === true) return true;
  if (typeof value === "string") return value.length > 0;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "bigint") return value !== 0n;
  if (value instanceof SafeString) return value.value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (isPlainObject(value)) {
    for (const _ in value) return true;
    return false;
  }
  return true;
}

/** True for `{}`-literals and `Object.create(null)` objects (Python dicts, in template terms). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Text of a value as Python's `str()` prints it (what a filter sees, Django's `stringfilter`):
 * `null` is Python's `None` and prints `None`; `undefined` (a failed lookup, Django's
 * `string_if_invalid`) prints as the empty string; booleans print `True`/`False`; numbers
 * print as Python prints an int or a float (`1e-07`, `1e+16`); lists and plain objects print
 * Python-style (`['a', 1]`); dates as `str()` of an aware datetime in UTC.
 */
export function stringify(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  if (value === null) return "None";
  if (typeof value === "number") return pyNumber(value);
  if (value === true) return "True";
  if (value === false) return "False";
  if (value instanceof SafeString) return value.value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "" : dateString(value);
  if (Array.isArray(value) || isPlainObject(value)) return pyRepr(value, new Set());
  return String(value);
}

/**
 * `String(n)` for a number that is not an integer, without the general conversion when it has at
 * most two decimals (prices, ratings: the common fractions in a page), which is several times
 * slower than integer formatting and showed up in full-render profiles of tables.
 *
 * Exact: when `c / 100 === n` for an integer `c` below 1e15, `n` is the double nearest to the
 * decimal `c / 100`, which has at most 15 significant digits; such a decimal is the only one of
 * at most 15 digits that rounds to `n`, so it is the shortest round-trip text `String(n)` prints
 * (in plain notation: `|n| >= 0.01`).
 */
export function fractionText(n: number): string {
  const c = Math.round(n * 100);
  if (c / 100 !== n || !(Math.abs(c) < 1e15)) return String(n);
  const a = c < 0 ? -c : c;
  const cents = a % 100;
  const whole = (a - cents) / 100;
  const decimals = cents % 10 === 0 ? String(cents / 10) : cents < 10 ? `0${cents}` : String(cents);
  return `${c < 0 ? "-" : ""}${whole}.${decimals}`;
}

/**
 * A JS number as Python prints it: an integral number below 1e16 as an int, anything else as
 * Python's `repr()` of a float (`2.5`, `1e-05`, `1e+16`, `inf`, `nan`).
 */
export function pyNumber(n: number): string {
  if (Number.isInteger(n)) {
    if (Math.abs(n) < 1e16) return String(n);
  } else if (Math.abs(n) >= 1e-4 || !Number.isFinite(n)) {
    if (Number.isNaN(n)) return "nan";
    if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
    return fractionText(n);
  }
  // Scientific notation with Python's exponent spelling (at least two digits, explicit sign).
  const [mantissa = "", exp = "0"] = n.toExponential().split("e");
  const e = Number(exp);
  return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

/**
 * Python's `repr()` for the values a list or dict prints its items with, so `{{ xs }}` shows
 * `['a', 1, True]` as in Django.
 */
export function pyRepr(value: unknown, seen: Set<unknown>): string {
  if (typeof value === "string") return pyStringRepr(value);
  if (value === null || value === undefined) return "None";
  if (typeof value === "number" && Number.isInteger(value) && Math.abs(value) >= 1e16)
    return pyNumber(value);
  if (value instanceof SafeString) return pyRepr(value.value, seen);
  if (value instanceof Date && !Number.isNaN(value.getTime())) return dateRepr(value);
  if (Array.isArray(value) || isPlainObject(value)) {
    if (seen.has(value)) return Array.isArray(value) ? "[...]" : "{...}";
    seen.add(value);
    const text = Array.isArray(value)
      ? `[${value.map((v) => pyRepr(v, seen)).join(", ")}]`
      : `{${Object.entries(value)
          .map(([k, v]) => `${pyRepr(k, seen)}: ${pyRepr(v, seen)}`)
          .join(", ")}}`;
    seen.delete(value);
    return text;
  }
  return stringify(value);
}

// Characters Python's repr() escapes: control and format characters, separators other than the
// space, unassigned and private-use code points.
const NON_PRINTABLE = /[\\\n\r\t'"]|(?! )[\p{C}\p{Zl}\p{Zp}\p{Zs}]/gu;

/** Python's `repr()` of a str: quotes chosen as Python does, unprintables as `\xhh`/`\uhhhh`. */
export function pyStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text.replace(NON_PRINTABLE, (ch) => {
    switch (ch) {
      case "\\":
        return "\\\\";
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      case "'":
      case '"':
        return ch === quote ? `\\${ch}` : ch;
    }
    const cp = ch.codePointAt(0) as number;
    const hex = cp.toString(16);
    if (cp < 0x100) return `\\x${hex.padStart(2, "0")}`;
    if (cp < 0x10000) return `\\u${hex.padStart(4, "0")}`;
    return `\\U${hex.padStart(8, "0")}`;
  });
  return quote + body + quote;
}

// repr() of an aware datetime in UTC, as a Python view would hold it.
function dateRepr(d: Date): string {
  const fields = [
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds() * 1000,
  ];
  if (fields[6] === 0) {
    fields.pop();
    if (fields[5] === 0) fields.pop();
  }
  return `datetime.datetime(${fields.join(", ")}, tzinfo=datetime.timezone.utc)`;
}

function dateString(d: Date): string {
  const iso = d.toISOString();
  const ms = d.getUTCMilliseconds();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${ms ? "." + String(ms * 1000).padStart(6, "0") : ""}+00:00`;
}

/** Python `==` (structural for lists and dicts, `True == 1`). */
export function pyEqual(a: unknown, b: unknown): boolean {
  a = unwrap(a);
  b = unwrap(b);
  if (a === b) return true;
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a === "boolean" || typeof b === "boolean") {
    const na = typeof a === "boolean" ? Number(a) : a;
    const nb = typeof b === "boolean" ? Number(b) : b;
    return typeof na === "number" && typeof nb === "number" && na === nb;
  }
  if (typeof a === "bigint" || typeof b === "bigint") {
    if (
      (typeof a === "number" || typeof a === "bigint") &&
      (typeof b === "number" || typeof b === "bigint")
    ) {
      // Loose equality is exactly Python's mixed int/float comparison here.
      return a == b;
    }
    return false;
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => pyEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && pyEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Python ordering: numbers with numbers, strings with strings, lists element-wise. Returns
 * `undefined` where Python would raise `TypeError` (Django's `if` then evaluates to false).
 */
export function pyCompare(a: unknown, b: unknown): number | undefined {
  a = unwrap(a);
  b = unwrap(b);
  const na = typeof a === "boolean" ? Number(a) : a;
  const nb = typeof b === "boolean" ? Number(b) : b;
  if (
    (typeof na === "number" || typeof na === "bigint") &&
    (typeof nb === "number" || typeof nb === "bigint")
  ) {
    return na < nb ? -1 : na > nb ? 1 : 0;
  }
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime());
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (pyEqual(a[i], b[i])) continue;
      return pyCompare(a[i], b[i]);
    }
    return a.length - b.length;
  }
  return undefined;
}

/** Python `needle in haystack`; `undefined` where Python would raise. */
export function pyContains(haystack: unknown, needle: unknown): boolean | undefined {
  haystack = unwrap(haystack);
  needle = unwrap(needle);
  if (typeof haystack === "string")
    return typeof needle === "string" ? haystack.includes(needle) : undefined;
  if (Array.isArray(haystack)) return haystack.some((item) => pyEqual(item, needle));
  if (haystack instanceof Set) {
    if (haystack.has(needle)) return true;
    for (const item of haystack) if (pyEqual(item, needle)) return true;
    return false;
  }
  if (haystack instanceof Map) return haystack.has(needle);
  if (isPlainObject(haystack)) return typeof needle === "string" && Object.hasOwn(haystack, needle);
  return undefined;
}

/** Python `len()`; `undefined` for unsized values. */
export function pyLength(value: unknown): number | undefined {
  value = unwrap(value);
  if (typeof value === "string") return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (value instanceof Map || value instanceof Set) return value.size;
  if (isPlainObject(value)) return Object.keys(value).length;
  return undefined;
}

/** Materializes something a template may iterate; non-iterables give an empty list. */
export function toList(value: unknown): unknown[] {
  value = unwrap(value);
  if (Array.isArray(value)) return value;
  if (value === null || value === undefined) return [];
  if (typeof value === "string") return [...value];
  // Python iterates a dict's keys; a Map behaves like a dict here.
  if (value instanceof Map) return [...value.keys()];
  if (isPlainObject(value)) return Object.keys(value);
  if (typeof value === "object" && Symbol.iterator in value) {
    return [...(value as Iterable<unknown>)];
  }
  return [];
}

// Members every object inherits; a template reaching `constructor` or `toString` is an
// accident at best and a sandbox escape at worst.
function inheritedBuiltin(obj: object, key: string, found: unknown): boolean {
  if (typeof found !== "function" || Object.hasOwn(obj, key)) return false;
  return (
    found === (Object.prototype as Record<string, unknown>)[key] ||
    found === (Function.prototype as unknown as Record<string, unknown>)[key] ||
    key === "constructor"
  );
}

/**
 * One lookup step of a dotted variable: dictionary key, then attribute, then list index (all
 * the same thing for JS objects). Returns `undefined` when the lookup fails.
 */
export function getMember(obj: unknown, key: string): unknown {
  if (obj === null || obj === undefined) return undefined;
  if (typeof obj === "object" && Object.getPrototypeOf(obj) === Object.prototype) {
    // Fast path for the common case, a plain object (a row, a dict).
    const found = (obj as Record<string, unknown>)[key];
    if (found !== undefined)
      return typeof found === "function" && inheritedBuiltin(obj, key, found) ? undefined : found;
  }
  if (typeof obj === "object" || typeof obj === "function") {
    if (obj instanceof Map) {
      if (obj.has(key)) return obj.get(key);
      if (key === "items") return [...obj.entries()];
      if (key === "keys") return [...obj.keys()];
      if (key === "values") return [...obj.values()];
    } else if (obj instanceof SafeString) return getMember(obj.value, key);
    const found = (obj as Record<string, unknown>)[key];
    if (found !== undefined) return inheritedBuiltin(obj, key, found) ? undefined : found;
    // Django's `{% for k, v in d.items %}` on a plain object, the JS stand-in for a dict.
    if (isPlainObject(obj)) {
      if (key === "items") return Object.entries(obj);
      if (key === "keys") return Object.keys(obj);
      if (key === "values") return Object.values(obj);
    }
    return undefined;
  }
  if (typeof obj === "string" && /^\d+$/.test(key)) return obj[Number(key)];
  return undefined;
}

/**
 * Calls a function found during a lookup, like Django calls callables with no arguments.
 * `doNotCallInTemplates = true` on a function opts out (Django's `do_not_call_in_templates`).
 * A class constructor cannot be called without `new`, which Django would report as an
 * invalid variable, so it resolves to `undefined` (missing).
 */
export function callIfCallable(value: unknown, owner: unknown): unknown {
  if (typeof value !== "function") return value;
  if ((value as { doNotCallInTemplates?: unknown }).doNotCallInTemplates === true) return value;
  if (isClass(value)) return undefined;
  return (value as (this: unknown) => unknown).call(owner);
}

const classCache = new WeakMap<object, boolean>();

// Function#toString builds the whole source text, so the answer is cached per function.
function isClass(fn: object): boolean {
  let known = classCache.get(fn);
  if (known === undefined) {
    known = /^class[\s{]/.test(Function.prototype.toString.call(fn));
    classCache.set(fn, known);
  }
  return known;
}

/** Looks up a root name: innermost local binding first, then the render context. */
export function lookupLocal(frame: Frame | null, name: string): unknown {
  for (let f = frame; f !== null; f = f.parent) {
    const i = f.names.indexOf(name);
    if (i >= 0) return f.values[i];
  }
  return undefined;
}
