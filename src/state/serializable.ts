/**
 * The static face of seed 000's "what's serializable" table: the types a public state field
 * may hold. `djust check` tests every public field's type against {@link Serializable}.
 * @module
 */
import type { Decimal } from "decimal.js";

/**
 * Classes registered with `registerType` can be declared serializable to the type checker by
 * augmenting this interface (the key is any label, the value the class type):
 *
 * ```ts
 * declare module "djust" {
 *   interface SerializableTypes { money: Money }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- augmented by users
export interface SerializableTypes {}

/** An object whose `toJSON()` gives its serialized form (the "unmanaged model" pattern). */
export interface JSONConvertible {
  toJSON(): unknown;
}

/** Leaf values that state may hold. `number` must be finite at runtime. */
export type SerializableScalar =
  | string
  | number
  | boolean
  | null
  | undefined
  | bigint
  | Date
  | Decimal
  | JSONConvertible
  | SerializableTypes[keyof SerializableTypes];

/** Any value a public state field may hold. */
export type Serializable =
  | SerializableScalar
  | readonly Serializable[]
  | ReadonlySet<Serializable>
  | ReadonlyMap<string, Serializable>
  | { readonly [key: string]: Serializable };

/** A JSON value: what the wire encoding produces. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };
