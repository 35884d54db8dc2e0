/**
 * Write tracking over a view's public state, so that change detection costs what a handler
 * touched instead of what the view holds.
 *
 * Plain objects and arrays reached through a view's fields are handed out as proxies (one per
 * object, kept for as long as the object lives, so `===` between values read from state holds
 * across events). A write through a proxy records the slot's previous value the first time it is
 * written in a step; a value that is not a plain object or array (`Date`, `Map`, `Set`,
 * `Decimal`, registered or `toJSON` classes) is handed out as itself — its methods, private
 * fields and `instanceof` keep working — and its snapshot encoding is recorded instead, to
 * compare with afterwards. State itself only ever holds raw values: proxies stored into it are
 * unwrapped.
 *
 * Every object handed out remembers where it was reached from (parent and key, or a top-level
 * field), so a change found in one object is reported for every field that still reaches it,
 * including a field that shares the object with another (`this.selected = this.rows[3]`).
 * Cross-field sharing present when tracking starts is found by one walk at that moment.
 * @module
 */
import { Decimal } from "decimal.js";
import {
  matchesSnapshot,
  toSnapshot,
  type SerializationPolicy,
  type SnapshotValue,
} from "./codec.js";

/** The slot did not exist before the step. */
export const ABSENT: unique symbol = Symbol("absent");

/** A value handed out as itself, remembered by its encoding at the time. */
export class Encoded {
  constructor(readonly snapshot: SnapshotValue) {}
}

/** What a slot held before the step's first write to it. */
export type Original = unknown;

/** Where an object was reached from: a parent container and key, or a top-level field. */
interface Link {
  /** `null` for a top-level field of the view. */
  readonly parent: object | null;
  key: string | number;
  /** Found by the start-up walk: not re-checked (the sharing may have ended: over-report). */
  readonly sticky?: boolean;
}

interface NodeInfo {
  proxy?: object;
  links: Link[];
}

/** One container's (or handed-out value's) writes during a step. */
interface NodeLog {
  /** Previous values by key (array indices as strings). */
  slots?: Map<string, Original>;
  /** An array's length before the step. */
  length?: number;
  /** The whole array before a bulk operation (`splice`, `sort`…). */
  copy?: unknown[];
  /** A value handed out as itself. */
  encoded?: Encoded;
}

/** Proxy → raw object, for every tracker. */
const rawOf = new WeakMap<object, object>();

/** The raw object behind a state proxy, or `value` itself. */
export function toRaw<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  return (rawOf.get(value) as T | undefined) ?? value;
}

/** Whether `value` is a state proxy. */
export function isStateProxy(value: unknown): boolean {
  return typeof value === "object" && value !== null && rawOf.has(value);
}

/** Plain objects and arrays are tracked through proxies; other objects are handed out as is. */
export function isProxied(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const silent: SerializationPolicy = {
  strict: false,
  view: "",
  logger: { info() {}, warn() {}, error() {} },
};

function encodeSilently(value: unknown): Encoded {
  return new Encoded(toSnapshot(value, "", silent));
}

/** Array methods that only compare items: run on the raw array with raw arguments. */
const SEARCHES = new Set(["indexOf", "lastIndexOf", "includes"]);
/** Array methods that move many items: the array is copied once, then changed raw. */
const BULK = new Set(["shift", "unshift", "splice", "sort", "reverse", "fill", "copyWithin"]);
const SELF_RETURNING = new Set(["sort", "reverse", "fill", "copyWithin"]);

/**
 * The write log of one view's state between two checks, with the proxies that feed it.
 * Top-level fields are the tracker's: it reports their writes through {@link Watch.logRoot}.
 */
export class Watch {
  #nodes?: WeakMap<object, NodeInfo>;
  #logs?: Map<object, NodeLog>;
  #roots?: Map<string, Original>;
  #handler?: ProxyHandler<object>;

  /** Whether anything was written or handed out since the last {@link clear}. */
  get pending(): boolean {
    return this.#logs !== undefined || this.#roots !== undefined;
  }

  /** Forgets the step's log (the state as it is becomes the baseline). */
  clear(): void {
    this.#logs = undefined;
    this.#roots = undefined;
  }

  /** Forgets everything, proxies and links included (a new baseline from scratch). */
  forget(): void {
    this.clear();
    this.#nodes = undefined;
  }

  #info(node: object): NodeInfo {
    const nodes = (this.#nodes ??= new WeakMap());
    let info = nodes.get(node);
    if (!info) {
      info = { links: [] };
      nodes.set(node, info);
    }
    return info;
  }

  #link(node: object, parent: object | null, key: string | number, sticky = false): NodeInfo {
    const info = this.#info(node);
    for (const link of info.links) {
      if (link.parent === parent && (parent !== null || link.key === key)) {
        link.key = key;
        return info;
      }
    }
    info.links.push(sticky ? { parent, key, sticky } : { parent, key });
    return info;
  }

  /** Records that every one of `fields` reaches `node` (found by {@link findSharedNodes}). */
  shareRoots(node: object, fields: Iterable<string>): void {
    for (const field of fields) {
      const info = this.#info(node);
      if (!info.links.some((l) => l.parent === null && l.key === field)) {
        info.links.push({ parent: null, key: field, sticky: true });
      }
    }
  }

  /** What a handler gets for `value` read from top-level `field`. */
  handOutRoot(field: string, value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    if (isProxied(value)) return this.#proxy(value, null, field);
    const log = this.#log(value);
    log.encoded ??= encodeSilently(value);
    this.#link(value, null, field);
    return value;
  }

  /** Records top-level `field`'s value before the step's first write to it. */
  logRoot(field: string, original: Original): void {
    const roots = (this.#roots ??= new Map());
    if (!roots.has(field)) roots.set(field, original);
  }

  /** A newly stored top-level value is reached from `field`. */
  linkRoot(field: string, value: unknown): void {
    if (typeof value === "object" && value !== null) this.#link(value, null, field);
  }

  #proxy(target: object, parent: object | null, key: string | number): object {
    const info = this.#link(target, parent, key);
    if (!info.proxy) {
      info.proxy = new Proxy(target, (this.#handler ??= this.#makeHandler()));
      rawOf.set(info.proxy, target);
    }
    return info.proxy;
  }

  #log(node: object): NodeLog {
    const logs = (this.#logs ??= new Map());
    let log = logs.get(node);
    if (!log) {
      log = {};
      logs.set(node, log);
    }
    return log;
  }

  #logSlot(target: object, key: string, original: Original): void {
    const log = this.#log(target);
    if (log.copy) return;
    if (Array.isArray(target) && log.length === undefined) log.length = target.length;
    const slots = (log.slots ??= new Map());
    if (!slots.has(key)) slots.set(key, original);
  }

  #logCopy(target: unknown[]): void {
    const log = this.#log(target);
    if (!log.copy) {
      log.copy = originalArray(target, log);
      log.slots = undefined;
    }
  }

  #child(target: object, key: string, value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    if (isProxied(value)) return this.#proxy(value, target, arrayKey(target, key));
    const log = this.#log(value);
    log.encoded ??= encodeSilently(value);
    this.#link(value, target, arrayKey(target, key));
    return value;
  }

  #makeHandler(): ProxyHandler<object> {
    const methods = new Map<string, (...args: unknown[]) => unknown>();
    const logCopy = (raw: unknown[]) => this.#logCopy(raw);
    const logSlot = (target: object, key: string, was: Original) => this.#logSlot(target, key, was);
    const logOf = (target: object) => this.#log(target);
    const child = (target: object, key: string, value: unknown) => this.#child(target, key, value);
    const link = (node: object, parent: object, key: string | number) =>
      this.#link(node, parent, key);
    for (const name of SEARCHES) {
      methods.set(name, function (this: unknown, ...args: unknown[]) {
        const raw = toRaw(this) as Record<string, (...a: unknown[]) => unknown>;
        return (raw[name] as (...a: unknown[]) => unknown).apply(raw, args.map(toRaw));
      });
    }
    for (const name of BULK) {
      methods.set(name, function (this: unknown, ...args: unknown[]) {
        const raw = toRaw(this) as unknown as unknown[];
        if (!Array.isArray(raw)) {
          return (Array.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)[
            name
          ]?.apply(this, args);
        }
        logCopy(raw);
        const fn = (Array.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)[
          name
        ] as (...a: unknown[]) => unknown;
        const result = fn.apply(raw, name === "sort" ? args : args.map(toRaw));
        return SELF_RETURNING.has(name) ? this : result;
      });
    }
    return {
      get(target, prop) {
        const value = (target as Record<string | symbol, unknown>)[prop];
        if (typeof value === "function") {
          if (typeof prop === "string" && Array.isArray(target) && !Object.hasOwn(target, prop)) {
            return methods.get(prop) ?? value;
          }
          return value;
        }
        if (typeof value !== "object" || value === null || typeof prop === "symbol") return value;
        if (!Object.hasOwn(target, prop)) return value;
        return child(target, prop, value);
      },
      set(target, prop, value, receiver) {
        if (typeof prop === "symbol") return Reflect.set(target, prop, value, receiver);
        const raw = toRaw(value);
        const had = Object.hasOwn(target, prop);
        if (Array.isArray(target) && prop === "length") {
          const arr = target as unknown[];
          const next = Number(raw);
          if (next === arr.length) return true;
          const log = logOf(arr);
          if (!log.copy) {
            log.length ??= arr.length;
            const slots = (log.slots ??= new Map());
            for (let i = next; i < arr.length; i++) {
              const k = String(i);
              if (!slots.has(k)) slots.set(k, Object.hasOwn(arr, i) ? arr[i] : ABSENT);
            }
          }
          arr.length = next;
          return true;
        }
        const before = had ? (target as Record<string, unknown>)[prop] : ABSENT;
        if (had && before === raw) return true;
        logSlot(target, prop, before);
        const done = Reflect.set(target, prop, raw);
        if (typeof raw === "object" && raw !== null) link(raw, target, arrayKey(target, prop));
        return done;
      },
      deleteProperty(target, prop) {
        if (typeof prop === "string" && Object.hasOwn(target, prop)) {
          logSlot(target, prop, (target as Record<string, unknown>)[prop]);
        }
        return Reflect.deleteProperty(target, prop);
      },
      defineProperty(target, prop, descriptor) {
        if (typeof prop === "string") {
          logSlot(
            target,
            prop,
            Object.hasOwn(target, prop) ? (target as Record<string, unknown>)[prop] : ABSENT,
          );
        }
        const desc =
          "value" in descriptor ? { ...descriptor, value: toRaw(descriptor.value) } : descriptor;
        return Reflect.defineProperty(target, prop, desc);
      },
    };
  }

  /**
   * The top-level fields whose content differs from what it was at the last {@link clear},
   * given each field's current raw value (`ABSENT` when gone). `validate(field, value)` is called
   * with every value found new, for the serialization policy.
   */
  changedFields(
    current: ReadonlyMap<string, unknown>,
    validate: (field: string, value: unknown) => void,
  ): Set<string> {
    const changed = new Set<string>();
    const compare = new Comparison(this.#logs, this.#nodes);
    for (const [field, original] of this.#roots ?? []) {
      const now = current.has(field) ? current.get(field) : ABSENT;
      if (!compare.same(now, original)) {
        changed.add(field);
        if (now !== ABSENT) validate(field, now);
      }
    }
    for (const [node, log] of this.#logs ?? []) {
      const fresh = compare.nodeChanges(node, log);
      if (fresh === undefined) continue;
      for (const field of this.#rootsOf(node, current)) {
        changed.add(field);
        for (const value of fresh) validate(field, value);
      }
    }
    return changed;
  }

  /**
   * Whether `node` already sat at `parent[key]` when the step began. If it was put there during
   * the step, the parent's own slot comparison judges the new content against the old, and the
   * node's changes relative to its own past are not the parent's.
   */
  #wasThere(parent: object | null, key: string | number, node: object): boolean {
    if (parent === null) {
      const roots = this.#roots;
      return !roots?.has(key as string) || roots.get(key as string) === node;
    }
    const log = this.#logs?.get(parent);
    if (!log) return true;
    if (log.copy) return log.copy.includes(node);
    const slot = String(key);
    return !log.slots?.has(slot) || log.slots.get(slot) === node;
  }

  /** The top-level fields that still reach `node`, following links (re-checked as it goes). */
  #rootsOf(node: object, current: ReadonlyMap<string, unknown>): Set<string> {
    const found = new Set<string>();
    const seen = new Set<object>();
    const stack = [node];
    while (stack.length > 0) {
      const at = stack.pop() as object;
      if (seen.has(at)) continue;
      seen.add(at);
      for (const link of this.#nodes?.get(at)?.links ?? []) {
        if (link.parent === null) {
          const field = link.key as string;
          if ((link.sticky || current.get(field) === at) && this.#wasThere(null, field, at)) {
            found.add(field);
          }
          continue;
        }
        const parent = link.parent as Record<string | number, unknown>;
        if (parent[link.key] !== at) {
          if (!Array.isArray(parent)) continue;
          const i = parent.indexOf(at);
          if (i < 0) continue;
          link.key = i;
        }
        if (this.#wasThere(parent, link.key, at)) stack.push(parent);
      }
    }
    return found;
  }
}

