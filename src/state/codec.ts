/**
 * One codec, two encodings of view state (DESIGN.md §3):
 *
 * - **wire JSON**: what clients see (`assigns`, `result`): `Date` → ISO 8601, `Decimal` and
 *   `bigint` → string, `Set` → array, string-keyed `Map` → object, registered class → `encode()`.
 * - **snapshot**: lossless and type-tagged (`{ "$type": "Date", "value": "…" }`), so a restored
 *   view gets back a `Date`, a `Decimal`, an instance of a registered class.
 *
 * Values outside the serializable table are reported through {@link SerializationPolicy}: a
 * warning and a `String(value)` fallback by default, a `TypeError` in strict mode.
 * @module
 */
import { Decimal } from "decimal.js";
import type { Logger } from "../logger.js";
import type { JsonObject, JsonValue } from "./serializable.js";
import { codecForName, codecForValue, type TypeCodec } from "./types.js";

/** Deepest nesting the codec follows before treating the value as non-serializable. */
export const DEFAULT_MAX_DEPTH = 64;

/** What the codec does when it meets a value it cannot serialize. */
export interface SerializationPolicy {
  /** Throw a `TypeError` instead of warning and falling back to `String(value)`. */
  readonly strict: boolean;
  readonly logger: Logger;
  /** View class name, for messages. */
  readonly view: string;
  readonly maxDepth?: number;
  /**
   * Fields already warned about; a field is warned about once per set (so a view warns once,
   * not on every event). Omit to warn every time.
   */
  readonly warned?: Set<string>;
}

/** The key that marks a tagged value in snapshot encoding: `{ "$type": name, "value": … }`. */
export const TYPE_TAG = "$type";

/** A tagged snapshot value: JSON where non-JSON types are `{ "$type", "value" }` objects. */
export type SnapshotValue = JsonValue;

/**
 * Where a value sits: the top-level field, and parent links to it. The dotted path is built
 * only when a value is reported ({@link pathOf}): encoding runs on every API call and every
 * changed field, and a path string per key was a measurable share of its cost.
 */
interface Location {
  readonly field: string;
  readonly parent?: Location;
  readonly key?: string | number;
}

