/**
 * The built-in filters of the DTL front end, with Django's semantics, and the registry that
 * templates look filter names up in at compile time.
 * @module
 */
import { SafeString, escapeHtml, markSafe } from "./safe.js";
import {
  DateInZone,
  formatDate,
  formatTime,
  isTimeZone,
  localizeNumber,
  numberSeparators,
  unlocalizedFormat,
} from "./dateformat.js";
import { languageInfo } from "./language-info.js";
import { randomBelow } from "./random.js";
import {
  escapeJs,
  iriToUri,
  linebreaks,
  normalizeNewlines,
  pformat,
  phone2numeric,
  pyPad,
  pySplit,
  slugify,
  timesince,
  truncateChars,
  truncateHtml,
  truncateWords,
  urlQuote,
  urlize,
  wrap,
} from "./text.js";
import {
  getMember,
  isPlainObject,
  pyCompare,
  pyLength,
  pyRepr,
  stringify,
  toList,
  truthy,
  unwrap,
} from "./values.js";

/** Per-call information a filter may need. */
export interface FilterOptions {
  /** Whether autoescaping is on where the filter is used (`{% autoescape off %}` turns it off). */
  readonly autoescape: boolean;
  /** The IANA time zone dates are shown in (the app's `timeZone`; `"UTC"` by default). */
  readonly timeZone: string;
  /** The locale named formats come from (the app's `locale`; `"en"` by default). */
  readonly locale: string;
}

/** A filter implementation and its compile-time contract. */
export interface FilterSpec {
  /**
   * Computes the filtered value. `value` may be a {@link SafeString}; `arg` is `undefined`
   * when the template gave none.
   */
  readonly fn: (value: unknown, arg: unknown, options: FilterOptions) => unknown;
  /** Whether the template must, may or must not pass an argument (checked at compile time). */
  readonly arg: "none" | "optional" | "required";
  /**
   * Django's `is_safe`: the filter never introduces unsafe HTML, so a safe input string gives a
   * safe output string.
   */
  readonly isSafe?: boolean;
  /**
   * The result depends only on the value and the argument (no clock, no outside state). Loops
   * whose rows use only pure filters may reuse a row's previous output while the row is
   * unchanged. Default `false`; every built-in filter is pure.
   */
  readonly pure?: boolean;
}

const registry = new Map<string, FilterSpec>();

/** Built-in filters of Django's loadable libraries: usable after `{% load <library> %}`. */
export const FILTER_LIBRARY: Readonly<Record<string, string>> = {
  language_name: "i18n",
  language_name_local: "i18n",
  language_bidi: "i18n",
  language_name_translated: "i18n",
  localtime: "tz",
  utc: "tz",
  timezone: "tz",
  localize: "l10n",
  unlocalize: "l10n",
};

/**
 * Registers (or replaces) a filter for every template compiled afterwards. Templates already
 * compiled keep the implementation they were compiled with.
 */
export function registerFilter(name: string, spec: FilterSpec): void {
  if (!/^\w+$/.test(name)) throw new TypeError(`invalid filter name ${JSON.stringify(name)}`);
  registry.set(name, spec);
}

/** The filter registered under `name`, if any. */
export function getFilter(name: string): FilterSpec | undefined {
  return registry.get(name);
}

/** Names of all registered filters. */
export function filterNames(): string[] {
  return [...registry.keys()];
}

// A local binding: imported bindings cost a getter call per use when transpiled to CommonJS.
const stringifyValue = stringify;
const str = (value: unknown): string => stringifyValue(value);

/** Python `int()` of a value; `undefined` where Python raises. */
function pyInt(value: unknown): number | undefined {
  value = unwrap(value);
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string") {
    const t = value.trim();
    return /^[+-]?\d+(_\d+)*$/.test(t) ? Number(t.replace(/_/g, "")) : undefined;
  }
  return undefined;
}

/** Python `float()` of a value; `undefined` where Python raises. */
function pyFloat(value: unknown): number | undefined {
  value = unwrap(value);
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string") {
    const t = value.trim().replace(/_/g, "");
    if (/^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/.test(t)) return Number(t);
    if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
    if (/^[+-]?nan$/i.test(t)) return NaN;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// floatformat: exact decimal rounding (ROUND_HALF_UP on the shortest decimal repr), because
// Number#toFixed rounds the binary value (2.675 → "2.67") where Django gives "2.68".

interface DecimalValue {
  readonly negative: boolean;
  readonly digits: bigint;
  readonly exponent: number;
}

function parseDecimal(text: string): DecimalValue | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (m === null) return undefined;
  const int = m[2] ?? "";
  const frac = m[3] ?? "";
  if (int === "" && frac === "") return undefined;
  return {
    negative: m[1] === "-",
    digits: BigInt((int + frac).replace(/^0+(?=\d)/, "") || "0"),
    exponent: Number(m[4] ?? "0") - frac.length,
  };
}

function groupThousands(intPart: string, separator: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
}