function arrayKey(target: object, key: string): string | number {
  return Array.isArray(target) && /^(0|[1-9]\d*)$/.test(key) ? Number(key) : key;
}

/** The array as it was before the step, from its log. */
function originalArray(arr: unknown[], log: NodeLog): unknown[] {
  if (log.copy) return log.copy;
  const out = arr.slice();
  if (log.length !== undefined) out.length = log.length;
  for (const [k, v] of log.slots ?? []) {
    const i = Number(k);
    if (!(i < out.length)) continue;
    if (v === ABSENT) delete out[i];
    else out[i] = v;
  }
  return out;
}

/** Compares live values with what they were before the step, using the step's log. */
class Comparison {
  /** Logged nodes and every node above them: a same-reference value there may differ inside. */
  #affected?: Set<object>;

  constructor(
    private readonly logs: Map<object, NodeLog> | undefined,
    private readonly nodes: WeakMap<object, NodeInfo> | undefined,
  ) {}

  #isAffected(node: object): boolean {
    if (!this.logs) return false;
    if (!this.#affected) {
      const affected = new Set<object>();
      const stack = [...this.logs.keys()];
      while (stack.length > 0) {
        const at = stack.pop() as object;
        if (affected.has(at)) continue;
        affected.add(at);
        for (const link of this.nodes?.get(at)?.links ?? []) {
          if (link.parent !== null) stack.push(link.parent);
        }
      }
      this.#affected = affected;
    }
    return this.#affected.has(node);
  }

  /**
   * The new values in `node` when it differs from what it was before the step, `undefined`
   * when it does not. Deeper changes are the business of the deeper nodes' own logs.
   */
  nodeChanges(node: object, log: NodeLog): unknown[] | undefined {
    if (log.encoded) return matchesSnapshot(node, log.encoded.snapshot) ? undefined : [node];
    const fresh: unknown[] = [];
    let changed = false;
    const record = (value: unknown) => {
      changed = true;
      if (value !== ABSENT) fresh.push(value);
    };
    const live = node as Record<string, unknown>;
    if (log.copy) {
      const arr = node as unknown[];
      if (arr.length !== log.copy.length) changed = true;
      for (let i = 0; i < arr.length; i++) {
        const was = i < log.copy.length && Object.hasOwn(log.copy, i) ? log.copy[i] : ABSENT;
        const now = Object.hasOwn(arr, i) ? arr[i] : ABSENT;
        if (now === was) continue;
        if (!this.same(now, was)) record(now);
      }
      return changed ? fresh : undefined;
    }
    if (log.length !== undefined && (node as unknown[]).length !== log.length) changed = true;
    for (const [key, was] of log.slots ?? []) {
      const now = Object.hasOwn(live, key) ? live[key] : ABSENT;
      if (now === was) {
        if (typeof now === "number" && !Number.isFinite(now)) record(now);
        continue;
      }
      if (!this.same(now, was)) record(now);
    }
    return changed ? fresh : undefined;
  }

  /** Whether live `now` encodes as `was` did before the step (`was` read through the log). */
  same(now: unknown, was: Original, depth = 0): boolean {
    if (depth > 64) return false;
    if (was === ABSENT || now === ABSENT) return was === now;
    if (was instanceof Encoded) return matchesSnapshot(now, was.snapshot);
    if (typeof was !== "object" || was === null || typeof now !== "object" || now === null) {
      if (now !== was) return false;
      return typeof now !== "number" || Number.isFinite(now);
    }
    if (now === was && !this.#isAffected(was)) return true;
    if (!isProxied(was)) {
      const log = this.logs?.get(was);
      const before = log?.encoded ?? encodeSilently(was);
      return matchesSnapshot(now, before.snapshot);
    }
    if (Array.isArray(was)) {
      if (!Array.isArray(now)) return false;
      const log = this.logs?.get(was);
      const orig = log ? originalArray(was, log) : was;
      if (orig.length !== now.length) return false;
      for (let i = 0; i < now.length; i++) {
        if (!this.same(now[i], orig[i], depth + 1)) return false;
      }
      return true;
    }
    if (Array.isArray(now) || !isProxied(now)) return false;
    const orig = this.#originalObject(was);
    const keys = Object.keys(now);
    if (keys.length !== orig.size) return false;
    for (const key of keys) {
      if (!orig.has(key)) return false;
      if (!this.same((now as Record<string, unknown>)[key], orig.get(key), depth + 1)) {
        return false;
      }
    }
    return true;
  }

  #originalObject(obj: object): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const key of Object.keys(obj)) out.set(key, (obj as Record<string, unknown>)[key]);
    for (const [key, was] of this.logs?.get(obj)?.slots ?? []) {
      if (was === ABSENT) out.delete(key);
      else out.set(key, was);
    }
    return out;
  }
}