/** The path of `loc` inside its field: `items[0].name`, `["a b"]`, or `""` at the top. */
function pathOf(loc: Location): string {
  let path = "";
  for (let at: Location | undefined = loc; at?.parent; at = at.parent) {
    const key = at.key as string | number;
    let segment: string;
    if (typeof key === "number") segment = `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) segment = at.parent.parent ? `.${key}` : key;
    else segment = `[${JSON.stringify(key)}]`;
    path = segment + path;
  }
  return path;
}

type Kind =
  | "primitive"
  | "number"
  | "undefined"
  | "bigint"
  | "date"
  | "decimal"
  | "array"
  | "set"
  | "map"
  | "object"
  | "registered"
  | "tojson"
  | "unserializable";

/** Sorts a value into the serializable table. Pure: no encoding, no side effects. */
function classify(value: unknown): Kind {
  switch (typeof value) {
    case "string":
    case "boolean":
      return "primitive";
    case "number":
      return Number.isFinite(value) ? "number" : "unserializable";
    case "undefined":
      return "undefined";
    case "bigint":
      return "bigint";
    case "function":
    case "symbol":
      return "unserializable";
  }
  if (value === null) return "primitive";
  const obj = value as object;
  if (codecForValue(obj)) return "registered";
  // Built-ins by their own prototype: a restore rebuilds an array, a Map, a Set or a Date, so a
  // subclass (its methods) would come back as the built-in; it is a class like any other.
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto === Array.prototype) return "array";
  if (proto === Object.prototype || proto === null) return "object";
  if (proto === Date.prototype)
    return Number.isNaN((obj as Date).getTime()) ? "unserializable" : "date";
  if (Decimal.isDecimal(obj)) return "decimal";
  if (proto === Set.prototype) return "set";
  if (proto === Map.prototype) {
    for (const key of (obj as Map<unknown, unknown>).keys()) {
      if (typeof key !== "string") return "unserializable";
    }
    return "map";
  }
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  // A Date's own toJSON (a subclass's inherited one) is no choice of the class's: it would come
  // back as a string.
  if (typeof toJSON === "function" && toJSON !== Date.prototype.toJSON) return "tojson";
  return "unserializable";
}

/** Names a value's type the way a developer would recognise it in a message. */
export function describeType(value: unknown): string {
  if (typeof value === "function") {
    const src = Function.prototype.toString.call(value);
    if (src.startsWith("class")) return `class ${value.name || "(anonymous)"}`;
    return `function ${value.name || "(anonymous)"}`;
  }
  if (typeof value === "symbol") return "symbol";
  if (typeof value === "number") return String(value);
  if (typeof value !== "object" || value === null) return typeof value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Date.prototype) return "Invalid Date";
  if (proto === Map.prototype) return "Map with non-string keys";
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  if (tag === "Generator" || tag === "AsyncGenerator") return tag;
  const name = classNameOf(value) ?? tag;
  const base = BUILT_INS.find((Class) => value instanceof Class);
  return base ? `${name} (a subclass of ${base.name}, not registered with registerType())` : name;
}

/** The built-ins a snapshot rebuilds as themselves, not as a subclass. */
const BUILT_INS = [Array, Map, Set, Date];

/** Names that factories give generated classes; the first real ancestor name says more. */
const GENERIC_CLASS_NAMES = new Set(["", "Class", "Object", "anonymous"]);

function classNameOf(value: object): string | undefined {
  for (let proto = Object.getPrototypeOf(value); proto; proto = Object.getPrototypeOf(proto)) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === "string" && !GENERIC_CLASS_NAMES.has(name)) return name;
  }
  return undefined;
}

/** The actionable text shared by the warning and the strict-mode `TypeError`. */
export function unserializableMessage(view: string, loc: Location, type: string): string {
  const path = pathOf(loc);
  const where = path ? `${view}.${loc.field} (at ${path})` : `${view}.${loc.field}`;
  return (
    `LiveView state contains non-serializable value: ${type} in ${where}. ` +
    `It will be converted to a string, which breaks the field when the view is restored. ` +
    `Make the field private (\`_${loc.field}\` or \`#${loc.field}\`) or create the object in a ` +
    `helper method and keep only its serializable results in public state.`
  );
}

/** Strict mode's refusal of a non-serializable value (a `TypeError` with the warning's text). */
export class UnserializableStateError extends TypeError {
  override readonly name = "UnserializableStateError";
}

class Walker {
  readonly #policy: SerializationPolicy;
  readonly #maxDepth: number;
  // The containers being encoded, outermost first: a stack, since state is rarely deep and a
  // Set per encode call was a measurable share of each API call's allocations.
  readonly #ancestors: object[] = [];
  readonly #note: NoteEncoding | undefined;

  constructor(policy: SerializationPolicy, note?: NoteEncoding) {
    this.#policy = policy;
    this.#maxDepth = policy.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.#note = note;
  }

  #unserializable(value: unknown, loc: Location, type = describeType(value)): JsonValue {
    const message = unserializableMessage(this.#policy.view, loc, type);
    if (this.#policy.strict) throw new UnserializableStateError(message);
    const warned = this.#policy.warned;
    const key = `${loc.field}\u0000${pathOf(loc)}`;
    if (!warned || !warned.has(key)) {
      warned?.add(key);
      this.#policy.logger.warn(message, { view: this.#policy.view, field: loc.field, type });
    }
    return String(value);
  }

  #enter(value: object, loc: Location, depth: number): string | undefined {
    if (depth > this.#maxDepth) return `nesting deeper than ${this.#maxDepth} levels`;
    if (this.#ancestors.includes(value)) return "circular reference";
    this.#ancestors.push(value);
    return undefined;
  }

  /**
   * `previous` (snapshot mode) is the field's last snapshot: unchanged children are reused from
   * it instead of being encoded again, so a one-row change re-encodes one row.
   */
  encode(
    value: unknown,
    snapshot: boolean,
    loc: Location,
    depth: number,
    previous?: JsonValue,
  ): JsonValue {
    const kind = classify(value);
    switch (kind) {
      case "primitive":
      case "number":
        return value as JsonValue;
      case "undefined":
        return snapshot ? { $type: "undefined" } : null;
      case "bigint":
        return snapshot ? { $type: "BigInt", value: String(value) } : String(value);
      case "date": {
        const iso = (value as Date).toISOString();
        return snapshot ? { $type: "Date", value: iso } : iso;
      }
      case "decimal": {
        const dec = value as Decimal;
        return snapshot ? { $type: "Decimal", value: dec.toString() } : dec.toFixed();
      }
      case "unserializable":
        return this.#unserializable(value, loc);
      default: {
        const json = this.#encodeContainer(value as object, kind, snapshot, loc, depth, previous);
        this.#note?.(value as object, json);
        return json;
      }
    }
  }

  #child(
    item: unknown,
    loc: Location,
    depth: number,
    previous: JsonValue | undefined,
    snapshot: boolean,
  ) {
    if (previous !== undefined && matchesSnapshot(item, previous)) return previous;
    return this.encode(item, snapshot, loc, depth, previous);
  }

  #encodeContainer(
    value: object,
    kind: Kind,
    snapshot: boolean,
    loc: Location,
    depth: number,
    previous?: JsonValue,
  ): JsonValue {
    const problem = this.#enter(value, loc, depth);
    if (problem) return this.#unserializable(value, loc, problem);
    try {
      const next = depth + 1;
      switch (kind) {
        case "array": {
          const prev = snapshot && Array.isArray(previous) ? previous : undefined;
          // Primitive leaves (most of them) encode to themselves: no location, no recursion.
          return (value as unknown[]).map((item, i) =>
            isJsonPrimitive(item)
              ? item
              : this.#child(item, child(loc, i), next, prev?.[i], snapshot),
          );
        }
        case "set": {
          const items = [...(value as Set<unknown>)].map((item, i) =>
            this.encode(item, snapshot, child(loc, i), next),
          );
          return snapshot ? { $type: "Set", value: items } : items;
        }
        case "map": {
          const map = value as Map<string, unknown>;
          if (snapshot) {
            const entries: JsonValue[] = [];
            for (const [k, v] of map) entries.push([k, this.encode(v, true, child(loc, k), next)]);
            return { $type: "Map", value: entries };
          }
          const out: JsonObject = {};
          for (const [k, v] of map) {
            if (v !== undefined) setKey(out, k, this.encode(v, false, child(loc, k), next));
          }
          return out;
        }
        case "object": {
          const out: JsonObject = {};
          const prev =
            snapshot && isPlainJsonObject(previous) && !Object.hasOwn(previous, TYPE_TAG)
              ? previous
              : undefined;
          for (const k of Object.keys(value)) {
            const v = (value as Record<string, unknown>)[k];
            if (v === undefined && !snapshot) continue;
            if (isJsonPrimitive(v)) {
              setKey(out, k, v);
              continue;
            }
            const before = prev && Object.hasOwn(prev, k) ? prev[k] : undefined;
            setKey(out, k, this.#child(v, child(loc, k), next, before, snapshot));
          }
          return snapshot && Object.hasOwn(out, TYPE_TAG) ? { $type: "Object", value: out } : out;
        }
        case "registered": {
          const codec = codecForValue(value) as TypeCodec<unknown>;
          const encoded = this.encode(codec.encode(value), false, loc, next);
          return snapshot ? { $type: codec.name, value: encoded } : encoded;
        }
        case "tojson":
          return this.encode((value as { toJSON(): unknown }).toJSON(), snapshot, loc, next);
        default:
          throw new Error(`unreachable kind ${kind}`);
      }
    } finally {
      this.#ancestors.pop();
    }
  }
}

function child(loc: Location, key: string | number): Location {
  return { field: loc.field, parent: loc, key };
}

/** Sets `key` as an own data property, so a `"__proto__"` key stays data, never a prototype. */
export function setKey(out: JsonObject, key: string, value: JsonValue): void {
  if (key === "__proto__") {
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    out[key] = value;
  }
}

/** Encodes `value` (the content of `field`) as wire JSON. */
export function toWire(value: unknown, field: string, policy: SerializationPolicy): JsonValue {
  if (isJsonPrimitive(value)) return value;
  return new Walker(policy).encode(value, false, { field }, 0);
}

/**
 * Encodes `value` (the content of `field`) as a lossless, type-tagged snapshot value. Pass the
 * field's `previous` snapshot to reuse its unchanged parts.
 */
export function toSnapshot(
  value: unknown,
  field: string,
  policy: SerializationPolicy,
  previous?: SnapshotValue,
  note?: NoteEncoding,
): SnapshotValue {
  if (isJsonPrimitive(value)) return value;
  return new Walker(policy, note).encode(value, true, { field }, 0, previous);
}

/**
 * {@link toSnapshot} of a value that sits at `path` inside `field`: reported there, and as deep
 * as it is (an item spliced into a field's array is checked as the field's own encoding
 * would check it).
 */
export function toSnapshotAt(
  value: unknown,
  field: string,
  path: readonly (string | number)[],
  policy: SerializationPolicy,
): SnapshotValue {
  if (isJsonPrimitive(value)) return value;
  let loc: Location = { field };
  for (const key of path) loc = { field, parent: loc, key };
  return new Walker(policy).encode(value, true, loc, path.length);
}

/** Told of each container (object, array, map, set, registered value) an encoding met, and its encoding. */
export type NoteEncoding = (container: object, encoded: JsonValue) => void;

/** Strings, booleans, `null` and finite numbers encode to themselves in both encodings. */
export function isJsonPrimitive(value: unknown): value is string | boolean | number | null {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    default:
      return value === null;
  }
}

function isPlainJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A snapshot that cannot be decoded (unknown `$type`, malformed tag). */
export class SnapshotDecodeError extends Error {
  override readonly name = "SnapshotDecodeError";
}

/** Rebuilds live values from {@link toSnapshot} output. */
export function fromSnapshot(value: SnapshotValue): unknown {
  return decode(value, false);
}

/**
 * {@link fromSnapshot} of a snapshot handed over for good (just read from a store, used for
 * nothing else): its arrays and plain objects become the live values, with tagged values
 * decoded in place, instead of being copied. Besides the copy, this keeps the objects as
 * `JSON.parse` made them, with room for exactly their properties; an object built key by key
 * has room for at least four (100,000 restored rows of three properties took 800 kB more).
 */
export function adoptSnapshot(value: SnapshotValue): unknown {
  return decode(value, true);
}

function decode(value: SnapshotValue, inPlace: boolean): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return decodeArray(value, inPlace);
  if (!Object.hasOwn(value, TYPE_TAG)) return decodeObject(value, inPlace);
  const tag = value.$type;
  const inner = value.value as JsonValue;
  switch (tag) {
    case "undefined":
      return undefined;
    case "Date":
      return new Date(expectString(inner, tag));
    case "Decimal":
      return new Decimal(expectString(inner, tag));
    case "BigInt":
      return BigInt(expectString(inner, tag));
    case "Set":
      return new Set(expectArray(inner, tag).map((item) => decode(item, inPlace)));
    case "Map":
      return new Map(
        expectArray(inner, tag).map((pair) => {
          const [k, v] = expectArray(pair, tag);
          return [expectString(k ?? null, tag), decode(v ?? null, inPlace)] as const;
        }),
      );
    case "Object":
      if (inner === null || typeof inner !== "object" || Array.isArray(inner)) {
        throw new SnapshotDecodeError(`snapshot: malformed Object tag`);
      }
      return decodeObject(inner, inPlace);
    default: {
      const codec = typeof tag === "string" ? codecForName(tag) : undefined;
      if (!codec) throw new SnapshotDecodeError(`snapshot: unknown type ${JSON.stringify(tag)}`);
      return codec.decode(inner);
    }
  }
}