function floatformat(value: unknown, arg: unknown, { locale }: FilterOptions): unknown {
  const raw = unwrap(value);
  const inputText = typeof raw === "number" ? numberRepr(raw) : stringify(raw);
  let dec =
    typeof raw === "number" || typeof raw === "string" ? parseDecimal(inputText) : undefined;
  if (dec === undefined) {
    const f = pyFloat(raw);
    if (f === undefined) return "";
    if (!Number.isFinite(f)) return inputText;
    dec = parseDecimal(numberRepr(f));
    if (dec === undefined) return "";
  }
  let argText = arg === undefined ? "-1" : stringify(unwrap(arg));
  let grouping = false;
  let localize = true;
  for (;;) {
    if (argText.endsWith("g")) grouping = true;
    else if (argText.endsWith("u")) localize = false;
    else break;
    argText = argText.slice(0, -1);
  }
  // Django 5.2: a bare suffix means the default precision.
  if (argText === "" && arg !== undefined) argText = "-1";
  const separators = numberSeparators(locale, localize);
  const p = pyInt(argText);
  if (p === undefined) return inputText;
  const places = Math.abs(p);
  // Whether the value has a fractional part.
  let hasFraction = false;
  if (dec.exponent < 0) hasFraction = dec.digits % 10n ** BigInt(-dec.exponent) !== 0n;
  let scaled: bigint;
  let decimals: number;
  if (!hasFraction && p <= 0) {
    decimals = 0;
    scaled =
      dec.exponent >= 0
        ? dec.digits * 10n ** BigInt(dec.exponent)
        : dec.digits / 10n ** BigInt(-dec.exponent);
  } else {
    decimals = places;
    const shift = dec.exponent + places;
    if (shift >= 0) scaled = dec.digits * 10n ** BigInt(shift);
    else {
      const divisor = 10n ** BigInt(-shift);
      scaled = dec.digits / divisor;
      if ((dec.digits % divisor) * 2n >= divisor) scaled += 1n;
    }
  }
  let text = scaled.toString().padStart(decimals + 1, "0");
  let intPart = decimals > 0 ? text.slice(0, -decimals) : text;
  // Unlocalized, Django's settings group nothing (NUMBER_GROUPING = 0), even with `g`.
  if (grouping && localize) intPart = groupThousands(intPart, separators.thousands);
  text = decimals > 0 ? `${intPart}${separators.decimal}${text.slice(-decimals)}` : intPart;
  return markSafe(dec.negative && scaled !== 0n ? `-${text}` : text);
}

/** Python's `repr()` of a float, which JS matches except for the exponent spelling. */
function numberRepr(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? "nan" : n > 0 ? "inf" : "-inf";
  return String(n);
}

// ---------------------------------------------------------------------------------------------

/** Python slice semantics on a length: the selected indices. */
function sliceIndices(
  length: number,
  start: number | null,
  stop: number | null,
  step: number | null,
): number[] {
  const st = step ?? 1;
  const norm = (v: number | null, dflt: number, lo: number, hi: number) => {
    if (v === null) return dflt;
    let x = v < 0 ? v + length : v;
    if (x < lo) x = lo;
    if (x > hi) x = hi;
    return x;
  };
  const out: number[] = [];
  if (st > 0) {
    const a = norm(start, 0, 0, length);
    const b = norm(stop, length, 0, length);
    for (let i = a; i < b; i += st) out.push(i);
  } else {
    const a = norm(start, length - 1, -1, length - 1);
    const b = norm(stop, -1, -1, length - 1);
    for (let i = a; i > b; i += st) out.push(i);
  }
  return out;
}

function sliceFilter(value: unknown, arg: unknown): unknown {
  const bits: (number | null)[] = [];
  for (const part of stringify(unwrap(arg)).split(":")) {
    if (part === "") bits.push(null);
    else {
      const n = pyInt(part);
      if (n === undefined) return value;
      bits.push(n);
    }
  }
  if (bits.length > 3) return value;
  const [a, b, c] =
    bits.length === 1
      ? [null, bits[0] ?? null, null]
      : [bits[0] ?? null, bits[1] ?? null, bits[2] ?? null];
  if (c === 0) return value;
  const raw = unwrap(value);
  if (typeof raw === "string") {
    const chars = [...raw];
    return sliceIndices(chars.length, a, b, c)
      .map((i) => chars[i])
      .join("");
  }
  if (Array.isArray(raw)) return sliceIndices(raw.length, a, b, c).map((i) => raw[i]);
  return value;
}

// ---------------------------------------------------------------------------------------------

function pyTitle(text: string): string {
  let out = "";
  let prevCased = false;
  for (const ch of text) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    const cased = lower !== upper;
    if (cased) {
      out += prevCased ? lower : upper;
      prevCased = true;
    } else {
      out += ch;
      prevCased = false;
    }
  }
  return out;
}