/**
 * Finds objects reached from more than one top-level field (`this.selected = this.rows[3]` done
 * in `mount`), which a change through one field must also report for the other.
 */
export function findSharedNodes(
  fields: readonly string[],
  values: readonly unknown[],
): Map<object, Set<string>> {
  const owner = new Map<object, string>();
  const shared = new Map<object, Set<string>>();
  const visit = (value: unknown, field: string, depth: number): void => {
    if (typeof value !== "object" || value === null || depth > 64) return;
    const first = owner.get(value);
    if (first !== undefined) {
      if (first !== field) {
        let set = shared.get(value);
        if (!set) shared.set(value, (set = new Set([first])));
        set.add(field);
      }
      return;
    }
    owner.set(value, field);
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === "object") visit(item, field, depth + 1);
    } else if (value instanceof Map) {
      for (const item of value.values()) visit(item, field, depth + 1);
    } else if (value instanceof Set) {
      for (const item of value) visit(item, field, depth + 1);
    } else if (isProxied(value)) {
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (typeof item === "object") visit(item, field, depth + 1);
      }
    } else if (!(value instanceof Date) && !Decimal.isDecimal(value)) {
      // A registered class or a toJSON object: its own fields may hold shared values.
      for (const key of Object.keys(value)) {
        visit((value as Record<string, unknown>)[key], field, depth + 1);
      }
    }
  };
  fields.forEach((field, i) => visit(values[i], field, 0));
  return shared;
}

