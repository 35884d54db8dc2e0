/**
 * The registry of user classes that state may hold (`registerType`), beyond the built-in
 * serializable types.
 * @module
 */
import type { JsonValue } from "./serializable.js";

/** How a registered class turns into JSON and back. */
export interface TypeCodec<T> {
  /** Unique name; stored in snapshots as `{ "$type": name, "value": ... }`. */
  readonly name: string;
  /** Returns the JSON form. Its output is encoded with the wire rules (a `Date` → ISO string). */
  encode(value: T): unknown;
  /** Rebuilds an instance from what `encode` produced (as JSON). */
  decode(value: JsonValue): T;
}

/** A class constructor of any arity. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor parameters are irrelevant here
export type AnyClass<T = unknown> = abstract new (...args: any[]) => T;

/** Tags the snapshot encoding reserves for built-in types. */
export const RESERVED_TYPE_NAMES: ReadonlySet<string> = new Set([
  "Date",
  "Decimal",
  "BigInt",
  "Set",
  "Map",
  "Object",
  "undefined",
]);

const byClass = new Map<AnyClass, TypeCodec<unknown>>();
const byName = new Map<string, TypeCodec<unknown>>();

/**
 * Makes instances of `cls` (and its subclasses) serializable: the wire form is `encode(value)`,
 * the snapshot restores a real instance through `decode`. Registration wins over `toJSON()`.
 *
 * @throws TypeError when the name is reserved or already used by another class.
 */
export function registerType<T>(cls: AnyClass<T>, codec: TypeCodec<T>): void {
  if (RESERVED_TYPE_NAMES.has(codec.name)) {
    throw new TypeError(`registerType: the name "${codec.name}" is reserved for a built-in type`);
  }
  const existing = byName.get(codec.name);
  if (existing && byClass.get(cls) !== existing) {
    throw new TypeError(`registerType: the name "${codec.name}" is already registered`);
  }
  const stored = codec as TypeCodec<unknown>;
  byClass.set(cls, stored);
  byName.set(codec.name, stored);
}

/** The codec registered for `value`'s class or nearest registered ancestor, if any. */
export function codecForValue(value: object): TypeCodec<unknown> | undefined {
  if (byClass.size === 0) return undefined;
  for (let proto = Object.getPrototypeOf(value); proto; proto = Object.getPrototypeOf(proto)) {
    const codec = byClass.get((proto as { constructor: AnyClass }).constructor);
    if (codec) return codec;
  }
  return undefined;
}

/** The codec registered under `name`, if any. */
export function codecForName(name: string): TypeCodec<unknown> | undefined {
  return byName.get(name);
}