// Python's json.dumps defaults (", " and ": " separators, ensure_ascii), which is what
// Django's json_script emits.
function pyJson(value: unknown, seen = new Set<unknown>()): string | undefined {
  value = unwrap(value);
  if (value === null) return "null";
  if (value === undefined) return undefined;
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "number")
    return Number.isFinite(value)
      ? String(value)
      : Number.isNaN(value)
        ? "NaN"
        : value > 0
          ? "Infinity"
          : "-Infinity";
  if (typeof value === "bigint") return pyJsonString(value.toString());
  if (typeof value === "string") return pyJsonString(value);
  if (typeof value === "function" || typeof value === "symbol") return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return "null";
    const iso = value.toISOString();
    return pyJsonString(value.getUTCMilliseconds() === 0 ? iso.replace(".000Z", "Z") : iso);
  }
  if (seen.has(value)) throw new TypeError("json_script: circular structure");
  seen.add(value);
  try {
    const withJson = value as { toJSON?: unknown };
    if (
      typeof withJson.toJSON === "function" &&
      !(value instanceof Map) &&
      !(value instanceof Set)
    ) {
      return pyJson((withJson.toJSON as () => unknown).call(value), seen);
    }
    if (Array.isArray(value) || value instanceof Set) {
      return `[${[...value].map((v) => pyJson(v, seen) ?? "null").join(", ")}]`;
    }
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as object);
    const parts: string[] = [];
    for (const [k, v] of entries) {
      const encoded = pyJson(v, seen);
      if (encoded !== undefined) parts.push(`${pyJsonString(String(k))}: ${encoded}`);
    }
    return `{${parts.join(", ")}}`;
  } finally {
    seen.delete(value);
  }
}

function pyJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ch = text[i] as string;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c === 8) out += "\\b";
    else if (c === 12) out += "\\f";
    else if (c < 0x20 || c > 0x7e) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

// ---------------------------------------------------------------------------------------------
// stringformat: Python's `%` operator with a single value.