// structuredClone cannot clone a proxy; state proxies are unwrapped for it, so handler code
// that clones a value read from state keeps working.
const nativeClone = globalThis.structuredClone;
if (typeof nativeClone === "function" && !(nativeClone as { djust?: boolean }).djust) {
  const clone = function structuredClone<T>(value: T, options?: StructuredSerializeOptions): T {
    try {
      return nativeClone(value, options);
    } catch (error) {
      if (!(error instanceof Error) || error.name !== "DataCloneError") throw error;
      return nativeClone(unwrapDeep(value, new Map()), options);
    }
  };
  (clone as { djust?: boolean }).djust = true;
  globalThis.structuredClone = clone;
}

/** A copy of `value` with every state proxy in it replaced by its raw object. */
function unwrapDeep<T>(value: T, seen: Map<object, unknown>): T {
  if (typeof value !== "object" || value === null) return value;
  const raw = toRaw(value) as object;
  if (raw !== value) return raw as T;
  if (seen.has(raw)) return seen.get(raw) as T;
  if (Array.isArray(raw)) {
    const out: unknown[] = [];
    seen.set(raw, out);
    for (const item of raw) out.push(unwrapDeep(item, seen));
    return out as T;
  }
  if (raw instanceof Map) {
    const out = new Map();
    seen.set(raw, out);
    for (const [k, v] of raw) out.set(unwrapDeep(k, seen), unwrapDeep(v, seen));
    return out as T;
  }
  if (raw instanceof Set) {
    const out = new Set();
    seen.set(raw, out);
    for (const v of raw) out.add(unwrapDeep(v, seen));
    return out as T;
  }
  if (isProxied(raw)) {
    const out: Record<string, unknown> = {};
    seen.set(raw, out);
    for (const key of Object.keys(raw)) {
      out[key] = unwrapDeep((raw as Record<string, unknown>)[key], seen);
    }
    return out as T;
  }
  return value;
}
