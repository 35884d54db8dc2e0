/**
 * The built-in filters of the DTL front end, with Django's semantics, and the registry that
 * templates look filter names up in at compile time.
 * @module
 */
import { SafeString, escapeHtml, markSafe } from "./safe.js";
import { NAMED_FORMATS, formatDate, formatTime } from "./dateformat.js";
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

function groupThousands(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function floatformat(value: unknown, arg: unknown): unknown {
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
  for (;;) {
    if (argText.endsWith("g")) grouping = true;
    else if (!argText.endsWith("u")) break;
    argText = argText.slice(0, -1);
  }
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
  if (grouping) intPart = groupThousands(intPart);
  text = decimals > 0 ? `${intPart}.${text.slice(-decimals)}` : intPart;
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

const TRUNCATION = "…";

function truncateChars(text: string, length: number): string {
  if (length <= 0) return "";
  const chars = [...text.normalize("NFC")];
  const isCombining = (c: string) => /\p{M}/u.test(c);
  let visible = 0;
  for (const c of chars) if (!isCombining(c)) visible++;
  if (visible <= length) return chars.join("");
  const keep = length - 1;
  let count = 0;
  let end = 0;
  for (let i = 0; i < chars.length; i++) {
    if (isCombining(chars[i] as string)) continue;
    if (count === keep) {
      end = i;
      break;
    }
    count++;
  }
  return chars.slice(0, end).join("") + TRUNCATION;
}

function truncateWords(text: string, length: number): string {
  if (length <= 0) return "";
  const words = text.split(/\s+/).filter((w) => w !== "");
  if (words.length <= length) return words.join(" ");
  const joined = words.slice(0, length).join(" ");
  return joined.endsWith(` ${TRUNCATION}`) ? joined : `${joined} ${TRUNCATION}`;
}

// Python's urllib.parse.quote: unreserved characters plus `safe` stay, the rest is %-encoded.
function urlQuote(text: string, safe: string): string {
  const keep = new Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~" + safe);
  let out = "";
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out += b < 128 && keep.has(ch) ? ch : "%" + b.toString(16).toUpperCase().padStart(2, "0");
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

function propertyResolver(arg: string): (item: unknown) => unknown {
  if (pyFloat(arg) !== undefined) {
    const index = pyInt(arg);
    return (item) => {
      const raw = unwrap(item);
      if (index === undefined || !Array.isArray(raw)) throw new SortFailure();
      const v = raw[index < 0 ? raw.length + index : index];
      if (v === undefined) throw new SortFailure();
      return v;
    };
  }
  if (arg.startsWith("_") || arg.includes("._")) throw new SortFailure();
  const parts = arg.split(".");
  return (item) => {
    let v: unknown = item;
    for (const part of parts) {
      v = getMember(v, part);
      if (v === undefined) throw new SortFailure();
    }
    return v;
  };
}

function dictsort(value: unknown, arg: unknown): unknown {
  const raw = unwrap(value);
  if (!Array.isArray(raw)) return "";
  try {
    const key = propertyResolver(stringify(unwrap(arg)));
    const keyed = raw.map((item, index) => ({ item, index, key: key(item) }));
    keyed.sort((a, b) => {
      const c = pyCompare(a.key, b.key);
      if (c === undefined) throw new SortFailure();
      return c || a.index - b.index;
    });
    return keyed.map((k) => k.item);
  } catch (error) {
    if (error instanceof SortFailure) return "";
    throw error;
  }
}

function toDate(value: unknown): Date | undefined {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value : undefined;
}

// ---------------------------------------------------------------------------------------------

// `truncatechars` / `truncatewords`: a non-integer argument leaves the value as it is.
function truncating(truncate: (text: string, length: number) => string): FilterSpec {
  return {
    arg: "required",
    isSafe: true,
    fn: (v, arg) => {
      const n = pyInt(arg);
      return n === undefined ? v : truncate(str(v), n);
    },
  };
}

// `first` / `last`: the character or list item at `index`, "" for anything else or when empty.
function itemAt(index: 0 | -1): FilterSpec {
  return {
    arg: "none",
    isSafe: true,
    fn: (v) => {
      const raw = unwrap(v);
      const items = typeof raw === "string" ? [...raw] : Array.isArray(raw) ? raw : undefined;
      return items === undefined || items.length === 0 ? "" : items.at(index);
    },
  };
}

const builtins: Record<string, FilterSpec> = {
  default: { arg: "required", fn: (v, arg) => (truthy(v) ? v : arg) },
  default_if_none: { arg: "required", fn: (v, arg) => (v === null || v === undefined ? arg : v) },
  length: { arg: "none", fn: (v) => pyLength(v) ?? 0 },
  upper: { arg: "none", fn: (v) => str(v).toUpperCase() },
  lower: { arg: "none", isSafe: true, fn: (v) => str(v).toLowerCase() },
  title: {
    arg: "none",
    isSafe: true,
    fn: (v) =>
      pyTitle(str(v))
        .replace(/([a-z])'([A-Z])/g, (m) => m.toLowerCase())
        .replace(/\d([A-Z])/g, (m) => m.toLowerCase()),
  },
  capfirst: {
    arg: "none",
    isSafe: true,
    fn: (v) => {
      const s = str(v);
      return s ? (s[0] as string).toUpperCase() + s.slice(1) : s;
    },
  },
  date: {
    arg: "optional",
    fn: (v, arg) => {
      const d = toDate(unwrap(v));
      if (d === undefined) return "";
      const fmt = arg === undefined ? "DATE_FORMAT" : str(arg);
      return formatDate(d, NAMED_FORMATS[fmt] ?? fmt);
    },
  },
  time: {
    arg: "optional",
    fn: (v, arg) => {
      const d = toDate(unwrap(v));
      if (d === undefined) return "";
      const fmt = arg === undefined ? "TIME_FORMAT" : str(arg);
      return formatTime(d, NAMED_FORMATS[fmt] ?? fmt) ?? "";
    },
  },
  floatformat: { arg: "optional", isSafe: true, fn: floatformat },
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
  truncatechars: truncating(truncateChars),
  truncatewords: truncating(truncateWords),
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
  escape: {
    arg: "none",
    fn: (v) => (v instanceof SafeString ? v : markSafe(escapeHtml(str(v)))),
  },
  safe: { arg: "none", isSafe: true, fn: (v) => (v instanceof SafeString ? v : markSafe(str(v))) },
  striptags: {
    arg: "none",
    isSafe: true,
    fn: (v) => {
      let text = str(v);
      for (;;) {
        const next = text.replace(/<!--[\s\S]*?-->|<\/?[a-zA-Z!?][^>]*>/g, "");
        if (next === text) return text;
        text = next;
      }
    },
  },
  linebreaksbr: {
    arg: "none",
    isSafe: true,
    fn: (v, _arg, { autoescape }) => {
      let text = str(v).replace(/\r\n?/g, "\n");
      if (autoescape && !(v instanceof SafeString)) text = escapeHtml(text);
      return markSafe(text.replace(/\n/g, "<br>"));
    },
  },
  slice: { arg: "required", isSafe: true, fn: sliceFilter },
  first: itemAt(0),
  last: itemAt(-1),
  add: {
    arg: "required",
    fn: (v, arg) => {
      const a = pyInt(v);
      const b = pyInt(arg);
      if (a !== undefined && b !== undefined) return a + b;
      const x = unwrap(v);
      const y = unwrap(arg);
      if (typeof x === "string" && typeof y === "string") return x + y;
      if (Array.isArray(x) && Array.isArray(y)) return [...x, ...y];
      if (typeof x === "number" && typeof y === "number") return x + y;
      return "";
    },
  },
  cut: {
    arg: "required",
    fn: (v, arg) => {
      const needle = str(arg);
      const out = str(v).split(needle).join("");
      return v instanceof SafeString && needle !== ";" ? markSafe(out) : out;
    },
  },
  urlencode: {
    arg: "optional",
    fn: (v, arg) => urlQuote(str(v), arg === undefined ? "/" : str(arg)),
  },
  json_script: {
    arg: "optional",
    fn: (v, arg) => {
      const json = (pyJson(v) ?? "null").replace(/[<>&]/g, (c) =>
        c === "<" ? "\\u003C" : c === ">" ? "\\u003E" : "\\u0026",
      );
      const id = arg === undefined ? "" : str(arg);
      return markSafe(
        id
          ? `<script id="${escapeHtml(id)}" type="application/json">${json}</script>`
          : `<script type="application/json">${json}</script>`,
      );
    },
  },
  divisibleby: {
    arg: "required",
    fn: (v, arg) => {
      const a = pyInt(v);
      const b = pyInt(arg);
      if (a === undefined || b === undefined || b === 0) return "";
      return a % b === 0;
    },
  },
  stringformat: {
    arg: "required",
    isSafe: true,
    fn: (v, arg) => percentFormat("%" + str(arg), v) ?? "",
  },
  dictsort: { arg: "required", fn: dictsort },
};

for (const [name, spec] of Object.entries(builtins)) registerFilter(name, { ...spec, pure: true });