function decodeArray(value: JsonValue[], inPlace: boolean): unknown[] {
  if (!inPlace) return value.map((item) => decode(item, false));
  const out = value as unknown[];
  for (let i = 0; i < value.length; i++) {
    const item = value[i] as JsonValue;
    if (item !== null && typeof item === "object") out[i] = decode(item, true);
  }
  return out;
}

function decodeObject(value: JsonObject, inPlace: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = inPlace ? value : {};
  for (const k of Object.keys(value)) {
    const item = value[k] as JsonValue;
    if (inPlace && (item === null || typeof item !== "object")) continue;
    const decoded = decode(item, inPlace);
    if (inPlace && decoded === item) continue;
    if (k === "__proto__") {
      Object.defineProperty(out, k, {
        value: decoded,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[k] = decoded;
    }
  }
  return out;
}

function expectString(value: JsonValue, tag: string): string {
  if (typeof value !== "string") throw new SnapshotDecodeError(`snapshot: malformed ${tag} tag`);
  return value;
}

function expectArray(value: JsonValue, tag: string): JsonValue[] {
  if (!Array.isArray(value)) throw new SnapshotDecodeError(`snapshot: malformed ${tag} tag`);
  return value;
}

/**
 * Whether the live `value` still encodes to `snapshot`, without building the new encoding.
 * Used by change detection after every event, so it allocates nothing on the common paths.
 * A value that cannot be serialized never matches (the encoder then reports it).
 */
export function matchesSnapshot(value: unknown, snapshot: SnapshotValue, depth = 0): boolean {
  if (depth > DEFAULT_MAX_DEPTH) return false;
  const kind = classify(value);
  switch (kind) {
    case "primitive":
    case "number":
      return value === snapshot;
    case "unserializable":
      return false;
    case "array": {
      const arr = value as unknown[];
      if (!Array.isArray(snapshot) || snapshot.length !== arr.length) return false;
      for (let i = 0; i < arr.length; i++) {
        if (!matchesSnapshot(arr[i], snapshot[i] as JsonValue, depth + 1)) return false;
      }
      return true;
    }
    case "object": {
      if (snapshot === null || typeof snapshot !== "object" || Array.isArray(snapshot))
        return false;
      let target: JsonObject = snapshot;
      if (Object.hasOwn(snapshot, TYPE_TAG)) {
        if (snapshot.$type !== "Object") return false;
        target = snapshot.value as JsonObject;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj);
      if (keys.length !== Object.keys(target).length) return false;
      for (const k of keys) {
        if (!Object.hasOwn(target, k)) return false;
        if (!matchesSnapshot(obj[k], target[k] as JsonValue, depth + 1)) return false;
      }
      return true;
    }
  }
  if (snapshot === null || typeof snapshot !== "object" || Array.isArray(snapshot)) return false;
  const tag = snapshot.$type;
  const inner = snapshot.value as JsonValue;
  switch (kind) {
    case "undefined":
      return tag === "undefined";
    case "bigint":
      return tag === "BigInt" && inner === String(value);
    case "date":
      return tag === "Date" && inner === (value as Date).toISOString();
    case "decimal":
      return tag === "Decimal" && inner === (value as Decimal).toString();
    case "set": {
      const set = value as Set<unknown>;
      if (tag !== "Set" || !Array.isArray(inner) || inner.length !== set.size) return false;
      let i = 0;
      for (const item of set)
        if (!matchesSnapshot(item, inner[i++] as JsonValue, depth + 1)) return false;
      return true;
    }
    case "map": {
      const map = value as Map<string, unknown>;
      if (tag !== "Map" || !Array.isArray(inner) || inner.length !== map.size) return false;
      let i = 0;
      for (const [k, v] of map) {
        const pair = inner[i++];
        if (!Array.isArray(pair) || pair[0] !== k) return false;
        if (!matchesSnapshot(v, pair[1] as JsonValue, depth + 1)) return false;
      }
      return true;
    }
    case "registered": {
      const codec = codecForValue(value as object) as TypeCodec<unknown>;
      if (tag !== codec.name) return false;
      return sameJson(toWire(codec.encode(value), "", silentPolicy), inner);
    }
    case "tojson":
      return matchesSnapshot((value as { toJSON(): unknown }).toJSON(), snapshot, depth + 1);
  }
  return false;
}

/** A policy that refuses nothing and reports nothing: for encodings only compared, never stored. */
export const silentPolicy: SerializationPolicy = {
  strict: false,
  view: "",
  logger: { info() {}, warn() {}, error() {} },
};

/** Whether `value` is a plain object (of `Object.prototype` or none), not an array or an instance. */
export function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether two JSON values (as encoded or as read back from a store) are equal, key order aside. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameJson(item, b[i]));
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every(
    (k) =>
      Object.hasOwn(b, k) &&
      sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