function percentFormat(format: string, value: unknown): string | undefined {
  const re = /%([#0\- +]*)(\d+)?(?:\.(\d+))?([diouxXeEfFgGcrsa%])/g;
  let out = "";
  let last = 0;
  let used = 0;
  for (let m = re.exec(format); m !== null; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags = "", widthText, precText, conv = ""] = m;
    if (conv === "%") {
      out += "%";
      continue;
    }
    if (++used > 1) return undefined;
    const piece = convert(
      conv,
      flags,
      precText === undefined ? undefined : Number(precText),
      value,
    );
    if (piece === undefined) return undefined;
    const width = widthText === undefined ? 0 : Number(widthText);
    out += padConverted(piece, width, flags, conv);
  }
  // A stray `%` that is not a conversion is a ValueError in Python.
  if (format.slice(last).includes("%")) return undefined;
  if (used !== 1) return undefined;
  return out + format.slice(last);
}

function padConverted(piece: string, width: number, flags: string, conv: string): string {
  if (piece.length >= width) return piece;
  if (flags.includes("-")) return piece.padEnd(width);
  if (flags.includes("0") && "diouxXeEfFgG".includes(conv)) {
    const sign = /^[+\- ]/.test(piece) ? (piece[0] as string) : "";
    const prefix =
      /^[+\- ]?0[xXo]/.test(piece) && flags.includes("#")
        ? piece.slice(sign.length, sign.length + 2)
        : "";
    const body = piece.slice(sign.length + prefix.length);
    return sign + prefix + body.padStart(width - sign.length - prefix.length, "0");
  }
  return piece.padStart(width);
}

function signed(n: number, text: string, flags: string): string {
  if (n < 0 || Object.is(n, -0)) return text;
  if (flags.includes("+")) return "+" + text;
  if (flags.includes(" ")) return " " + text;
  return text;
}

function convert(
  conv: string,
  flags: string,
  precision: number | undefined,
  value: unknown,
): string | undefined {
  const raw = unwrap(value);
  switch (conv) {
    case "s":
    case "a":
    case "r": {
      const text = conv === "s" ? (raw === null ? "None" : stringify(raw)) : pyRepr(raw, new Set());
      return precision === undefined ? text : text.slice(0, precision);
    }
    case "c":
      if (typeof raw === "number" && Number.isInteger(raw)) return String.fromCodePoint(raw);
      return typeof raw === "string" && [...raw].length === 1 ? raw : undefined;
    default:
      break;
  }
  if (typeof raw !== "number" && typeof raw !== "boolean" && typeof raw !== "bigint")
    return undefined;
  const n = Number(raw);
  switch (conv) {
    case "d":
    case "i":
    case "u": {
      if (!Number.isFinite(n)) return undefined;
      const t = Math.trunc(n);
      return signed(t, String(t), flags);
    }
    case "o":
    case "x":
    case "X": {
      if (!Number.isFinite(n) || !Number.isInteger(n)) return undefined;
      const base = conv === "o" ? 8 : 16;
      let body = Math.abs(n).toString(base);
      if (flags.includes("#")) body = (conv === "o" ? "0o" : "0x") + body;
      if (conv === "X") body = body.toUpperCase();
      return signed(n, (n < 0 ? "-" : "") + body, flags);
    }
    case "f":
    case "F": {
      if (!Number.isFinite(n))
        return signed(n, Number.isNaN(n) ? "nan" : n > 0 ? "inf" : "-inf", flags);
      return signed(n, n.toFixed(precision ?? 6), flags);
    }
    case "e":
    case "E": {
      if (!Number.isFinite(n))
        return signed(n, Number.isNaN(n) ? "nan" : n > 0 ? "inf" : "-inf", flags);
      const text = n.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, "e$10$2");
      return signed(n, conv === "E" ? text.toUpperCase() : text, flags);
    }
    case "g":
    case "G": {
      if (!Number.isFinite(n))
        return signed(n, Number.isNaN(n) ? "nan" : n > 0 ? "inf" : "-inf", flags);
      const p = precision === 0 ? 1 : (precision ?? 6);
      const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
      let text: string;
      if (exp < -4 || exp >= p) {
        text = n
          .toExponential(p - 1)
          .replace(/\.?0+e/, "e")
          .replace(/e([+-])(\d)$/, "e$10$2");
      } else {
        text = n.toFixed(Math.max(0, p - 1 - exp));
        if (text.includes(".")) text = text.replace(/\.?0+$/, "");
      }
      return signed(n, conv === "G" ? text.toUpperCase() : text, flags);
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------

class SortFailure extends Error {}

// Django's _property_resolver: a number-like argument is an item index/key (its own type kept:
// `dictsort:0` indexes a list, `dictsort:"0"` looks up the key "0"); anything else is a dotted
// lookup path.
function propertyResolver(arg: unknown): (item: unknown) => unknown {
  const raw = unwrap(arg);
  if (pyFloat(raw) !== undefined) {
    return (item) => {
      const it = unwrap(item);
      if (
        typeof raw === "number" &&
        Number.isInteger(raw) &&
        (Array.isArray(it) || typeof it === "string")
      ) {
        const list = typeof it === "string" ? [...it] : it;
        const v = list[raw < 0 ? list.length + raw : raw];
        if (v === undefined) throw new RangeError("dictsort: index out of range");
        return v;
      }
      if (isPlainObject(it) || it instanceof Map) {
        // A dict indexed by a number (JSON keys are strings) is a KeyError in Django.
        if (typeof raw !== "string") throw new RangeError(`dictsort: no key ${stringify(raw)}`);
        const v = it instanceof Map ? it.get(raw) : Object.hasOwn(it, raw) ? it[raw] : undefined;
        if (v === undefined) throw new RangeError(`dictsort: no key ${JSON.stringify(raw)}`);
        return v;
      }
      throw new SortFailure();
    };
  }
  const text = stringify(raw);
  if (text.startsWith("_") || text.includes("._")) throw new SortFailure();
  const parts = text.split(".");
  return (item) => {
    let v: unknown = item;
    for (const part of parts) {
      v = getMember(v, part);
      if (v === undefined) throw new SortFailure();
    }
    return v;
  };
}

// Python's `sorted(value, key=..., reverse=...)` over what iterating `value` yields (a string's
// characters, a dict's keys); "" where Django's dictsort catches the TypeError/AttributeError.
function sortedBy(reverse: boolean): FilterSpec["fn"] {
  return (value, arg) => {
    const raw = unwrap(value);
    if (
      typeof raw !== "string" &&
      !Array.isArray(raw) &&
      !(raw instanceof Set) &&
      !(raw instanceof Map) &&
      !isPlainObject(raw)
    )
      return "";
    const items = toList(raw);
    try {
      const key = propertyResolver(arg);
      const keyed = items.map((item, index) => ({ item, index, key: key(item) }));
      const sign = reverse ? -1 : 1;
      keyed.sort((a, b) => {
        const c = pyCompare(a.key, b.key);
        if (c === undefined) throw new SortFailure();
        return sign * c || a.index - b.index;
      });
      return keyed.map((k) => k.item);
    } catch (error) {
      if (error instanceof SortFailure) return "";
      throw error;
    }
  };
}

// What Python's html.parser (Django's strip_tags) takes for markup: comments, start tags whose
// quoted attribute values may hold `>` (one with an unterminated quote is text), any `</...>`
// (an end tag or a bogus comment), declarations and processing instructions.
const STRIP_TAGS =
  /<!--[\s\S]*?-->|<[a-zA-Z](?:[^\s=>]\s*=\s*(?:"[^"]*"|'[^']*')|(?![^\s=>]\s*=\s*["'])[^>])*>|<\/[^>]*>|<[!?][^>]*>/g;

function toDate(value: unknown): Date | undefined {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value : undefined;
}

function inZone(value: unknown, timeZone: string): DateInZone | "" {
  const d = toDate(unwrap(value));
  return d === undefined ? "" : new DateInZone(d.getTime(), timeZone);
}

/**
 * Django's `str(formats.localize(value))` in `locale`: a fraction with the locale's decimal
 * separator, a date with its `DATETIME_FORMAT` in its own zone (UTC for a plain `Date`, as
 * Django's aware datetimes are not converted here), text as it is, anything else as `str()`.
 */
function localized(value: unknown, locale: string, localize: boolean): unknown {
  const raw = unwrap(value);
  if (typeof raw === "string") return value;
  if (typeof raw === "number" && !Number.isInteger(raw))
    return localize ? localizeNumber(String(raw), locale) : String(raw);
  const d = toDate(raw);
  if (d !== undefined) {
    const format = localize ? "DATETIME_FORMAT" : unlocalizedFormat("DATETIME_FORMAT");
    return formatDate(d, format, "UTC", locale);
  }
  return str(value);
}

// ---------------------------------------------------------------------------------------------

// `truncatechars` / `truncatewords` (and their `_html` forms): a non-integer argument leaves
// the value as it is; a length of zero or less gives "" (Django ≥ 4.0 for characters).
function truncating(
  truncate: (text: string, length: number) => string,
  chars: boolean,
): FilterSpec {
  return {
    arg: "required",
    isSafe: true,
    fn: (v, arg) => {
      const n = pyInt(arg);
      if (n === undefined) return v;
      if (chars && n <= 0) return "";
      return truncate(str(v), n);
    },
  };
}

// `first` / `last`: the character or list item at `index`, "" when empty. Django marks only
// `last` is_safe: the first character of a safe string is escaped.
function itemAt(index: 0 | -1): FilterSpec {
  return {
    arg: "none",
    isSafe: index === -1,
    fn: (v) => {
      const raw = unwrap(v);
      const items = typeof raw === "string" ? [...raw] : Array.isArray(raw) ? raw : undefined;
      if (items === undefined) {
        if (isPlainObject(raw) || raw instanceof Map) throw new TypeError(`KeyError: ${index}`);
        throw new TypeError(`${stringify(raw)} is not subscriptable`);
      }
      return items.length === 0 ? "" : items.at(index);
    },
  };
}

// `center` / `ljust` / `rjust`: Python's str methods; a non-integer width raises like int().
function padding(how: "center" | "left" | "right"): FilterSpec {
  return {
    arg: "required",
    isSafe: true,
    fn: (v, arg) => pyPad(str(v), requireInt(arg), how),
  };
}

/** Python `int(arg)` where Django lets the ValueError propagate. */
function requireInt(arg: unknown): number {
  const n = pyInt(arg);
  if (n === undefined)
    throw new TypeError(`invalid literal for int(): ${pyRepr(unwrap(arg), new Set())}`);
  return n;
}

/** Iterating a value as Python would (strings by character, dicts by key); throws if it can't. */
function iterate(value: unknown, filter: string): unknown[] {
  const raw = unwrap(value);
  if (
    typeof raw === "string" ||
    Array.isArray(raw) ||
    raw instanceof Set ||
    raw instanceof Map ||
    isPlainObject(raw)
  )
    return toList(raw);
  throw new TypeError(`${filter}: ${raw === null ? "None" : typeof raw} is not iterable`);
}

const conditionalEscape = (v: unknown): SafeString =>
  v instanceof SafeString ? v : markSafe(escapeHtml(str(v)));

// Python's `round(x, 1)` (ties to even on the exact binary value), formatted with one decimal.
function oneDecimal(x: number): string {
  const t = x * 10;
  if (!Number.isInteger(t) && Number.isInteger(t * 2)) {
    const down = Math.floor(t);
    const even = down % 2 === 0 ? down : down + 1;
    return (even / 10).toFixed(1);
  }
  return x.toFixed(1);
}

function filesizeformat(v: unknown): SafeString | string {
  let bytes = pyInt(v);
  const nb = (text: string) => text.replace(/ /g, "\u00a0");
  if (bytes === undefined) {
    const f = unwrap(v);
    if (typeof f === "number" && Number.isFinite(f)) bytes = Math.trunc(f);
    else return nb("0 bytes");
  }
  const negative = bytes < 0;
  if (negative) bytes = -bytes;
  const units: [number, string][] = [
    [2 ** 50, "PB"],
    [2 ** 40, "TB"],
    [2 ** 30, "GB"],
    [2 ** 20, "MB"],
    [2 ** 10, "KB"],
  ];
  let text = bytes === 1 ? "1 byte" : `${bytes} bytes`;
  if (bytes >= 1024) {
    for (const [size, unit] of units) {
      if (bytes >= size) {
        text = `${oneDecimal(bytes / size)} ${unit}`;
        break;
      }
    }
  }
  return nb(negative ? `-${text}` : text);
}

function unorderedList(value: unknown, autoescape: boolean): SafeString {
  const escaper = autoescape ? (v: unknown) => conditionalEscape(v).value : (v: unknown) => str(v);
  const walk = (list: unknown[]): [unknown, unknown[] | undefined][] => {
    const out: [unknown, unknown[] | undefined][] = [];
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      const next = unwrap(list[i + 1]);
      if (i + 1 < list.length && Array.isArray(next)) {
        out.push([item, next]);
        i++;
      } else out.push([item, undefined]);
    }
    return out;
  };
  const format = (list: unknown[], tabs: number): string => {
    const indent = "\t".repeat(tabs);
    return walk(list)
      .map(([item, children]) => {
        const sub =
          children !== undefined && children.length > 0
            ? `\n${indent}<ul>\n${format(children, tabs + 1)}\n${indent}</ul>\n${indent}`
            : "";
        return `${indent}<li>${escaper(item)}${sub}</li>`;
      })
      .join("\n");
  };
  return markSafe(format(iterate(value, "unordered_list"), 1));
}

function getDigit(value: unknown, arg: unknown): unknown {
  const raw = unwrap(value);
  if (typeof raw !== "number" && typeof raw !== "string" && typeof raw !== "boolean")
    throw new TypeError(`get_digit: int() of ${stringify(raw)}`);
  const n = pyInt(arg);
  const v = typeof raw === "number" && Number.isFinite(raw) ? Math.trunc(raw) : pyInt(raw);
  if (n === undefined || v === undefined) return value;
  if (n < 1) return value;
  const digits = String(v);
  if (n > digits.length) return 0;
  const digit = Number(digits[digits.length - n]);
  if (Number.isNaN(digit)) throw new TypeError(`get_digit: invalid literal for int(): '-'`);
  return digit;
}

function linenumbers(value: unknown, autoescape: boolean): SafeString {
  const lines = str(value).split("\n");
  const width = String(lines.length).length;
  const escape = autoescape && !(value instanceof SafeString);
  return markSafe(
    lines
      .map(
        (line, i) => `${String(i + 1).padStart(width, "0")}. ${escape ? escapeHtml(line) : line}`,
      )
      .join("\n"),
  );
}

function addFilter(v: unknown, arg: unknown): unknown {
  const a = pyInt(v);
  const b = pyInt(arg);
  if (a !== undefined && b !== undefined) return a + b;
  const x = unwrap(v);
  const y = unwrap(arg);
  if (typeof x === "string" && typeof y === "string") {
    // SafeString + SafeString stays safe in Python; anything else gives a plain str.
    return v instanceof SafeString && arg instanceof SafeString ? markSafe(x + y) : x + y;
  }
  if (Array.isArray(x) && Array.isArray(y)) return [...x, ...y];
  if (
    (typeof x === "number" || typeof x === "boolean") &&
    (typeof y === "number" || typeof y === "boolean")
  )
    return Number(x) + Number(y);
  return "";
}

function timeFilter(until: boolean): FilterSpec {
  return {
    arg: "optional",
    fn: (v, arg) => {
      const raw = unwrap(v);
      if (!truthy(raw)) return "";
      // Django lets the AttributeError of a value that is not a date propagate.
      const d = toDate(raw);
      if (d === undefined) throw new TypeError(`${stringify(raw)} is not a date`);
      let other = new Date();
      if (arg !== undefined && truthy(unwrap(arg))) {
        const a = toDate(unwrap(arg));
        if (a === undefined) throw new TypeError(`${stringify(unwrap(arg))} is not a date`);
        other = a;
      }
      return until ? timesince(other, d) : timesince(d, other);
    },
  };
}

const builtins: Record<string, FilterSpec> = {
  add: { arg: "required", fn: addFilter },
  addslashes: {
    arg: "none",
    isSafe: true,
    fn: (v) => str(v).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/'/g, "\\'"),
  },
  capfirst: {
    arg: "none",
    isSafe: true,
    fn: (v) => {
      const s = str(v);
      const first = s.codePointAt(0);
      if (first === undefined) return s;
      const ch = String.fromCodePoint(first);
      return ch.toUpperCase() + s.slice(ch.length);
    },
  },
  center: padding("center"),
  cut: {
    arg: "required",
    fn: (v, arg) => {
      const needle = str(arg);
      const out = str(v).split(needle).join("");
      return v instanceof SafeString && needle !== ";" ? markSafe(out) : out;
    },
  },
  date: {
    arg: "optional",
    fn: (v, arg, { timeZone, locale }) => {
      const d = toDate(unwrap(v));
      if (d === undefined) return "";
      return formatDate(d, arg === undefined ? "DATE_FORMAT" : str(arg), timeZone, locale);
    },
  },
  default: { arg: "required", fn: (v, arg) => (truthy(v) ? v : arg) },
  default_if_none: { arg: "required", fn: (v, arg) => (v === null || v === undefined ? arg : v) },
  dictsort: { arg: "required", fn: sortedBy(false) },
  dictsortreversed: { arg: "required", fn: sortedBy(true) },
  divisibleby: {
    arg: "required",
    fn: (v, arg) => {
      // int() of both sides; Django lets ValueError/TypeError/ZeroDivisionError propagate.
      const b = requireInt(arg);
      const a = requireInt(v);
      if (b === 0) throw new RangeError("divisibleby: integer division or modulo by zero");
      return a % b === 0;
    },
  },
  escape: { arg: "none", isSafe: true, fn: conditionalEscape },
  escapejs: { arg: "none", fn: (v) => markSafe(escapeJs(str(v))) },
  escapeseq: {
    arg: "none",
    isSafe: true,
    fn: (v) => iterate(v, "escapeseq").map(conditionalEscape),
  },
  filesizeformat: { arg: "none", isSafe: true, fn: filesizeformat },
  first: itemAt(0),
  floatformat: { arg: "optional", isSafe: true, fn: floatformat },
  force_escape: { arg: "none", isSafe: true, fn: (v) => markSafe(escapeHtml(str(v))) },
  get_digit: { arg: "required", fn: getDigit },
  iriencode: { arg: "none", isSafe: true, fn: (v) => iriToUri(str(v)) },
  join: {
    arg: "required",
    isSafe: true,
    fn: (v, arg, { autoescape }) => {
      const raw = unwrap(v);
      const iterable =
        typeof raw === "string" ||
        Array.isArray(raw) ||
        raw instanceof Set ||
        raw instanceof Map ||
        isPlainObject(raw);
      if (!iterable) return v;
      const items = toList(raw);
      const html = (v: unknown) => (v instanceof SafeString ? v.value : escapeHtml(str(v)));
      if (autoescape) return markSafe(items.map(html).join(html(arg)));
      if (!items.every((item) => typeof unwrap(item) === "string")) return v;
      return markSafe(items.map((item) => str(item)).join(str(arg)));
    },
  },
  json_script: {
    arg: "optional",
    isSafe: true,
    fn: (v, arg) => {
      const json = (pyJson(v) ?? "null").replace(/[<>&]/g, (c) =>
        c === "<" ? "\\u003C" : c === ">" ? "\\u003E" : "\\u0026",
      );
      // format_html escapes the id unless it is safe (a string literal in the template is).
      const id = arg === undefined ? "" : conditionalEscape(arg).value;
      return markSafe(
        id
          ? `<script id="${id}" type="application/json">${json}</script>`
          : `<script type="application/json">${json}</script>`,
      );
    },
  },
  last: itemAt(-1),
  length: { arg: "none", fn: (v) => pyLength(v) ?? 0 },
  linebreaks: {
    arg: "none",
    isSafe: true,
    fn: (v, _arg, { autoescape }) =>
      markSafe(linebreaks(str(v), autoescape && !(v instanceof SafeString))),
  },
  linebreaksbr: {
    arg: "none",
    isSafe: true,
    fn: (v, _arg, { autoescape }) => {
      let text = normalizeNewlines(str(v));
      if (autoescape && !(v instanceof SafeString)) text = escapeHtml(text);
      return markSafe(text.replace(/\n/g, "<br>"));
    },
  },
  linenumbers: {
    arg: "none",
    isSafe: true,
    fn: (v, _arg, { autoescape }) => linenumbers(v, autoescape),
  },
  ljust: padding("left"),
  lower: { arg: "none", isSafe: true, fn: (v) => str(v).toLowerCase() },
  make_list: { arg: "none", fn: (v) => [...str(v)] },
  phone2numeric: {
    arg: "none",
    isSafe: true,
    fn: (v) => {
      // Not a string filter in Django: anything but a string raises AttributeError.
      const raw = unwrap(v);
      if (typeof raw !== "string") throw new TypeError("phone2numeric: the value is not a string");
      return phone2numeric(raw);
    },
  },
  pluralize: {
    arg: "optional",
    fn: (v, arg) => {
      let spec = arg === undefined ? "s" : str(arg);
      if (!spec.includes(",")) spec = "," + spec;
      const bits = spec.split(",");
      if (bits.length > 2) return "";
      const [singular = "", plural = ""] = bits;
      const raw = unwrap(v);
      if (
        typeof raw === "number" ||
        typeof raw === "string" ||
        typeof raw === "boolean" ||
        typeof raw === "bigint"
      ) {
        const f = pyFloat(raw);
        return f === undefined ? "" : f === 1 ? singular : plural;
      }
      const n = pyLength(raw);
      return n === undefined ? "" : n === 1 ? singular : plural;
    },
  },
  pprint: { arg: "none", isSafe: true, fn: (v) => pformat(unwrap(v)) },
  // i18n: Django's language information; an unknown code raises (Django's KeyError).
  language_name: { arg: "none", fn: (v, _a, { locale }) => languageInfo(str(v), locale).name },
  language_name_local: {
    arg: "none",
    fn: (v, _a, { locale }) => languageInfo(str(v), locale).name_local,
  },
  language_bidi: { arg: "none", fn: (v, _a, { locale }) => languageInfo(str(v), locale).bidi },
  language_name_translated: {
    arg: "none",
    fn: (v, _a, { locale }) => languageInfo(str(v), locale).name_translated,
  },
  // tz: the instant fixed to a zone (shown there wherever it goes); "" for anything else.
  localtime: { arg: "none", fn: (v, _a, { timeZone }) => inZone(v, timeZone) },
  utc: { arg: "none", fn: (v) => inZone(v, "UTC") },
  timezone: {
    arg: "required",
    fn: (v, arg) => {
      const zone = unwrap(arg);
      return typeof zone === "string" && isTimeZone(zone) ? inZone(v, zone) : "";
    },
  },
  // l10n: Django's formats.localize, always on (localize) or off (unlocalize).
  localize: { arg: "none", fn: (v, _a, { locale }) => localized(v, locale, true) },
  unlocalize: { arg: "none", fn: (v, _a, { locale }) => localized(v, locale, false) },
  random: {
    arg: "none",
    isSafe: true,
    fn: (v) => {
      const raw = unwrap(v);
      const items = typeof raw === "string" ? [...raw] : Array.isArray(raw) ? raw : undefined;
      if (items === undefined) throw new TypeError("random: the value is not a sequence");
      // Django 5.2 renders "" for an empty sequence (3.2 raises IndexError).
      if (items.length === 0) return "";
      return items[randomBelow(items.length)];
    },
  },
  rjust: padding("right"),
  safe: { arg: "none", isSafe: true, fn: (v) => (v instanceof SafeString ? v : markSafe(str(v))) },
  safeseq: {
    arg: "none",
    isSafe: true,
    fn: (v) =>
      iterate(v, "safeseq").map((item) =>
        item instanceof SafeString ? item : markSafe(str(item)),
      ),
  },
  slice: { arg: "required", isSafe: true, fn: sliceFilter },
  slugify: { arg: "none", isSafe: true, fn: (v) => markSafe(slugify(str(v))) },
  stringformat: {
    arg: "required",
    isSafe: true,
    fn: (v, arg) => percentFormat("%" + str(arg), v) ?? "",
  },
  striptags: {
    arg: "none",
    isSafe: true,
    fn: (v) => {
      let text = str(v);
      for (;;) {
        const next = text.replace(STRIP_TAGS, "");
        if (next === text) return text;
        text = next;
      }
    },
  },
  time: {
    arg: "optional",
    fn: (v, arg, { timeZone, locale }) => {
      const d = toDate(unwrap(v));
      if (d === undefined) return "";
      return formatTime(d, arg === undefined ? "TIME_FORMAT" : str(arg), timeZone, locale) ?? "";
    },
  },
  timesince: timeFilter(false),
  timeuntil: timeFilter(true),
  title: {
    arg: "none",
    isSafe: true,
    fn: (v) =>
      pyTitle(str(v))
        .replace(/([a-z])'([A-Z])/g, (m) => m.toLowerCase())
        .replace(/\d([A-Z])/g, (m) => m.toLowerCase()),
  },
  truncatechars: truncating(truncateChars, true),
  truncatechars_html: truncating((t, n) => truncateHtml(t, n, false), true),
  truncatewords: truncating(truncateWords, false),
  truncatewords_html: truncating((t, n) => truncateHtml(t, n, true), false),
  unordered_list: {
    arg: "none",
    isSafe: true,
    fn: (v, _arg, { autoescape }) => unorderedList(v, autoescape),
  },
  upper: { arg: "none", fn: (v) => str(v).toUpperCase() },
  urlencode: {
    arg: "optional",
    fn: (v, arg) => urlQuote(str(v), arg === undefined ? "/" : str(arg)),
  },
  urlize: {
    arg: "none",
    isSafe: true,
    fn: (v, _arg, { autoescape }) =>
      markSafe(urlize(str(v), { nofollow: true, autoescape, safeInput: v instanceof SafeString })),
  },
  urlizetrunc: {
    arg: "required",
    isSafe: true,
    fn: (v, arg, { autoescape }) =>
      markSafe(
        urlize(str(v), {
          trimUrlLimit: requireInt(arg),
          nofollow: true,
          autoescape,
          safeInput: v instanceof SafeString,
        }),
      ),
  },
  wordcount: { arg: "none", fn: (v) => pySplit(str(v)).length },
  wordwrap: { arg: "required", isSafe: true, fn: (v, arg) => wrap(str(v), requireInt(arg)) },
  yesno: {
    arg: "optional",
    fn: (v, arg) => {
      const bits = (arg === undefined ? "yes,no,maybe" : str(arg)).split(",");
      if (bits.length < 2) return v;
      const yes = bits[0] as string;
      const no = bits[1] as string;
      const maybe = bits.length === 3 ? (bits[2] as string) : no;
      const raw = unwrap(v);
      if (raw === null || raw === undefined) return maybe;
      return truthy(raw) ? yes : no;
    },
  },
};

// Filters whose result depends on more than their value and argument.
const IMPURE = new Set(["random", "timesince", "timeuntil"]);

for (const [name, spec] of Object.entries(builtins))
  registerFilter(name, { ...spec, pure: !IMPURE.has(name) });
