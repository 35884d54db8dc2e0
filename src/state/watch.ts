/**
 * Write tracking over a view's public state, so that change detection costs what a handler
 * touched instead of what the view holds.
 *
 * Plain objects, arrays, maps and sets reached through a view's fields are handed out as
 * proxies (one per object, kept for as long as the object lives, so `===` between values read
 * from state holds across events). A write through a proxy records the slot's previous value (a
 * map's or set's entries) the first time it is written in a step; what a map or set holds is
 * handed out through proxies as well, so a write into an object read from one is recorded too.
 * Any other value (`Date`, `Decimal`, registered or `toJSON` classes, subclasses of `Map` and
 * `Set`) is handed out as itself — its methods, private fields and `instanceof` keep working —
 * and its snapshot encoding is recorded instead, to compare with afterwards. State holds raw
 * values: proxies stored into it through a field or a proxy are unwrapped at once (not those
 * inside a frozen value or a class instance, which stay).
 *
 * Every object handed out remembers where it was reached from (parent and key, or a top-level
 * field), so a change found in one object is reported for every field that still reaches it,
 * including a field that shares the object with another (`this.selected = this.rows[3]`).
 * Sharing present when tracking starts (between fields, or twice in one) is found by one walk
 * at that moment, which links each place of a shared object and the containers above it; an
 * object found at many places (a lookup object every row holds) is linked to its fields
 * instead, and a stored value's walk then goes down through known objects to find it. Links
 * that no longer lead to a field are dropped once a node has gathered many, so what left the
 * state is not kept alive by what it held.
 * @module
 */
import { Decimal } from "decimal.js";
import {
  isJsonPrimitive,
  isPlainObject,
  matchesSnapshot,
  silentPolicy,
  toSnapshot,
  toSnapshotAt,
  type SerializationPolicy,
  type SnapshotValue,
} from "./codec.js";
import type { DeltaOp, DeltaPath, EntryKey, EntryList } from "./delta.js";
import { MAX_PLACES, MAX_SHARED, type Alias, type StatePath } from "./aliases.js";

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
  parent: object | null;
  key: string | number;
  /**
   * To a field that reached the node at one of many places when tracking started
   * ({@link SharedNodes.wide}): not re-checked (the sharing may have ended: over-report).
   */
  readonly sticky?: boolean;
}

interface NodeInfo {
  proxy?: object;
  /**
   * Its links ({@link linksOf}): most nodes have one, held as itself. A scan of a large field
   * gives every row a record for the life of the view, about 160 B with its proxy, and an array
   * of one would add 56 B to each.
   */
  links: Link | Link[] | undefined;
  /** The step the watch first met the node in ({@link Watch.clear} starts a new one). */
  readonly born: number;
  /**
   * Reached along more than one path inside one field, or along a path the links do not know:
   * its edits cannot be addressed, so a change under it stores its field whole.
   */
  ambiguous?: boolean;
  /** How many links it may gain before those that lead nowhere are dropped ({@link CROWD}). */
  crowd?: number;
  /**
   * Out of the state when a link to it from below was dropped: when it is stored again, the
   * walk of the stored value goes down through it, to link what is below it again.
   */
  detached?: boolean;
  /** Has sticky links: not every place of it is linked ({@link SharedNodes.wide}). */
  wide?: boolean;
  /**
   * Its links by parent, once it has more than {@link SCANNED_LINKS}: a lookup object every
   * row holds gains a link per row, and each would search all the others.
   */
  byParent?: Map<object | null, Link[]>;
}

/** How many links a node's new link is checked against one by one. */
const SCANNED_LINKS = 8;

const NO_LINKS: readonly Link[] = [];

/** The links of `info` (none when there is no record). */
function linksOf(info: NodeInfo | undefined): readonly Link[] {
  const links = info?.links;
  if (links === undefined) return NO_LINKS;
  return Array.isArray(links) ? links : [links];
}

/** `info`'s one link, if it has exactly one. */
function onlyLink(info: NodeInfo): Link | undefined {
  const links = info.links;
  if (!Array.isArray(links)) return links;
  return links.length === 1 ? links[0] : undefined;
}

/** How many links `info` has. */
function linkCount(info: NodeInfo): number {
  const links = info.links;
  if (links === undefined) return 0;
  return Array.isArray(links) ? links.length : 1;
}

/** `info`'s links, or at least all those from `parent`. */
function linksFrom(info: NodeInfo, parent: object | null): readonly Link[] {
  const links = info.links;
  if (!Array.isArray(links) || links.length <= SCANNED_LINKS) return linksOf(info);
  if (!info.byParent) {
    info.byParent = new Map();
    for (const link of links) addTo(info.byParent, link);
  }
  return info.byParent.get(parent) ?? NO_LINKS;
}

function addLink(info: NodeInfo, link: Link): void {
  const links = info.links;
  if (links === undefined) info.links = link;
  // A literal of two: a first push would give the array room for 17.
  else if (!Array.isArray(links)) info.links = [links, link];
  else links.push(link);
  if (info.byParent) addTo(info.byParent, link);
}

/** Gives `info` the links `kept` (some of those it had). */
function keepLinks(info: NodeInfo, kept: Link[]): void {
  info.links = kept.length > 1 ? kept : kept[0];
  info.byParent = undefined;
}

function addTo(byParent: Map<object | null, Link[]>, link: Link): void {
  const same = byParent.get(link.parent);
  if (same) same.push(link);
  else byParent.set(link.parent, [link]);
}

/**
 * Field → the step's edits of it, or `null` when the field must be stored whole (replaced,
 * or changed where no path addresses it).
 */
export type FieldDeltas = Map<string, DeltaOp[] | null>;

/** Most paths followed to one changed node before its field is stored whole instead. */
const MAX_PATHS = 16;

/**
 * Links a node may hold before the check drops those that no longer lead to a field; then
 * twice as many as it kept, so that each link costs the pruning a constant share.
 */
const CROWD = 4;

/** One container's (or handed-out value's) writes during a step. */
interface NodeLog {
  /** Previous values by key (array indices as strings). */
  slots?: Map<string, Original>;
  /** An array's length before the step. */
  length?: number;
  /** The whole array before a bulk operation (`splice`, `sort`…). */
  copy?: unknown[];
  /**
   * An object's keys in their order before the step's first `delete` (a key deleted and set
   * again goes last: the encoding's order changes with it).
   */
  keys?: string[];
  /** A value handed out as itself. */
  encoded?: Encoded;
  /** A map's entries (a set's as `[member, member]`) before the step's first write to it. */
  entries?: (readonly [unknown, unknown])[];
  /**
   * A value handed out as itself (a subclass of a map or set, a class instance): the encodings
   * of the objects the watch knew inside it when it was handed out, to tell whether one of
   * them changed through it (`this.box.bump()` changing an object another field holds).
   */
  inner?: Map<object, SnapshotValue>;
}

/**
 * The key a state proxy is asked for its raw object with, for every tracker. A key read, not a
 * `WeakMap` from proxy to object: a handler's first read of each row would insert an entry
 * (the most costly part of handing the row out), and every garbage collection walks such a
 * map's entries. The answer does not come back as the read's value, which any other proxy
 * could fake: the proxy leaves itself and its object in {@link answered}.
 */
const RAW: unique symbol = Symbol("djust.raw");

/** The state proxy that answered the last read of {@link RAW}, and its raw object. */
let answered: object | undefined;
let answeredRaw: object | undefined;

/** What a state proxy does when read for {@link RAW}. */
function answerRaw(proxy: object, raw: object): undefined {
  answered = proxy;
  answeredRaw = raw;
  return undefined;
}

/** The raw object behind a state proxy, or `value` itself. */
export function toRaw<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  answered = undefined;
  try {
    void (value as { [RAW]?: unknown })[RAW];
  } catch {
    // A revoked proxy, or another proxy whose trap throws: not a state proxy.
    return value;
  }
  const raw = answered === value ? answeredRaw : undefined;
  answered = answeredRaw = undefined;
  return (raw as T | undefined) ?? value;
}

/** Whether `value` is a state proxy. */
export function isStateProxy(value: unknown): boolean {
  return toRaw(value) !== value;
}

/** Plain objects and arrays are tracked through proxies; other objects are handed out as is. */
export function isProxied(value: object): boolean {
  return Array.isArray(value) || isPlainObject(value);
}

function encodeSilently(value: unknown): Encoded {
  return new Encoded(toSnapshot(value, "", silentPolicy));
}

const ignore = (): void => {};

/** Array methods that only compare items: run on the raw array with raw arguments. */
const SEARCHES = new Set(["indexOf", "lastIndexOf", "includes"]);
/** Array methods that move many items: the array is copied once, then changed raw. */
const BULK = new Set(["shift", "unshift", "splice", "sort", "reverse", "fill", "copyWithin"]);
const SELF_RETURNING = new Set(["sort", "reverse", "fill", "copyWithin"]);

/** A callback an array method gives each item to. */
type Visitor = (this: unknown, value: unknown, index: number, array: unknown) => unknown;

/** `reduce`'s callback. */
type Reducer = (acc: unknown, value: unknown, index: number, array: unknown) => unknown;

/**
 * Array methods that give items to a callback, run over a plain array itself: each item is
 * handed out by `item` as a read of it would be, without a trap per item (and the index made a
 * string for it), which took a third of a search's time through tracking. As the built-ins: the
 * length read once, holes skipped where they skip them, `thisArg`, the proxy as third argument.
 */
const VISITS: Record<
  string,
  (raw: unknown[], item: (i: number) => unknown, array: unknown, f: Visitor, t: unknown) => unknown
> = {
  find(raw, item, array, f, t) {
    for (let i = 0, n = raw.length; i < n; i++) {
      const v = item(i);
      if (f.call(t, v, i, array)) return v;
    }
    return undefined;
  },
  findIndex(raw, item, array, f, t) {
    for (let i = 0, n = raw.length; i < n; i++) if (f.call(t, item(i), i, array)) return i;
    return -1;
  },
  findLast(raw, item, array, f, t) {
    for (let i = raw.length - 1; i >= 0; i--) {
      const v = item(i);
      if (f.call(t, v, i, array)) return v;
    }
    return undefined;
  },
  findLastIndex(raw, item, array, f, t) {
    for (let i = raw.length - 1; i >= 0; i--) if (f.call(t, item(i), i, array)) return i;
    return -1;
  },
  some(raw, item, array, f, t) {
    for (let i = 0, n = raw.length; i < n; i++) {
      if (i in raw && f.call(t, item(i), i, array)) return true;
    }
    return false;
  },
  every(raw, item, array, f, t) {
    for (let i = 0, n = raw.length; i < n; i++) {
      if (i in raw && !f.call(t, item(i), i, array)) return false;
    }
    return true;
  },
  forEach(raw, item, array, f, t) {
    for (let i = 0, n = raw.length; i < n; i++) if (i in raw) f.call(t, item(i), i, array);
    return undefined;
  },
  filter(raw, item, array, f, t) {
    const kept: unknown[] = [];
    for (let i = 0, n = raw.length; i < n; i++) {
      if (!(i in raw)) continue;
      const v = item(i);
      if (f.call(t, v, i, array)) kept.push(v);
    }
    return kept;
  },
  map(raw, item, array, f, t) {
    const n = raw.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) if (i in raw) out[i] = f.call(t, item(i), i, array);
    return out;
  },
};

/**
 * The write log of one view's state between two checks, with the proxies that feed it.
 * Top-level fields are the tracker's: it reports their writes through {@link Watch.logRoot}.
 */
export class Watch {
  #nodes?: WeakMap<object, NodeInfo>;
  #logs?: Map<object, NodeLog>;
  #roots?: Map<string, Original>;
  #handler?: ProxyHandler<object>;
  #collectionHandler?: ProxyHandler<object>;
  /**
   * The containers known objects were put in during the step, each with those objects: a
   * container may now hold one twice, which {@link changedFields} checks before it addresses
   * edits (only when paths are kept).
   */
  #moved?: Map<object, Set<object>>;
  /** Objects stored during the step (each linked where it was put), for {@link changedFields}. */
  #storedValues?: object[];
  /** Counts the steps, for {@link NodeInfo.born}. */
  #step = 0;
  /** Plain maps and sets met by a check, and where they hold their values. */
  #places?: Map<object, Places | number>;
  /** Nodes whose links passed their {@link NodeInfo.crowd} since the last check. */
  #crowded?: Set<object>;
  /**
   * Some node is {@link NodeInfo.wide}: a stored value's walk goes down through known nodes
   * too, to link such a node at the new places the value gives it.
   */
  #sticky = false;
  /**
   * Objects linked at more than one place, or twice in one container, for {@link aliases}
   * (only when paths are kept), each dropped once it is found at fewer than two places (a
   * step that moves many objects, `this.rows = this.rows.filter(…)`, notes each in passing);
   * `"many"` when tracking started with an object too wide to list, until {@link
   * restartShared}.
   */
  #shared?: Set<object> | "many";

  /** @param paths keep what is needed to address edits by path ({@link changedFields}' deltas). */
  constructor(readonly paths = false) {}

  /** Whether anything was written or handed out since the last {@link clear}. */
  get pending(): boolean {
    return this.#logs !== undefined || this.#roots !== undefined;
  }

  /** Forgets the step's log (the state as it is becomes the baseline). */
  clear(): void {
    this.#logs = undefined;
    this.#roots = undefined;
    this.#moved = undefined;
    this.#storedValues = undefined;
    this.#step++;
  }

  #info(node: object): NodeInfo {
    const nodes = (this.#nodes ??= new WeakMap());
    let info = nodes.get(node);
    if (!info) {
      info = { proxy: undefined, links: undefined, born: this.#step };
      nodes.set(node, info);
    }
    return info;
  }

  #link(node: object, parent: object | null, key: string | number): NodeInfo {
    const info = this.#info(node);
    // Read again where it was read before: the common case, without a list of one.
    const only = info.links;
    if (only !== undefined && !Array.isArray(only) && only.parent === parent && only.key === key) {
      return info;
    }
    let stale: Link | undefined;
    for (const link of linksFrom(info, parent)) {
      if (link.parent !== parent) continue;
      if (link.key === key) return info;
      // An array's link follows its item when indices shift (lookups find it again by
      // `indexOf`); an object may hold the node under a second key, so a link that is still
      // true is kept beside the new one, and only a stale one is reused (unless a link of the
      // same key comes later: two links would name one place twice).
      if (
        stale === undefined &&
        parent !== null &&
        (Array.isArray(parent) || (parent as Record<string | number, unknown>)[link.key] !== node)
      ) {
        stale = link;
      }
    }
    // Back in the state through a read: what is below it is linked again at the check.
    if (info.detached && parent !== null) (this.#storedValues ??= []).push(node);
    if (stale) {
      stale.key = key;
      return info;
    }
    addLink(info, { parent, key });
    if (linkCount(info) > 1) this.#noteShared(node);
    if (linkCount(info) > (info.crowd ?? CROWD)) (this.#crowded ??= new Set()).add(node);
    return info;
  }

  /** `node` may be held at more than one place now: one for {@link aliases} to list. */
  #noteShared(node: object): void {
    const known = this.#shared;
    if (!this.paths || known === "many") return;
    (known ?? (this.#shared = new Set())).add(node);
  }

  /** Forgets which objects were noted as shared (tracking starts again and notes them anew). */
  restartShared(): void {
    this.#shared = undefined;
  }

  /**
   * The places of the state (`current`: field → raw value) that hold one object, as pairs of
   * its first place and each other one, for a snapshot to keep identity
   * ({@link applyAliases}); `undefined` when the state shares more than a record keeps
   * ({@link MAX_SHARED} objects, {@link MAX_PLACES} places each). Only objects the watch saw
   * linked at a second place since the last call are looked at, so this costs what the
   * sharing holds and what the steps moved (and a look through each map or set holding one,
   * or an array holding one twice).
   */
  aliases(current: ReadonlyMap<string, unknown>): Alias[] | undefined {
    const shared = this.#shared;
    if (shared === "many") return undefined;
    const out: Alias[] = [];
    if (!shared) return out;
    const memo = new Map<object, StatePath[] | undefined>();
    const entries: EntryIndexes = new Map();
    let listed = 0;
    let wide = false;
    for (const node of shared) {
      const places = this.#placesOf(node, current, memo, entries, 0);
      if (places === undefined) {
        // At too many places for now: looked at again next time.
        wide = true;
        continue;
      }
      if (places.length < 2) {
        shared.delete(node);
        continue;
      }
      listed++;
      for (let i = 1; i < places.length; i++) out.push([places[0]!, places[i]!]);
    }
    // More shared objects than a record keeps (a map indexing the rows): not listed again
    // until tracking starts again, and the set of them is not kept.
    if (listed > MAX_SHARED) this.#shared = "many";
    else if (shared.size === 0) this.#shared = undefined;
    return listed > MAX_SHARED || wide ? undefined : out;
  }

  /**
   * Every place of the state that holds `node` now, following its links (each checked against
   * the state); `undefined` when there are more than {@link MAX_PLACES}. Places inside a class instance or a
   * subclass of a collection are not named (a restore rebuilds those from their encoding).
   */
  #placesOf(
    node: object,
    current: ReadonlyMap<string, unknown>,
    memo: Map<object, StatePath[] | undefined>,
    entries: EntryIndexes,
    depth: number,
  ): StatePath[] | undefined {
    if (memo.has(node)) return memo.get(node);
    // Set first: a cycle (which no snapshot holds) ends here.
    memo.set(node, undefined);
    if (depth > 64) return undefined;
    const info = this.#nodes?.get(node);
    const out: StatePath[] = [];
    const named = new Set<string>();
    for (const link of linksOf(info)) {
      const parent = link.parent;
      if (parent === null) {
        const field = link.key as string;
        if (current.get(field) === node && !named.has(field)) {
          named.add(field);
          out.push([field]);
        }
        continue;
      }
      const keys = keysHolding(parent, link, node, info?.ambiguous === true, entries);
      if (keys.length === 0) continue;
      // Below a container held at several places, only its first one: the pair that makes
      // the container one object again makes what it holds one too.
      const above = this.#placesOf(parent, current, memo, entries, depth + 1)?.[0];
      if (above === undefined) continue;
      for (const key of keys) {
        const place: StatePath = [...above, key];
        const name = JSON.stringify(place);
        if (named.has(name)) continue;
        named.add(name);
        out.push(place);
      }
    }
    const places = out.length > MAX_PLACES ? undefined : out;
    memo.set(node, places);
    return places;
  }

  /** Makes the links {@link findSharedNodes} found. */
  linkShared(shared: SharedNodes): void {
    for (const [node, parent, key] of shared.links) this.#link(node, parent, key);
    // Two places in one array share one link: an edit by path would reach one of them.
    if (this.paths) {
      for (const node of shared.repeated) {
        this.#info(node).ambiguous = true;
        this.#noteShared(node);
      }
    }
    // Too wide for a record to list: the state's sharing is not listed.
    if (shared.wide.size > 0 && this.paths) this.#shared = "many";
    for (const [node, fields] of shared.wide) {
      const info = this.#info(node);
      info.wide = true;
      for (const field of fields) {
        if (!linksFrom(info, null).some((l) => l.parent === null && l.key === field)) {
          addLink(info, { parent: null, key: field, sticky: true });
        }
      }
      this.#sticky = true;
    }
  }

  /** What a handler gets for `value` read from top-level `field`. */
  handOutRoot(field: string, value: unknown): unknown {
    return this.#handOut(value, null, field);
  }

  /**
   * What a handler gets for `value` read at `parent[key]` (`parent` `null`: a top-level
   * field): a proxy of a plain object, array, map or set; any other object as itself, its
   * encoding logged. `asIs`: what the slot holds is given back unchanged, whatever it is (a
   * frozen slot: a proxy may give nothing else).
   */
  #handOut(held: unknown, parent: object | null, key: string | number, asIs = false): unknown {
    if (typeof held !== "object" || held === null) return held;
    // A proxy put into a map or set inside a new value stays there until the check: what is
    // handed out for it is the proxy of its object, not a proxy of the proxy.
    const value = toRaw(held);
    if (!asIs && (isProxied(value) || isCollection(value))) return this.#proxy(value, parent, key);
    this.#logEncoding(value);
    this.#link(value, parent, key);
    return asIs ? held : value;
  }

  /** Records top-level `field`'s value before the step's first write to it. */
  logRoot(field: string, original: Original): void {
    const roots = (this.#roots ??= new Map());
    if (!roots.has(field)) roots.set(field, original);
  }

  /** A newly stored top-level value is reached from `field`. */
  linkRoot(field: string, value: unknown): void {
    if (typeof value !== "object" || value === null) return;
    this.#unwrap(value);
    const info = this.#link(value, null, field);
    // Back in a field a link it kept from before names: it may be at two places again.
    if (linkCount(info) > 1) this.#noteShared(value);
    (this.#storedValues ??= []).push(value);
  }

  #proxy(target: object, parent: object | null, key: string | number): object {
    const info = this.#link(target, parent, key);
    if (!info.proxy) {
      const handler = isCollection(target)
        ? (this.#collectionHandler ??= this.#makeCollectionHandler())
        : (this.#handler ??= this.#makeHandler());
      info.proxy = new Proxy(target, handler);
    }
    return info.proxy;
  }

  /**
   * A proxy of `target` read for {@link RAW}: it answers unless the read went through an object
   * that inherits from it (`receiver` is then that object, not the proxy).
   */
  #rawBehind(target: object, receiver: object): undefined {
    const proxy = this.#nodes?.get(target)?.proxy;
    return proxy === receiver ? answerRaw(proxy, target) : undefined;
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

  /** Records the encoding of `value`, handed out as itself, on the first hand-out of a step. */
  #logEncoding(value: object): void {
    const log = this.#log(value);
    if (log.encoded) return;
    // A date or a decimal holds nothing of state.
    if (!isContainer(value) && !isInstance(value)) {
      log.encoded = encodeSilently(value);
      return;
    }
    const nodes = this.#nodes;
    const inner = new Map<object, SnapshotValue>();
    log.encoded = new Encoded(
      toSnapshot(value, "", silentPolicy, undefined, (container, encoded) => {
        if (container !== value && nodes?.has(container)) inner.set(container, encoded);
      }),
    );
    if (inner.size > 0) log.inner = inner;
  }

  #logSlot(target: object, key: string, original: Original): void {
    const log = this.#log(target);
    if (log.copy) return;
    if (Array.isArray(target) && log.length === undefined) log.length = target.length;
    const slots = (log.slots ??= new Map());
    if (!slots.has(key)) slots.set(key, original);
  }

  /** Records what a map or set holds before the step's first write to it. */
  #logEntries(target: Map<unknown, unknown> | Set<unknown>): void {
    const log = this.#log(target);
    log.entries ??= [...target.entries()];
  }

  #logCopy(target: unknown[]): void {
    const log = this.#log(target);
    if (!log.copy) {
      log.copy = originalArray(target, log);
      log.slots = undefined;
    }
  }

  /**
   * `value` was stored at `parent[key]` during the step; `bulk`: by an array method, which may
   * have put it at several places at once.
   */
  #stored(value: object, parent: object, key: string | number, bulk = false): void {
    this.#unwrap(value);
    this.#placed(value, parent, key, bulk);
    (this.#storedValues ??= []).push(value);
  }

  /**
   * Replaces the state proxies inside `value`, just stored, by their raw objects: state holds
   * raw values only, also within the step (`this.picked = this.rows.filter(…)` then
   * `this.picked[0] === this.rows[0]` holds). A value the watch knows is state already and is
   * not walked again (a proxy a handler put raw into a subclass of a map inside it is unwrapped
   * when the map is checked); neither is a known object below the value, unless `all` (such a
   * map, whose values are handed out raw). Whether a proxy was met.
   */
  #unwrap(value: object, all = false): boolean {
    const known = all ? undefined : this.#nodes;
    if (known?.has(value)) return false;
    let met = false;
    const seen = new Set<object>([value]);
    const stack = [{ node: value, depth: 0 }];
    while (stack.length > 0) {
      const at = stack.pop() as { node: object; depth: number };
      if (at.depth > 64) continue;
      const found = forEachChild(at.node, (item) => {
        if (seen.has(item) || known?.has(item)) return;
        seen.add(item);
        stack.push({ node: item, depth: at.depth + 1 });
      });
      met ||= found;
    }
    return met;
  }

  /**
   * `value` is now (also) at `parent[key]`: linked there, and checked for two places (not when
   * put in a map or set: no path goes into one, and a container the value already sat in twice
   * was checked when it was put there).
   */
  #placed(value: object, parent: object, key: string | number, bulk = false): void {
    const known = bulk || this.#nodes?.has(value) === true;
    if (this.paths && known && !isContainer(parent)) {
      const moved = (this.#moved ??= new Map());
      const into = moved.get(parent);
      if (into) into.add(value);
      else moved.set(parent, new Set([value]));
    }
    const info = this.#link(value, parent, key);
    // Known, it may be at two places now: under a second key of a map (which its one link
    // from the map also names), or back where a link it kept from before names.
    if (known && (parent instanceof Map || linkCount(info) > 1)) this.#noteShared(value);
  }

  #makeHandler(): ProxyHandler<object> {
    const methods = new Map<string, (...args: unknown[]) => unknown>();
    const rawBehind = (target: object, receiver: object) => this.#rawBehind(target, receiver);
    const logCopy = (raw: unknown[]) => this.#logCopy(raw);
    const logSlot = (target: object, key: string, was: Original) => this.#logSlot(target, key, was);
    const logOf = (target: object) => this.#log(target);
    // What a read of `target[key]`, which holds the object `value`, gives. A frozen slot must
    // give what it holds (a proxy's invariant): handed out as itself. Read at each read: an
    // object may be frozen by any path (a raw reference, another view's proxy, a parent frozen
    // first).
    const child = (target: object, key: string | number, value: object): unknown => {
      const slot = Reflect.getOwnPropertyDescriptor(target, key);
      return slot ? this.#handOut(value, target, key, isFrozenSlot(slot)) : value;
    };
    const stored = (node: object, parent: object, key: string | number, bulk?: boolean) =>
      this.#stored(node, parent, key, bulk);
    for (const name of SEARCHES) {
      methods.set(name, function (this: unknown, ...args: unknown[]) {
        const raw = toRaw(this) as Record<string, (...a: unknown[]) => unknown>;
        return (raw[name] as (...a: unknown[]) => unknown).apply(raw, args.map(toRaw));
      });
    }
    // What a read of `raw[i]` through the proxy gives, but for the frozen-slot check when the
    // array still takes items (which cost a third of a loop's time): a slot made read-only one
    // by one in such an array is rare, and only a trap must give what it holds, so the
    // callback gets the object tracked there, and a read at that index the object itself.
    const itemOf = (raw: unknown[], i: number): unknown => {
      const value = raw[i];
      if (typeof value !== "object" || value === null) return value;
      return Object.isExtensible(raw) ? this.#handOut(value, raw, i) : child(raw, i, value);
    };
    const visits = new Map<string, (...args: unknown[]) => unknown>();
    for (const [name, visit] of Object.entries(VISITS)) {
      const builtIn = (Array.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)[
        name
      ] as (...a: unknown[]) => unknown;
      visits.set(name, function (this: unknown, ...args: unknown[]) {
        const raw = toRaw(this) as unknown[];
        const [f, t] = args;
        // Not a function: the built-in's own error.
        if (typeof f !== "function" || !isPlainArray(raw)) return builtIn.apply(this, args);
        return visit(raw, (i) => itemOf(raw, i), this, f as Visitor, t);
      });
    }
    // The accumulator first; without a start value, the first item present (none: the built-in's
    // error).
    const reduce = Array.prototype.reduce as (...a: unknown[]) => unknown;
    visits.set("reduce", function (this: unknown, ...args: unknown[]) {
      const raw = toRaw(this) as unknown[];
      const [f, start] = args;
      const n = isPlainArray(raw) ? raw.length : 0;
      let i = 0;
      if (args.length < 2) while (i < n && !(i in raw)) i++;
      if (typeof f !== "function" || i === n) return reduce.apply(this, args);
      let acc = args.length < 2 ? itemOf(raw, i++) : start;
      for (; i < n; i++) if (i in raw) acc = (f as Reducer)(acc, itemOf(raw, i), i, this);
      return acc;
    });
    const items = function* (this: unknown): Generator<unknown, undefined> {
      const raw = toRaw(this) as unknown[];
      if (!isPlainArray(raw)) return yield* Array.prototype.values.call(this as unknown[]);
      // The length read at each step, as the built-in iterator does.
      for (let i = 0; i < raw.length; i++) yield itemOf(raw, i);
      return undefined;
    };
    visits.set("values", items);
    // What a proxy gives for a function read from `target` (out of the trap, which stays small).
    const method = (target: object, prop: string | symbol, value: unknown): unknown => {
      if (!Array.isArray(target) || Object.hasOwn(target, prop)) return value;
      if (typeof prop === "string") {
        return (isPlainArray(target) && visits.get(prop)) || (methods.get(prop) ?? value);
      }
      return prop === Symbol.iterator && value === Array.prototype.values && isPlainArray(target)
        ? items
        : value;
    };
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
        const rawArgs = name === "sort" ? args : args.map(toRaw);
        const result = fn.apply(raw, rawArgs);
        // Objects put in by the call are reached from this array now (perhaps twice).
        const added =
          name === "splice"
            ? rawArgs.slice(2)
            : name === "unshift" || name === "fill"
              ? rawArgs
              : [];
        if (name === "copyWithin") {
          // Every item may now be at two places: linked where it is, without a search each.
          raw.forEach((item, i) => {
            if (typeof item === "object" && item !== null) stored(item, raw, i, true);
          });
        }
        for (const item of added) {
          if (typeof item !== "object" || item === null) continue;
          const i = raw.indexOf(item);
          if (i >= 0) stored(item, raw, i, true);
        }
        return SELF_RETURNING.has(name) ? this : result;
      });
    }
    return {
      get(target, prop, receiver) {
        if (prop === RAW) return rawBehind(target, receiver);
        const value = (target as Record<string | symbol, unknown>)[prop];
        if (typeof value === "function") return method(target, prop, value);
        if (typeof value !== "object" || value === null || typeof prop === "symbol") return value;
        return child(target, arrayKey(target, prop), value);
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
        logSlot(target, prop, shown(target, prop) ? before : ABSENT);
        const done = Reflect.set(target, prop, raw);
        if (typeof raw === "object" && raw !== null) stored(raw, target, arrayKey(target, prop));
        return done;
      },
      deleteProperty(target, prop) {
        if (typeof prop === "string" && Object.hasOwn(target, prop)) {
          if (!Array.isArray(target)) logOf(target).keys ??= Object.keys(target);
          logSlot(
            target,
            prop,
            shown(target, prop) ? (target as Record<string, unknown>)[prop] : ABSENT,
          );
        }
        return Reflect.deleteProperty(target, prop);
      },
      defineProperty(target, prop, descriptor) {
        if (typeof prop === "string") {
          logSlot(
            target,
            prop,
            shown(target, prop) ? (target as Record<string, unknown>)[prop] : ABSENT,
          );
        }
        const raw: unknown = "value" in descriptor ? toRaw(descriptor.value) : undefined;
        const desc = "value" in descriptor ? { ...descriptor, value: raw } : descriptor;
        const done = Reflect.defineProperty(target, prop, desc);
        if (typeof prop === "string" && typeof raw === "object" && raw !== null) {
          stored(raw, target, arrayKey(target, prop));
        }
        return done;
      },
    };
  }

  /**
   * The handler of a map's or set's proxy. What it holds is handed out as from any container
   * (values and set members through proxies, linked to it), so a write into an object read
   * from it is logged like any other; keys and arguments are unwrapped. Its first write of a
   * step (`set`, `add`, `delete`, `clear`, or a method it does not know, which runs on the raw
   * collection) logs its entries, to compare with afterwards.
   */
  #makeCollectionHandler(): ProxyHandler<object> {
    const out = (raw: object, value: unknown) => this.#handOut(value, raw, 0);
    const handOut = (value: unknown, raw: object, key: string, asIs: boolean) =>
      this.#handOut(value, raw, key, asIs);
    // As a write through an object's proxy: what goes in holds no proxy from then on, and a
    // value put `into` the collection is linked there (its keys are not: they are found by
    // identity, never handed out).
    const put = (value: unknown, into?: object) => {
      const raw = toRaw(value);
      if (typeof raw === "object" && raw !== null) {
        if (into) this.#stored(raw, into, 0);
        else this.#unwrap(raw);
      }
      return raw;
    };
    const rawBehind = (target: object, receiver: object) => this.#rawBehind(target, receiver);
    const logEntries = (raw: Map<unknown, unknown> | Set<unknown>) => this.#logEntries(raw);
    const methods = collectionMethods(out, put, logEntries);
    return {
      get(target, prop, receiver) {
        if (prop === RAW) return rawBehind(target, receiver);
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value === "object" && value !== null && typeof prop === "string") {
          // An own property, outside the encoding, may hold what a field holds too.
          const slot = Reflect.getOwnPropertyDescriptor(target, prop);
          if (slot && "value" in slot) {
            return handOut(value, target, prop, isFrozenSlot(slot));
          }
        }
        if (typeof value !== "function" || prop === "constructor") return value;
        const own = (target instanceof Map ? methods.map : methods.set).get(prop);
        if (own) return own;
        // A method this handler does not know may change it too, and what it gives back is
        // handed out as what it holds is (`union`, `intersection`… give a new set of members).
        return function (this: unknown, ...args: unknown[]) {
          const raw = toRaw(this) as Map<unknown, unknown> | Set<unknown>;
          logEntries(raw);
          const result = (value as (...a: unknown[]) => unknown).apply(raw, args.map(toRaw));
          if (result === raw) return this;
          if (result instanceof Set && isCollection(result)) {
            return new Set([...result].map((member) => out(raw, member)));
          }
          return out(raw, result);
        };
      },
    };
  }

  /**
   * The top-level fields whose content differs from what it was at the last {@link clear},
   * given each field's current raw value (`ABSENT` when gone). `validate(field, value, path)` is
   * called with every value found new and where it sits in the field (`[]` when not known), for
   * the serialization policy. `edited` receives each object written or whose content changed.
   */
  changedFields(
    current: ReadonlyMap<string, unknown>,
    validate: (field: string, value: unknown, path?: readonly (string | number)[]) => void,
    deltas?: FieldDeltas,
    edited?: Set<object>,
  ): Set<string> {
    const changed = new Set<string>();
    const compare = new Comparison(this.#logs, this.#nodes);
    // A check that threw (a strict serialization error) leaves its places behind.
    this.#places = undefined;
    // A shared object changed through a subclass of a map or set (whose values are handed out
    // raw): its fields go whole.
    const report = (inner: object) => {
      edited?.add(inner);
      for (const field of this.#rootsOf(inner, current)) {
        changed.add(field);
        deltas?.set(field, null);
      }
    };
    const seen: Met = new Map();
    const heirs = this.#heirs(current);
    for (const value of this.#storedValues ?? []) {
      // Stored at two places (`this.a = r; this.b = r`), or twice at one: each place has its
      // link (two places in one container are found by #settleMoved), and it is walked once.
      // A field's new array is walked last, once every other place of its old one is linked.
      if (seen.has(value) || heirs?.has(value as unknown[])) continue;
      seen.set(value, null);
      this.#learn(value, seen);
    }
    for (const [heir, original] of heirs ?? []) {
      if (seen.has(heir)) continue;
      seen.set(heir, null);
      this.#inherit(heir, original, seen, current);
    }
    this.#storedValues = undefined;
    let reached: Reached | undefined;
    const reach = () => (reached ??= this.#reachedByWrites(current));
    for (const [field, original] of this.#roots ?? []) {
      const now = current.has(field) ? current.get(field) : ABSENT;
      if (compare.same(now, original)) continue;
      changed.add(field);
      const splices = this.#arrayReplaced(field, now, original, reach, deltas);
      if (splices) {
        for (const [at, item] of splicedIn(splices)) validate(field, item, [at as number]);
        continue;
      }
      deltas?.set(field, null);
      if (now !== ABSENT) validate(field, now);
    }
    for (const [node, log] of this.#logs ?? []) {
      const edits: Edit[] | undefined = deltas ? [] : undefined;
      const fresh = compare.nodeChanges(node, log, edits);
      const changedNode = fresh !== undefined || (edits !== undefined && edits.length > 0);
      // Written counts, even with what it held (an object put where an equal one was changes
      // no value, but may start a sharing).
      if (changedNode || log.slots || log.copy || log.entries) edited?.add(node);
      if (changedNode) {
        for (const field of this.#rootsOf(node, current)) {
          if (fresh !== undefined) {
            changed.add(field);
            // Checked where it sits (as deep, and named there), when a path leads to it.
            let at: (string | number)[] | undefined;
            for (const [place, value] of fresh) {
              if (isJsonPrimitive(value)) continue;
              at ??= this.#placeOf(node, field, current);
              validate(field, value, place === undefined ? at : [...at, place]);
            }
          }
          if (deltas && edits && deltas.get(field) !== null) {
            this.#address(node, field, edits, current, deltas);
          }
        }
      }
      if (!log.encoded) continue;
      // A subclass of a map or set (a plain one is logged as an object is): it hands out its
      // values raw and takes them as given. Changed, it is walked whole: what the handler put
      // in it is linked, and the fields reaching what it did not hold when handed out go
      // whole (a change through it is not logged). Unchanged, it may still hold state
      // proxies, replaced and linked here.
      if (isContainer(node)) {
        if (fresh !== undefined) {
          this.#learn(node, seen, (inner) => {
            if (!log.inner?.has(inner)) report(inner);
          });
        } else if (this.#unwrap(node, true)) {
          this.#learn(node, seen, ignore);
        }
      }
      // What it (or a class instance) held when handed out, there still or not, may have
      // been changed through it.
      for (const [inner, before] of log.inner ?? []) {
        if (!matchesSnapshot(inner, before)) report(inner);
      }
    }
    // After the walks of maps and sets, which may have found a second place too.
    if (deltas) this.#settleMoved(current, deltas);
    // Edits address the state as it is now: a container's length and splices first, then the
    // keys inside it, then what is deeper.
    if (deltas) {
      for (const [field, ops] of deltas) if (ops) deltas.set(field, ordered(ops));
    }
    if (this.#crowded) this.#prune(current);
    this.#places = undefined;
    return changed;
  }

  /**
   * A field's array replaced by another that holds mostly the same items (`this.rows =
   * [...this.rows, row]`, `filter`, `map` that keeps rows): its edits are the splices between
   * the two, lined up by identity, and only what they put in is new. The splices, or
   * `undefined` when it is not such a change (the field is then stored whole).
   */
  #arrayReplaced(
    field: string,
    now: unknown,
    original: Original,
    reach: () => Reached,
    deltas: FieldDeltas | undefined,
  ): Splice[] | undefined {
    // The same array, changed in place: its own log has the edits.
    if (now === original || !isPlainArray(now) || !isPlainArray(original)) return undefined;
    // A change inside an item it kept is not reported for a field replaced in the step (the
    // field's own comparison covers it): then the field is stored whole.
    const { nodes, fields } = reach();
    if (fields.has(field) || nodes.has(now) || nodes.has(original)) return undefined;
    // What the stored encoding holds: the old array as it was when the step began.
    const log = this.#logs?.get(original);
    const before = log ? originalArray(original, log) : original;
    const { splices, added } = splicesBetween(now, before);
    if (2 * added.length > now.length) return undefined;
    if (deltas) {
      // At the field itself: the splices of the array the stored encoding holds, each item
      // encoded as deep as it sits.
      try {
        deltas.set(
          field,
          splices.map(([, at, removed, items]) => [
            "p",
            [],
            at,
            removed,
            items.map((item, i) => encodeStrictly(item, [at + i])),
          ]),
        );
      } catch (error) {
        // Not serializable: the field is stored whole, where the snapshot reports it.
        if (!(error instanceof TypeError)) throw error;
        deltas.set(field, null);
      }
    }
    return splices;
  }

  /**
   * What the step's writes reach, walking up the links (which may name more places than hold
   * a node now, never fewer) from every written node once: the containers above them, and the
   * fields. A field's own new or old value does not reach that field itself: a replaced
   * array's splices are taken between the two, its own writes included.
   */
  #reachedByWrites(current: ReadonlyMap<string, unknown>): Reached {
    const nodes = new Set<object>();
    const fields = new Set<string>();
    const roots = this.#roots;
    this.#climb(this.#logs?.keys() ?? [], (link, at) => {
      if (link.parent !== null) {
        nodes.add(link.parent);
        return true;
      }
      const field = link.key as string;
      const itself = roots?.has(field) && (current.get(field) === at || roots.get(field) === at);
      if (!itself) fields.add(field);
      return false;
    });
    return { nodes, fields };
  }

  /**
   * Walks up the links from each of `starts`, each node once: `follow` says of each link
   * whether to go on to its parent.
   */
  #climb(starts: Iterable<object>, follow: (link: Link, at: object) => boolean): void {
    const seen = new Set<object>();
    for (const start of starts) {
      const stack = [start];
      while (stack.length > 0) {
        const at = stack.pop() as object;
        if (seen.has(at)) continue;
        seen.add(at);
        for (const link of linksOf(this.#nodes?.get(at))) {
          if (follow(link, at) && link.parent !== null) stack.push(link.parent);
        }
      }
    }
  }

  /**
   * Drops the links of crowded nodes that no longer lead to a field: to a parent that no longer
   * holds the node, or to one that is out of the state. `this.sel = { row: this.rows[0] }` at
   * every event links the row to every wrapper ever made: each later change to the row would
   * walk them all, and they would stay alive through it. What is out of the state is marked
   * {@link NodeInfo.detached} on the way, so that storing it again links the node again.
   */
  #prune(current: ReadonlyMap<string, unknown>): void {
    const reaches = new Map<object, boolean>();
    const held: Held = new Map();
    for (const node of this.#crowded ?? []) {
      const info = this.#nodes?.get(node);
      if (!info) continue;
      const kept = linksOf(info).filter((link) =>
        link.parent === null
          ? rootHolds(link, current, node)
          : holds(link.parent, link, node, held) &&
            this.#reachesField(link.parent, current, reaches, held),
      );
      keepLinks(info, kept);
      info.crowd = Math.max(CROWD, 2 * kept.length);
    }
    this.#crowded = undefined;
  }

  /**
   * Whether some field reaches `start` now, along links that hold; `memo` keeps the answers of
   * one pruning. What a search that finds no field meets is out of the state, and is marked so.
   */
  #reachesField(
    start: object,
    current: ReadonlyMap<string, unknown>,
    memo: Map<object, boolean>,
    held: Held,
  ): boolean {
    const answer = memo.get(start);
    if (answer !== undefined) return answer;
    const seen = new Set<object>();
    const stack = [start];
    while (stack.length > 0) {
      const at = stack.pop() as object;
      if (seen.has(at) || memo.get(at) === false) continue;
      if (memo.get(at) === true) {
        memo.set(start, true);
        return true;
      }
      seen.add(at);
      for (const link of linksOf(this.#nodes?.get(at))) {
        if (link.parent !== null) {
          if (holds(link.parent, link, at, held)) stack.push(link.parent);
        } else if (rootHolds(link, current, at)) {
          memo.set(start, true);
          return true;
        }
      }
    }
    for (const at of seen) {
      memo.set(at, false);
      const info = this.#nodes?.get(at);
      if (info) info.detached = true;
    }
    return false;
  }

  /**
   * Looks through `value`, stored during the step (and linked where it was put), or a map or
   * set changed in place: an object met twice (here or in another value the step stored) is
   * linked at both places (#settleMoved finds two in one container); an object the watch knows
   * is now also reached from here,
   * linked with the new containers above it, so that a later change to it reaches this field
   * too (`this.picked = this.rows.filter(…)`, `{ ref: x }`, `map.set(k, x)`). A stored
   * value's walk does not go below a node known before the step: what that holds is linked
   * already. A subclass of a map or set changed in place (`known` is then told of every known
   * node in it) is walked whole: its values are handed out raw, so a change may lie anywhere
   * below them (`map.get(k).wrap.n = 6`, where `wrap` holds a row of another field). State
   * proxies put in such a map are replaced by their raw objects on the way.
   */
  #learn(value: object, seen: Met, known?: (node: object) => void, kept?: Uint8Array): void {
    const step = this.#step;
    const stored = this.#nodes?.get(value);
    if (stored) stored.detached = undefined;
    const stack: Visit[] = [{ node: value, up: undefined, key: 0, linked: true, depth: 0 }];
    // A whole walk (`known`) goes down through what other walks of the check met too.
    const walked = known ? new Set<object>([value]) : undefined;
    while (stack.length > 0) {
      const at = stack.pop() as Visit;
      if (at.depth > 64) continue;
      forEachChild(at.node, (item, k) => {
        if (kept !== undefined && at.up === undefined && kept[k as number] === 1) return;
        const info = this.#nodes?.get(item);
        const twice = seen.has(item);
        // Below a node known before the step, what the watch knows is linked where it is,
        // but for a wide node.
        const linkHere = at.below !== true || info?.wide === true;
        if ((info !== undefined && linkHere) || twice) {
          // Met before at a place not linked then (an object is linked where it is handed
          // out, or where a walk finds it known): that place is linked now too.
          const first = seen.get(item);
          if (first) {
            this.#placed(item, first.at.node, first.key);
            this.#linkAbove(first.at);
            seen.set(item, null);
          }
          this.#placed(item, at.node, k);
          this.#linkAbove(at);
          if (info !== undefined) known?.(item);
        }
        if (walked ? walked.has(item) : twice) return;
        walked?.add(item);
        const old = info !== undefined && info.born < step && !info.detached && !known;
        if (old && !this.#sticky) return;
        if (info) info.detached = undefined;
        if (!twice) seen.set(item, info === undefined ? { at, key: k } : null);
        stack.push({
          node: item,
          up: at,
          key: k,
          linked: info !== undefined,
          depth: at.depth + 1,
          // Below an old node what the watch knows is linked where it is, but not below a
          // node stored or handed out during the step (its own walk may be skipped: met here).
          below: old || (at.below === true && info === undefined),
        });
      });
    }
  }

  /**
   * The arrays the step gave fields in place of other arrays (`this.rows = this.rows.map(…)`),
   * each with the array it replaced: what they kept of it is linked by {@link #inherit}. (A map
   * or set handed out as itself is walked whole after these, which links again what an old
   * array in it holds; a wide node below a kept row keeps its sticky link to the field.)
   */
  #heirs(current: ReadonlyMap<string, unknown>): Map<unknown[], unknown[]> | undefined {
    if (!this.#roots) return undefined;
    let heirs: Map<unknown[], unknown[]> | undefined;
    for (const [field, original] of this.#roots) {
      const now = current.get(field);
      if (now === original || !isPlainArray(now) || !isPlainArray(original)) continue;
      // A new array: one the state held before has links of its own.
      if (this.#nodes?.get(now)?.born === this.#step) (heirs ??= new Map()).set(now, original);
    }
    return heirs;
  }

  /**
   * Walks `heir`, a field's new array in place of `original`, but for the items it kept from
   * it that the watch knew before the step: each has a link to `original`, which moves to its
   * place in `heir` when nothing but the field held `original` (now out of the state), instead
   * of a new link each and the old ones pruned later. Otherwise each gains the link the walk
   * would give it.
   */
  #inherit(
    heir: unknown[],
    original: unknown[],
    seen: Met,
    current: ReadonlyMap<string, unknown>,
  ): void {
    const nodes = this.#nodes;
    // The places of the items kept from `original` (1 by index), and their links to it.
    let kept: Uint8Array | undefined;
    const links: [NodeInfo, Link][] = [];
    if (nodes?.has(original)) {
      for (let k = 0; k < heir.length; k++) {
        const item = heir[k];
        if (typeof item !== "object" || item === null) continue;
        const info = nodes.get(item);
        if (!info || info.born === this.#step || info.detached) continue;
        let from: Link | undefined;
        let twice = false;
        for (const link of linksOf(info)) {
          if (link.parent === heir || (link.parent === original && from)) twice = true;
          else if (link.parent === original) from = link;
        }
        if (!from || twice) continue;
        (kept ??= new Uint8Array(heir.length))[k] = 1;
        links.push([info, from]);
      }
    }
    this.#learn(heir, seen, undefined, kept);
    if (!kept) return;
    // Asked after the walk, which may have put `original` inside `heir`.
    const gone = this.#dropped(original, current);
    let next = 0;
    for (let k = 0; k < kept.length; k++) {
      if (kept[k] !== 1) continue;
      const [info, link] = links[next++] as [NodeInfo, Link];
      // Moved already when an earlier place in `heir` holds the item too (#settleMoved).
      if (gone && link.parent === original) {
        link.parent = heir;
        link.key = k;
        // Its links by parent (made when it has many, perhaps during the walk) are made again.
        info.byParent = undefined;
        // Held elsewhere too, it is at two places now.
        if (linkCount(info) > 1) this.#noteShared(heir[k] as object);
      } else {
        this.#placed(heir[k] as object, heir, k);
      }
    }
  }

  /**
   * Whether `value`, a field's old array, was held only by a top-level field that holds
   * something else now: then it is marked out of the state, so that storing it again walks it
   * down again (its items' links to it are moved).
   */
  #dropped(value: object, current: ReadonlyMap<string, unknown>): boolean {
    const info = this.#nodes?.get(value);
    const link = info && onlyLink(info);
    if (!info || link?.parent !== null || rootHolds(link, current, value)) return false;
    info.detached = true;
    return true;
  }

  /** Links the containers above `at` that are not linked yet, up to the stored value. */
  #linkAbove(at: Visit): void {
    for (let v: Visit | undefined = at; v?.up !== undefined && !v.linked; v = v.up) {
      this.#link(v.node, v.up.node, v.key);
      v.linked = true;
    }
  }

  /** Adds the edits of `node` to `field`'s deltas, at every path `field` reaches it by. */
  #address(
    node: object,
    field: string,
    edits: readonly Edit[],
    current: ReadonlyMap<string, unknown>,
    deltas: FieldDeltas,
  ): void {
    const paths = this.#pathsTo(node, field, current, 0);
    if (paths === undefined || paths.length === 0) {
      deltas.set(field, null);
      return;
    }
    let ops = deltas.get(field);
    if (ops === undefined) deltas.set(field, (ops = []));
    if (ops === null) return;
    const list = isCollection(node);
    // Values are encoded as deep as they sit on the deepest path (a map's entry by its index).
    let deepest: (string | number)[] = [];
    for (const path of paths) {
      if (path.length > deepest.length) {
        deepest = path.map((step) => (typeof step === "object" ? (step[0] ?? 0) : step));
      }
    }
    try {
      for (const e of edits) {
        if (e[0] === "v") {
          const value = encodeStrictly(node, deepest);
          for (const path of paths) {
            const last = path[path.length - 1];
            // The field itself, or a map's or set's entry (no edit sets one): stored whole.
            if (last === undefined || typeof last === "object") {
              deltas.set(field, null);
              return;
            }
            ops.push(["s", path.slice(0, -1), last, value]);
          }
          continue;
        }
        const op =
          e[0] === "s"
            ? encodeStrictly(e[2], [...deepest, e[1]])
            : e[0] === "p"
              ? e[3].map((item, i) => encodeStrictly(item, [...deepest, e[1] + i]))
              : undefined;
        // A map's or set's own edits are of its list of entries.
        for (const at of paths) {
          const path = list ? [...at, ENTRY_LIST] : at;
          if (e[0] === "s") ops.push(["s", path, e[1], op as SnapshotValue]);
          else if (e[0] === "d") ops.push(["d", path, e[1]]);
          else if (e[0] === "l") ops.push(["l", path, e[1]]);
          else ops.push(["p", path, e[1], e[2], op as SnapshotValue[]]);
        }
      }
    } catch (error) {
      // Not serializable: the field is stored whole, where the snapshot reports it.
      if (!(error instanceof TypeError)) throw error;
      deltas.set(field, null);
    }
  }

  /**
   * The paths from `field` down to `node` as the state is now, `undefined` when some are not
   * known (an ambiguous node on the way, a place inside a value handed out as itself, a sticky
   * link, too many).
   */
  #pathsTo(
    node: object,
    field: string,
    current: ReadonlyMap<string, unknown>,
    depth: number,
  ): DeltaPath[] | undefined {
    const info = this.#nodes?.get(node);
    if (!info || info.ambiguous || depth > 64) return undefined;
    const out: DeltaPath[] = [];
    for (const link of linksOf(info)) {
      if (link.parent === null) {
        if (link.key !== field) continue;
        if (current.get(field) === node) {
          if (this.#wasThere(null, field, node)) out.push([]);
        } else if (link.sticky) {
          return undefined;
        }
        continue;
      }
      const parent = link.parent;
      const held = this.#heldAt(parent, link, node);
      if (held === undefined) continue;
      const above = this.#pathsTo(parent, field, current, depth + 1);
      if (above === undefined) return undefined;
      if (above.length === 0) continue;
      // Inside a class instance (linked when tracking started): its encoding is its own.
      const key = isContainer(parent)
        ? this.#entryOf(parent, node)
        : isProxied(parent)
          ? held
          : undefined;
      if (key === undefined) return undefined;
      for (const path of above) out.push([...path, key]);
      if (out.length > MAX_PATHS) return undefined;
    }
    return out;
  }

  /**
   * A path from `field` down to `node` as the state is now, in the steps the encoding's walk
   * names (a map's entry by its key, a set's by its index); `[]` when none is known.
   */
  #placeOf(
    node: object,
    field: string,
    current: ReadonlyMap<string, unknown>,
  ): (string | number)[] {
    const path = this.#pathsTo(node, field, current, 0)?.[0];
    if (!path) return [];
    const steps: (string | number)[] = [];
    let at = current.get(field);
    for (const step of path) {
      if (typeof step !== "object") {
        steps.push(step);
        at = (at as Record<string | number, unknown>)?.[step];
        continue;
      }
      // An entry of a map or set, by its index.
      const index = step[0] as number;
      let i = 0;
      for (const [key, value] of (at as Map<unknown, unknown> | Set<unknown>).entries()) {
        if (i++ !== index) continue;
        steps.push(at instanceof Map && typeof key === "string" ? key : index);
        at = value;
        break;
      }
    }
    return steps;
  }

  /**
   * The path step to `node` inside a plain map or set the step did not write (its entries are
   * as stored, in the same order); `undefined` where no edit can address it: a subclass (its
   * values are changed unlogged), a collection written this step (its own edits are of its
   * list of entries, by their indexes after the step), a map that does not encode as one, or
   * one holding the node twice.
   */
  #entryOf(parent: Map<unknown, unknown> | Set<unknown>, node: object): EntryKey | undefined {
    if (!isCollection(parent) || this.#logs?.get(parent)?.entries) return undefined;
    const places = this.#placesIn(parent);
    if (places) {
      const at = places.keyed ? places.at.get(node) : undefined;
      return at === undefined || at === null ? undefined : [at];
    }
    // Two passes without an entry array each: this runs at every change to a value it holds.
    if (parent instanceof Map)
      for (const key of parent.keys()) if (!encodesKey(parent, key)) return;
    let found: number | undefined;
    let i = 0;
    for (const value of parent.values()) {
      if (value === node) {
        if (found !== undefined) return undefined;
        found = i;
      }
      i++;
    }
    return found === undefined ? undefined : [found];
  }

  /**
   * Where the plain map or set `parent` holds each of its values, listed once per check when
   * it is asked about often (a change to every value of a big map looks each one up: searching
   * each time would be quadratic); `undefined` before that, the few first ones are searched.
   */
  #placesIn(parent: Map<unknown, unknown> | Set<unknown>): Places | undefined {
    const all = (this.#places ??= new Map());
    let places = all.get(parent);
    if (places === undefined || typeof places === "number") {
      const asked = places ?? 0;
      if (asked < SEARCHED) {
        all.set(parent, asked + 1);
        return undefined;
      }
      const at = new Map<unknown, number | null>();
      let keyed = true;
      let i = 0;
      for (const [key, value] of parent.entries()) {
        keyed &&= encodesKey(parent, key);
        at.set(value, at.has(value) ? null : i);
        i++;
      }
      const entries = this.#logs?.get(parent)?.entries;
      places = { at, keyed, before: entries && new Set(entries.map((entry) => entry[1])) };
      all.set(parent, places);
    }
    return places;
  }

  /**
   * Objects stored somewhere new during the step that one container now holds under two keys
   * are ambiguous: a path names one place, an edit must reach both. The fields that reach such
   * a container are stored whole (the node's own edits may have been made before the move).
   */
  #settleMoved(current: ReadonlyMap<string, unknown>, deltas: FieldDeltas): void {
    // Only the containers a node was put in may hold it twice now: one that held it twice
    // before the step was found then (and others still linked to it may be out of the state).
    // Each is read once, for the nodes put in it: a copy of a big array
    // (`this.picked = this.rows.filter(…)`) puts every item in, and a search of it for each
    // would be quadratic; one item put into it (`unshift(row)`) costs a look at each value.
    for (const [into, nodes] of this.#moved ?? []) {
      const met = new Set<unknown>();
      const record = into as Record<string, unknown>;
      for (const value of Array.isArray(into)
        ? into
        : Object.keys(into).map((key) => record[key])) {
        if (!nodes.has(value as object)) continue;
        if (!met.has(value)) {
          met.add(value);
          continue;
        }
        const info = this.#nodes?.get(value as object);
        if (!info) continue;
        this.#noteShared(value as object);
        if (info.ambiguous) continue;
        info.ambiguous = true;
        for (const field of this.#rootsOf(into, current)) deltas.set(field, null);
      }
    }
    this.#moved = undefined;
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

  /**
   * Where `node` sits in `parent` now, at a place it already held when the step began;
   * `undefined` when there is none. A link names one place: an array's item may have moved
   * (the link follows it), or sit at a new place beside its old one (`push` of an item already
   * there), where its changes are the new slot's, not its own. In a map or set it is found by
   * value, wherever it is, if it was there when the step began (its entries are compared as
   * an array's items are).
   */
  #heldAt(parent: object, link: Link, node: object): string | number | undefined {
    const key = link.key;
    if (isContainer(parent)) {
      // Put in during the step: the collection's own comparison judges it.
      const places = isCollection(parent) ? this.#placesIn(parent) : undefined;
      if (places)
        return places.at.has(node) && places.before?.has(node) !== false ? key : undefined;
      if (parent instanceof Set ? !parent.has(node) : !mapHolds(parent, node)) return undefined;
      const before = this.#logs?.get(parent)?.entries;
      return !before || before.some((entry) => entry[1] === node) ? key : undefined;
    }
    // toRaw: a frozen value keeps the proxies it was made with.
    if (toRaw((parent as Record<string | number, unknown>)[key]) === node) {
      // Under a key made non-enumerable it is not in the encoding: no field reaches it there.
      if (!Array.isArray(parent) && !shown(parent, String(key))) return undefined;
      if (this.#wasThere(parent, key, node)) return key;
    }
    if (!Array.isArray(parent)) return undefined;
    for (let i = parent.indexOf(node); i >= 0; i = parent.indexOf(node, i + 1)) {
      if (i !== key && this.#wasThere(parent, i, node)) {
        link.key = i;
        return i;
      }
    }
    return undefined;
  }

  /** The top-level fields that still reach `node`, following links (re-checked as it goes). */
  #rootsOf(node: object, current: ReadonlyMap<string, unknown>): Set<string> {
    const found = new Set<string>();
    this.#climb([node], (link, at) => {
      if (link.parent !== null) return this.#heldAt(link.parent, link, at) !== undefined;
      const field = link.key as string;
      if (rootHolds(link, current, at) && this.#wasThere(null, field, at)) found.add(field);
      return false;
    });
    return found;
  }
}

/**
 * The objects a check's walks have met: `null` once linked where they were met, else the place
 * of the first meeting (a container the watch did not know), to link should they be met again.
 */
type Met = Map<object, { readonly at: Visit; readonly key: string | number } | null>;

/** A container met by {@link Watch}'s walk of a stored value, and how it is reached. */
interface Visit {
  readonly node: object;
  /** The container holding it (`undefined` for the stored value itself). */
  readonly up: Visit | undefined;
  readonly key: string | number;
  /** Linked to `up` (done only when something known lies below it). */
  linked: boolean;
  readonly depth: number;
  /** Is, or is below, a node known before the step (walked only for {@link NodeInfo.wide}). */
  readonly below?: boolean;
}

/**
 * Whether `parent` holds `node` now where `link` says: anywhere in an array (its link follows
 * the item), a map or a set, at the link's key in an object.
 */
function holds(parent: object, link: Link, node: object, held: Held): boolean {
  if (parent instanceof Set) return parent.has(node);
  // An array's link usually names where the item still is.
  if (Array.isArray(parent) && toRaw(parent[link.key as number]) === node) return true;
  if (parent instanceof Map || Array.isArray(parent)) {
    // What a big array or map holds is listed once per pruning, not searched per link.
    let members = held.get(parent);
    if (!members) {
      members = new Set();
      // toRaw: a frozen value keeps the proxies it was made with.
      for (const item of parent instanceof Map ? parent.values() : parent) {
        if (typeof item === "object" && item !== null) members.add(toRaw(item));
      }
      held.set(parent, members);
    }
    return members.has(node);
  }
  const key = String(link.key);
  return toRaw((parent as Record<string, unknown>)[key]) === node && shown(parent, key);
}

/**
 * Whether top-level field `link.key` holds `node` now: as its value, or (a sticky link) maybe
 * below it, unless the field holds no object at all.
 */
function rootHolds(link: Link, current: ReadonlyMap<string, unknown>, node: object): boolean {
  const value = current.get(link.key as string);
  if (value === node) return true;
  return link.sticky === true && typeof value === "object" && value !== null;
}

/** The objects each array or map holds, listed once per pruning. */
type Held = Map<object, Set<object>>;

/** Whether `key` is an own enumerable property of `target`: one its encoding holds. */
function shown(target: object, key: string): boolean {
  return Object.prototype.propertyIsEnumerable.call(target, key);
}

/** Whether `node` is one of `map`'s values. */
function mapHolds(map: Map<unknown, unknown>, node: object): boolean {
  for (const value of map.values()) if (value === node) return true;
  return false;
}

/**
 * The path steps at which `parent` holds `node` now: the link's key where it still holds it
 * there, or, in an array holding it elsewhere or more than once (`all`), each index holding
 * it; each entry of a plain map or set holding it (a search of its values); none inside any
 * other object.
 */
function keysHolding(
  parent: object,
  link: Link,
  node: object,
  all: boolean,
  entries: EntryIndexes,
): (string | number | EntryKey)[] {
  if (isCollection(parent)) {
    let index = entries.get(parent);
    if (!index) {
      // Listed once per call: many shared rows may sit in one large map.
      index = new Map();
      let i = 0;
      for (const value of parent.values()) {
        const at = index.get(value);
        if (at) at.push([i]);
        else index.set(value, [[i]]);
        i++;
      }
      entries.set(parent, index);
    }
    return index.get(node) ?? [];
  }
  if (!isProxied(parent)) return [];
  const record = parent as Record<string | number, unknown>;
  if (!Array.isArray(parent)) {
    const key = String(link.key);
    return toRaw(record[key]) === node && shown(parent, key) ? [key] : [];
  }
  if (!all && toRaw(record[link.key]) === node) return [link.key as number];
  const keys: number[] = [];
  for (let i = parent.indexOf(node); i >= 0; i = parent.indexOf(node, i + 1)) keys.push(i);
  // The link follows the item (as a check's lookups make it), so the next write finds it there.
  if (keys.length === 1) link.key = keys[0]!;
  return keys;
}

/** Where each plain map or set asked about holds each of its values (its entries' indexes). */
type EntryIndexes = Map<object, Map<unknown, EntryKey[]>>;

/** A map encodes as one only with string keys (else as text, with a warning). */
function encodesKey(collection: Map<unknown, unknown> | Set<unknown>, key: unknown): boolean {
  return typeof key === "string" || collection instanceof Set;
}

/** How often one check searches a plain map or set before it lists where it holds its values. */
const SEARCHED = 8;

/** Where a plain map or set holds its values, for one check ({@link Watch}'s `#placesIn`). */
interface Places {
  /** Value → index of its entry, `null` when it is in two. */
  readonly at: Map<unknown, number | null>;
  /** Whether the collection encodes as one: a set, or a map with string keys only. */
  readonly keyed: boolean;
  /** Its values before the step, when it was written during it. */
  readonly before: Set<unknown> | undefined;
}

/** Maps and sets, subclasses included: what they hold is found by value, not by key. */
function isContainer(value: object): value is Map<unknown, unknown> | Set<unknown> {
  return value instanceof Map || value instanceof Set;
}

/**
 * A class instance handed out as itself whose own fields may hold state's objects (a registered
 * type, a `toJSON` class): not a container, and not a value that holds none (a date, a decimal,
 * a typed array, whose own keys are its bytes).
 */
function isInstance(value: object): boolean {
  return (
    !isProxied(value) &&
    !isContainer(value) &&
    !(value instanceof Date) &&
    !Decimal.isDecimal(value) &&
    !ArrayBuffer.isView(value)
  );
}

/**
 * The objects a class instance holds in its own enumerable data properties: not what its
 * getters give (they may throw, or compute), nothing of an object whose keys cannot be read.
 */
function ownObjects(node: object): [string, object][] {
  const out: [string, object][] = [];
  try {
    for (const k of Object.keys(node)) {
      const slot = Object.getOwnPropertyDescriptor(node, k);
      const item: unknown = slot && "value" in slot ? slot.value : undefined;
      if (typeof item === "object" && item !== null) out.push([k, item]);
    }
  } catch {
    // An exotic object (a proxy that throws): nothing of state is found there.
  }
  return out;
}

/** Plain maps and sets, handed out through proxies (a subclass is handed out as itself). */
function isCollection(value: object): value is Map<unknown, unknown> | Set<unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Map.prototype || proto === Set.prototype;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * The methods of a map's and a set's proxy, `this` being the proxy: what they hand out goes
 * through `out(raw, value)`, what they store through `put`; keys they look up are unwrapped.
 */
function collectionMethods(
  out: (raw: object, value: unknown) => unknown,
  put: (value: unknown, into?: object) => unknown,
  logEntries: (raw: Map<unknown, unknown> | Set<unknown>) => void,
): {
  map: Map<string | symbol, Method>;
  set: Map<string | symbol, Method>;
} {
  const mapOf = (self: unknown) => toRaw(self) as Map<unknown, unknown>;
  const setOf = (self: unknown) => toRaw(self) as Set<unknown>;
  const bothOf = (self: unknown) => toRaw(self) as Map<unknown, unknown> | Set<unknown>;
  function* mapValues(raw: Map<unknown, unknown>) {
    for (const value of raw.values()) yield out(raw, value);
  }
  function* mapEntries(raw: Map<unknown, unknown>) {
    for (const [key, value] of raw) yield [key, out(raw, value)];
  }
  function* members(raw: Set<unknown>) {
    for (const value of raw) yield out(raw, value);
  }
  function* memberPairs(raw: Set<unknown>) {
    for (const value of raw) {
      const member = out(raw, value);
      yield [member, member];
    }
  }
  // As the built-in ones: a map's iterator is its `entries`, a set's `keys` its `values`.
  const mapEntriesOf: Method = function () {
    return mapEntries(mapOf(this));
  };
  const membersOf: Method = function () {
    return members(setOf(this));
  };
  // A map's key and a set's member are looked up alike.
  const both: [string, Method][] = [
    [
      "has",
      function (key) {
        return bothOf(this).has(toRaw(key));
      },
    ],
    [
      "delete",
      function (key) {
        const raw = bothOf(this);
        if (raw.has(toRaw(key))) logEntries(raw);
        return raw.delete(toRaw(key));
      },
    ],
    [
      "clear",
      function () {
        const raw = bothOf(this);
        logEntries(raw);
        raw.clear();
      },
    ],
  ];
  const map = new Map<string | symbol, Method>([
    ...both,
    [
      "get",
      function (key) {
        const raw = mapOf(this);
        return out(raw, raw.get(toRaw(key)));
      },
    ],
    [
      "set",
      function (key, value) {
        const raw = mapOf(this);
        logEntries(raw);
        raw.set(put(key), put(value, raw));
        return this;
      },
    ],
    [
      "forEach",
      function (callback, thisArg) {
        const raw = mapOf(this);
        raw.forEach((value, key) => {
          (callback as Method).call(thisArg, out(raw, value), key, this);
        });
      },
    ],
    [
      "values",
      function () {
        return mapValues(mapOf(this));
      },
    ],
    [
      "keys",
      function () {
        // Keys are not handed out: reading them is no write.
        return mapOf(this).keys();
      },
    ],
    ["entries", mapEntriesOf],
    [Symbol.iterator, mapEntriesOf],
  ]);
  const set = new Map<string | symbol, Method>([
    ...both,
    [
      "add",
      function (value) {
        const raw = setOf(this);
        logEntries(raw);
        raw.add(put(value, raw));
        return this;
      },
    ],
    [
      "forEach",
      function (callback, thisArg) {
        const raw = setOf(this);
        raw.forEach((value) => {
          const member = out(raw, value);
          (callback as Method).call(thisArg, member, member, this);
        });
      },
    ],
    ["values", membersOf],
    ["keys", membersOf],
    [
      "entries",
      function () {
        return memberPairs(setOf(this));
      },
    ],
    [Symbol.iterator, membersOf],
  ]);
  return { map, set };
}

/**
 * Calls `visit` with each object `node` holds (an array, plain object, map or set) and its
 * key (`0` in a map or set: links there are found by value). A state proxy found there is
 * replaced by its raw object first (where the node is not frozen); whether one was met is returned.
 */
function forEachChild(node: object, visit: (item: object, key: string | number) => void): boolean {
  let met = false;
  if (node instanceof Map) {
    for (const key of node.keys()) {
      if (!isStateProxy(key)) continue;
      // A proxy as a key (a map made from values read from state): the map is made again in
      // its order, with raw keys.
      met = true;
      const entries = [...node];
      node.clear();
      for (const [k, item] of entries) node.set(toRaw(k), item);
      break;
    }
    for (const [k, item] of node) {
      if (typeof item !== "object" || item === null) continue;
      const raw = toRaw(item);
      if (raw !== item) {
        node.set(k, raw);
        met = true;
      }
      visit(raw, 0);
    }
  } else if (node instanceof Set) {
    const members = [...node];
    if (members.some(isStateProxy)) {
      met = true;
      // In their order: a set's encoding lists its members as they were added.
      node.clear();
      for (const member of members) node.add(toRaw(member));
    }
    for (const item of node) if (typeof item === "object" && item !== null) visit(item, 0);
  } else if (isProxied(node)) {
    const record = node as Record<string | number, unknown>;
    for (const k of Array.isArray(node) ? node.keys() : Object.keys(record)) {
      const item = record[k];
      if (typeof item !== "object" || item === null) continue;
      const raw = toRaw(item);
      // Reflect.set: a frozen value keeps what it holds instead of throwing.
      if (raw !== item) {
        Reflect.set(record, k, raw);
        met = true;
      }
      visit(raw, k);
    }
  }
  return met;
}

/** At an array's index: how many items it removes, and the items it puts in. */
type Splice = readonly ["p", number, number, unknown[]];

/**
 * A value a step put in a node, and where the node's encoding has it: an array's index, an
 * object's or a map's key, a set's index; `undefined` for a map's key itself, or the node.
 */
type Fresh = readonly [place: string | number | undefined, value: unknown];

/** The values `splices` put in, at their indexes. */
function splicedIn(splices: readonly Splice[]): Fresh[] {
  const fresh: Fresh[] = [];
  for (const [, at, , items] of splices) {
    items.forEach((item, i) => {
      if (item !== ABSENT) fresh.push([at + i, item]);
    });
  }
  return fresh;
}

/**
 * An edit of one node, before it is addressed by path: set or delete a key, set an array's
 * length, splice an array, or (`"v"`) the node itself replaced (a value handed out as itself).
 */
type Edit =
  | readonly ["s", string | number, unknown]
  | readonly ["d", string | number]
  | readonly ["l", number]
  | Splice
  | readonly ["v"];

/**
 * A step's edits of one field in the order they apply: a container's length and splices
 * first, then the keys inside it, then what is deeper; an edit inside a value an earlier edit
 * wrote whole is dropped (that value is already the current one, and a splice is not
 * idempotent).
 */
function ordered(ops: DeltaOp[]): DeltaOp[] {
  ops.sort((a, b) => rank(a) - rank(b));
  const written = new Set<string>();
  const spliced = new Map<string, [number, number][]>();
  const out: DeltaOp[] = [];
  for (const op of ops) {
    const path = op[1];
    let at = "";
    let covered = false;
    for (let i = 0; i < path.length && !covered; i++) {
      const key = path[i];
      const ranges = spliced.get(at);
      if (typeof key === "number" && ranges?.some(([from, to]) => key >= from && key < to)) {
        covered = true;
      }
      at += JSON.stringify(key) + ",";
      if (written.has(at)) covered = true;
    }
    if (covered) continue;
    out.push(op);
    if (op[0] === "s") written.add(at + JSON.stringify(op[2]) + ",");
    else if (op[0] === "p") {
      const ranges = spliced.get(at) ?? [];
      ranges.push([op[2], op[2] + op[4].length]);
      spliced.set(at, ranges);
    }
  }
  return out;
}

function rank(op: DeltaOp): number {
  return op[1].length * 2 + (op[0] === "s" || op[0] === "d" ? 1 : 0);
}

/** Whether the keys both `keys` and `original` hold are in the same order in both. */
function keptOrder(keys: readonly string[], original: ReadonlyMap<string, unknown>): boolean {
  const now = new Set(keys);
  let i = 0;
  for (const key of original.keys()) {
    if (!now.has(key)) continue;
    while (i < keys.length && !original.has(keys[i] as string)) i++;
    if (keys[i++] !== key) return false;
  }
  return true;
}

/**
 * Snapshot encoding for an edit, of a value at `path` in its field (as deep as it sits there);
 * a non-serializable value throws (`TypeError`).
 */
function encodeStrictly(value: unknown, path: readonly (string | number)[] = []): SnapshotValue {
  return toSnapshotAt(value, "", path, strictSilent);
}

const strictSilent: SerializationPolicy = { ...silentPolicy, strict: true };

function arrayKey(target: object, key: string): string | number {
  return slotKey(Array.isArray(target), key);
}

/** `key` of a slot of an array (`isArray`) or object: an array index as a number. */
function slotKey(isArray: boolean, key: string): string | number {
  return isArray && isIndex(key) ? Number(key) : key;
}

/** What a step's writes reach: the containers above them, and the fields. */
interface Reached {
  readonly nodes: ReadonlySet<object>;
  readonly fields: ReadonlySet<string>;
}

/** An array that is not an instance of a subclass (which may encode otherwise). */
function isPlainArray(value: unknown): value is unknown[] {
  return Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype;
}

/** What an array holds at `i`, {@link ABSENT} for a hole. */
function slotOf(arr: readonly unknown[], i: number): unknown {
  return Object.hasOwn(arr, i) ? arr[i] : ABSENT;
}

/**
 * The splices that turn `copy` into `arr`, its items lined up by identity, in order (each at
 * its place in `arr`, after the splices before it), and the values they put in. Past
 * {@link MAX_SPLICES}, one splice covers the rest up to what both end with.
 */
function splicesBetween(
  arr: readonly unknown[],
  copy: readonly unknown[],
): { splices: Splice[]; added: unknown[] } {
  const splices: Splice[] = [];
  const added: unknown[] = [];
  const splice = (at: number, removed: number, items: unknown[]) => {
    for (const value of items) if (value !== ABSENT) added.push(value);
    splices.push(["p", at, removed, items]);
  };
  let i = 0;
  let j = 0;
  while (i < arr.length || j < copy.length) {
    if (i < arr.length && j < copy.length && slotOf(arr, i) === slotOf(copy, j)) {
      i++;
      j++;
      continue;
    }
    const met = splices.length < MAX_SPLICES ? meetAgain(arr, i, copy, j) : undefined;
    if (!met) {
      let end = 0;
      while (
        end < Math.min(arr.length - i, copy.length - j) &&
        slotOf(arr, arr.length - 1 - end) === slotOf(copy, copy.length - 1 - end)
      ) {
        end++;
      }
      splice(i, copy.length - j - end, arr.slice(i, arr.length - end));
      break;
    }
    splice(i, met.removed, arr.slice(i, i + met.added));
    i += met.added;
    j += met.removed;
  }
  return { splices, added };
}

/** Most splices an array's bulk changes are told as before the rest goes in one. */
const MAX_SPLICES = 16;
/** How far ahead {@link meetAgain} looks in each array. */
const LOOK_AHEAD = 16;

/**
 * Where `arr` from `i` and `copy` from `j` hold the same item again, closest first: how many
 * items `arr` added and `copy` lost before it (`undefined` when not within
 * {@link LOOK_AHEAD}). At the end of one, the rest of the other.
 */
function meetAgain(
  arr: readonly unknown[],
  i: number,
  copy: readonly unknown[],
  j: number,
): { added: number; removed: number } | undefined {
  if (i === arr.length) return { added: 0, removed: copy.length - j };
  if (j === copy.length) return { added: arr.length - i, removed: 0 };
  for (let distance = 1; distance < 2 * LOOK_AHEAD; distance++) {
    for (
      let added = Math.max(0, distance - LOOK_AHEAD + 1);
      added <= Math.min(distance, LOOK_AHEAD - 1);
      added++
    ) {
      const removed = distance - added;
      if (i + added >= arr.length || j + removed >= copy.length) continue;
      if (slotOf(arr, i + added) === slotOf(copy, j + removed)) return { added, removed };
    }
  }
  return undefined;
}

/** A slot a proxy must read as what it holds: neither writable nor configurable. */
function isFrozenSlot(slot: PropertyDescriptor): boolean {
  return slot.writable === false && slot.configurable === false;
}

/** Whether `key` is a number as `String` writes it: digits, no leading zero (every read of a row). */
function isIndex(key: string): boolean {
  const length = key.length;
  if (length === 0 || (length > 1 && key.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < length; i++) {
    const digit = key.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return false;
  }
  return true;
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

/**
 * The edits that turn the list of entries `before` of a map or set (a set's as `[member,
 * member]`) into its list now, as an array's splices and sets (a map's items being `[key,
 * value]` pairs, a set's its members), with the keys and values they put in (`fresh`); or
 * `undefined` when the collection is better stored whole: it does not encode as a map (a key
 * that is not a string), or most of it was written.
 *
 * Entries are matched by key in order: one the handler deleted is spliced out, a value set
 * again at a key it holds is set at the entry's index, and what was added since (a map and a
 * set keep insertion order: new keys come last) is spliced in at the end. An entry deleted and
 * added again moved to the end, as it did in the collection. `same(now, was)` says whether a
 * value encodes as it did.
 */
function entryEdits(
  node: Map<unknown, unknown> | Set<unknown>,
  before: readonly (readonly [unknown, unknown])[],
  same: (now: unknown, was: unknown) => boolean,
): { edits: Edit[]; fresh: Fresh[] } | undefined {
  const isMap = node instanceof Map;
  // A map with a key that is not a string was not stored as a map (or is not one now).
  if (isMap && before.some((entry) => typeof entry[0] !== "string")) return undefined;
  // Entries written past half of them weigh about as much as the whole collection; each run
  // of deleted entries is a splice that costs a pass over the list when the record is read,
  // so there are only a few of them.
  const budget = Math.max(MIN_ENTRY_EDITS, node.size >> 1);
  let runs = 0;
  const fresh: Fresh[] = [];
  // Where the encoding has it: a map's value at its key, a set's member at its index (`n`,
  // counted from the loop's first entry).
  let n = -1;
  const item = (key: unknown, value: unknown) => {
    if (isMap) fresh.push([undefined, key], [key as string, value]);
    else fresh.push([n, value]);
    return isMap ? [key, value] : key;
  };
  const splices: Edit[] = [];
  const sets: Edit[] = [];
  let touched = 0;
  const added: unknown[] = [];
  // The list so far holds the collection's first `at` entries, then `before` from `i` on.
  let i = 0;
  let at = 0;
  for (const [key, value] of node.entries()) {
    if (isMap && typeof key !== "string") return undefined;
    n++;
    if (added.length === 0) {
      let j = i;
      while (j < before.length && !sameKey((before[j] as readonly [unknown, unknown])[0], key)) {
        j++;
      }
      if (j < before.length) {
        if (j > i) {
          splices.push(["p", at, j - i, []]);
          if (++runs > MAX_DELETED_RUNS) return undefined;
        }
        if (!same(value, (before[j] as readonly [unknown, unknown])[1])) {
          sets.push(["s", at, item(key, value)]);
          if (++touched > budget) return undefined;
        }
        i = j + 1;
        at++;
        continue;
      }
    }
    // Not held before (from here on, the collection's entries are new or added again).
    if (++touched > budget) return undefined;
    added.push(item(key, value));
  }
  // The rest of `before` is gone.
  if (i < before.length) splices.push(["p", at, before.length - i, []]);
  if (added.length > 0) splices.push(["p", at, 0, added]);
  // Splices first, then the sets, at their indexes after the splices (as `ordered` sorts them).
  return { edits: [...splices, ...sets], fresh };
}

/** Whether two keys of a map (members of a set) are the same key (SameValueZero). */
function sameKey(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

/** Entries a small map or set may have written before it is stored whole instead. */
const MIN_ENTRY_EDITS = 8;

/** Runs of deleted entries one step's edits of a map or set may take out. */
const MAX_DELETED_RUNS = 16;

/** The path step to a map's or set's list of entries. */
const ENTRY_LIST: EntryList = Object.freeze([]) as EntryList;

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
        for (const link of linksOf(this.nodes?.get(at))) {
          if (link.parent !== null) stack.push(link.parent);
        }
      }
      this.#affected = affected;
    }
    return this.#affected.has(node);
  }

  /**
   * {@link nodeChanges} of an array changed by bulk operations (`shift`, `splice`, `sort`…),
   * against its copy from before the first. It changed when a place holds a value that is not
   * the same as before, or the length differs. Its edits and new values come from lining the
   * items up by identity: `shift()` and `push(row)` in one step are two splices of one item
   * each, not every item again (which the snapshot would store, and the check would encode).
   */
  #copyChanges(arr: unknown[], copy: unknown[], edits?: Edit[]): Fresh[] | undefined {
    const shorter = Math.min(arr.length, copy.length);
    let differs = arr.length !== copy.length;
    let moved = differs;
    for (let i = 0; i < shorter && !differs; i++) {
      const now = slotOf(arr, i);
      const was = slotOf(copy, i);
      if (now === was) continue;
      moved = true;
      if (!this.same(now, was)) differs = true;
    }
    // Items moved to places that encode as they did (two equal rows swapped): no change, but
    // with edits the splices still go first, so that an edit inside a moved item (if one makes
    // the field change) lands on it.
    if (!moved) return undefined;
    const { splices } = splicesBetween(arr, copy);
    edits?.push(...splices);
    return differs ? splicedIn(splices) : undefined;
  }

  /**
   * The new values in `node` when it differs from what it was before the step, `undefined`
   * when it does not. Deeper changes are the business of the deeper nodes' own logs. With
   * `edits`, also the edits that turn the node as it was into the node as it is.
   */
  nodeChanges(node: object, log: NodeLog, edits?: Edit[]): Fresh[] | undefined {
    if (log.encoded) {
      if (matchesSnapshot(node, log.encoded.snapshot)) return undefined;
      edits?.push(["v"]);
      return [[undefined, node]];
    }
    if (log.entries) return this.#entryChanges(node as Map<unknown, unknown>, log.entries, edits);
    if (log.copy) return this.#copyChanges(node as unknown[], log.copy, edits);
    const fresh: Fresh[] = [];
    let changed = false;
    const record = (key: string | number, value: unknown) => {
      changed = true;
      if (value !== ABSENT) fresh.push([key, value]);
    };
    const live = node as Record<string, unknown>;
    const isArray = Array.isArray(node);
    const length = isArray ? (node as unknown[]).length : 0;
    if (log.length !== undefined && length !== log.length) {
      changed = true;
      edits?.push(["l", length]);
    }
    for (const [key, was] of log.slots ?? []) {
      const now = shown(live, key) ? live[key] : ABSENT;
      const k = slotKey(isArray, key);
      if (now === was) {
        if (typeof now === "number" && !Number.isFinite(now)) {
          record(k, now);
          // Not serializable: the field is stored whole, where the snapshot reports it.
          edits?.push(["v"]);
        }
        continue;
      }
      if (this.same(now, was)) continue;
      record(k, now);
      if (!edits) continue;
      // Past the end of an array the length edit has it already; other keys of an array are
      // not encoded.
      if (isArray && (typeof k !== "number" || k >= length)) continue;
      edits.push(now === ABSENT ? ["d", k] : ["s", k, now]);
    }
    if (log.keys && !keptOrder(Object.keys(node), this.#originalObject(node))) {
      // A key deleted and set again moved to the end of the encoding, which no keyed edit does.
      changed = true;
      edits?.push(["v"]);
    }
    return changed ? fresh : undefined;
  }

  /**
   * The new keys and values of a map or set whose entries were `before`, as an array's: an
   * entry holding the same objects is no change of the collection (a change inside one is
   * that object's). With `edits`, the edits of its list of entries ({@link entryEdits}), or
   * `["v"]` (stored whole).
   */
  #entryChanges(
    node: Map<unknown, unknown> | Set<unknown>,
    before: readonly (readonly [unknown, unknown])[],
    edits?: Edit[],
  ): Fresh[] | undefined {
    const same = (now: unknown, was: unknown) => now === was || this.same(now, was);
    const keyed = edits && entryEdits(node, before, same);
    if (keyed?.edits.length === 0) return undefined;
    // Edited, it may still encode as it did (a last key deleted and set again): compared with
    // what it held before the step (its logged entries), up to the first that differs.
    if (this.same(node, node)) return undefined;
    if (keyed) {
      edits?.push(...keyed.edits);
      return keyed.fresh;
    }
    const fresh: Fresh[] = [];
    let i = 0;
    for (const [key, value] of node.entries()) {
      const was = before[i++];
      if (was && same(key, was[0]) && same(value, was[1])) continue;
      if (node instanceof Map) {
        fresh.push([undefined, key], [typeof key === "string" ? key : undefined, value]);
      } else {
        fresh.push([i - 1, value]);
      }
    }
    edits?.push(["v"]);
    return fresh;
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
    if (isCollection(was)) {
      // Its entries before the step: those logged at its first write, or those it holds.
      if (!isCollection(now) || now instanceof Map !== was instanceof Map) return false;
      const before = this.logs?.get(was)?.entries ?? [...was.entries()];
      if (now.size !== before.length) return false;
      let i = 0;
      for (const [key, value] of now.entries()) {
        const entry = before[i++] as readonly [unknown, unknown];
        if (!this.same(key, entry[0], depth + 1) || !this.same(value, entry[1], depth + 1)) {
          return false;
        }
      }
      return true;
    }
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
      // A hole encodes otherwise than `undefined` (which a spread makes of one).
      for (let i = 0; i < now.length; i++) {
        if (!this.same(slotOf(now, i), slotOf(orig, i), depth + 1)) return false;
      }
      return true;
    }
    if (Array.isArray(now) || !isProxied(now)) return false;
    const orig = this.#originalObject(was);
    const keys = Object.keys(now);
    if (keys.length !== orig.size) return false;
    // In order: the encoding lists an object's keys as it holds them.
    let i = 0;
    for (const [key, before] of orig) {
      if (keys[i++] !== key) return false;
      if (!this.same((now as Record<string, unknown>)[key], before, depth + 1)) return false;
    }
    return true;
  }

  /** `obj`'s keys and values as they were before the step, in their order then. */
  #originalObject(obj: object): Map<string, unknown> {
    const log = this.logs?.get(obj);
    const slots = log?.slots;
    const out = new Map<string, unknown>();
    for (const key of log?.keys ?? Object.keys(obj)) {
      const was = slots?.has(key) ? slots.get(key) : (obj as Record<string, unknown>)[key];
      if (was !== ABSENT) out.set(key, was);
    }
    for (const [key, was] of slots ?? []) if (was !== ABSENT && !out.has(key)) out.set(key, was);
    return out;
  }
}

/** One link to make: `node` sits at `parent[key]` (`parent` `null`: top-level field `key`). */
export type SharedLink = readonly [node: object, parent: object | null, key: string | number];

/** What {@link findSharedNodes} found. */
export interface SharedNodes {
  /** The places of objects found at a few places, and the containers above them. */
  readonly links: SharedLink[];
  /**
   * Objects found at more than {@link TIED_PLACES} places (a lookup object every row holds),
   * and the fields that reach them: linking every place and every row above it would cost
   * memory for each row, so they get sticky links to those fields instead.
   */
  readonly wide: Map<object, Set<string>>;
  /** Objects one field reaches at more than one place (edits cannot address them by path). */
  readonly repeated: Set<object>;
}

/** An object {@link findSharedNodes}' walk met more than once. */
interface MetAgain {
  /** Its places after the first (up to {@link TIED_PLACES}). */
  readonly places: [object | null, string | number][];
  /** The fields whose walks met it. */
  readonly fields: Set<string>;
  /** The containers (or fields) of all its places after the first. */
  readonly parents: (object | string)[];
}

/** Most places at which an object shared when tracking starts is linked one by one. */
const TIED_PLACES = 16;

/**
 * Finds the objects the state reaches along more than one path, from two top-level fields
 * (`this.selected = this.rows[3]` done in `mount`) or twice from one, with the links that tie
 * each of their places to its field: the object at each place, and every container above it
 * up to the field. Links are otherwise made as objects are handed out, along the path a
 * handler took; an object reached along a second path would not know the containers of that
 * one, and a change to it would miss a field that comes to reach it through them
 * (`this.c = [this.a]`). Also collects the objects one field reaches more than once.
 */
export function findSharedNodes(
  fields: readonly string[],
  values: readonly unknown[],
): SharedNodes {
  const repeated = new Set<object>();
  // Where each object was first met: its container, or its field (one map entry per object:
  // the walk meets every object of the state, and most states share none).
  const first = new Map<object, object | string>();
  const again = new Map<object, MetAgain>();
  const fieldOf = (node: object): string => {
    let above = first.get(node) as object | string;
    while (typeof above !== "string") above = first.get(above) as object | string;
    return above;
  };
  eachPlace(fields, values, (node, parent, key, field) => {
    if (!first.has(node)) {
      first.set(node, parent ?? field);
      return true;
    }
    let met = again.get(node);
    if (!met) {
      met = { places: [], fields: new Set([fieldOf(node)]), parents: [] };
      again.set(node, met);
    }
    if (met.fields.has(field)) repeated.add(node);
    met.fields.add(field);
    met.parents.push(parent ?? field);
    if (met.places.length < TIED_PLACES) met.places.push([parent, key]);
    return false;
  });
  const links: SharedLink[] = [];
  const wide = new Map<object, Set<string>>();
  const firstKeys = new FirstKeys();
  // Containers linked at their first place, with those above it.
  const tied = new Set<object>();
  const tie = (node: object): void => {
    for (let up: object | null = node; up !== null && !tied.has(up);) {
      tied.add(up);
      const above = first.get(up) as object | string;
      if (typeof above === "string") {
        links.push([up, null, above]);
        return;
      }
      links.push([up, above, firstKeys.keyOf(above, up)]);
      up = above;
    }
  };
  // The fields reaching a node along any path: a walk does not go below an object met again,
  // so a field reaching a wide node only through a shared container above it did not meet it.
  // Containers at one place are climbed through; objects met again keep their answer.
  const reach = new Map<object, Set<string>>();
  const addReaching = (node: object, out: Set<string>): void => {
    let at: object | string = node;
    while (typeof at !== "string" && !again.has(at)) at = first.get(at) as object | string;
    if (typeof at === "string") {
      out.add(at);
      return;
    }
    let fields = reach.get(at);
    if (!fields) {
      // Set before the climb: a cycle in the state ends here.
      reach.set(at, (fields = new Set()));
      const met = again.get(at) as MetAgain;
      for (const up of [first.get(at) as object | string, ...met.parents]) {
        if (typeof up === "string") fields.add(up);
        else addReaching(up, fields);
      }
    }
    for (const field of fields) out.add(field);
  };
  for (const [node, met] of again) {
    if (met.places.length >= TIED_PLACES) {
      const fields = new Set<string>();
      addReaching(node, fields);
      wide.set(node, fields);
      continue;
    }
    tie(node);
    for (const [parent, key] of met.places) {
      links.push([node, parent, key]);
      if (parent !== null) tie(parent);
    }
  }
  return { links, wide, repeated };
}

/**
 * The key under which a container holds an object it was first met in: the first one in the
 * walk's order. An array asked about often is indexed once ({@link SEARCHED} searches first):
 * searching it for each of many shared items would be quadratic.
 */
class FirstKeys {
  #indexes = new Map<object, Map<unknown, string | number> | number>();

  keyOf(parent: object, node: object): string | number {
    if (parent instanceof Map || parent instanceof Set) return 0;
    const index = this.#indexes.get(parent) ?? 0;
    if (typeof index !== "number") return index.get(node) as string | number;
    const record = parent as Record<string | number, unknown>;
    if (index < SEARCHED) {
      this.#indexes.set(parent, index + 1);
      if (Array.isArray(parent)) return parent.indexOf(node);
      return Object.keys(record).find((k) => record[k] === node) as string;
    }
    // An object with many shared values (a `byId` index of rows) is indexed too.
    const made = new Map<unknown, string | number>();
    const keys: (string | number)[] = Array.isArray(parent)
      ? Array.from(parent.keys())
      : Object.keys(record);
    for (let i = keys.length - 1; i >= 0; i--) made.set(record[keys[i]!], keys[i]!);
    this.#indexes.set(parent, made);
    return made.get(node) as string | number;
  }
}

/**
 * Walks the objects `values` (the fields') reach, depth first, in the encoding's order:
 * `visit(node, parent, key, field)` at each place (`parent` `null` and `key` the field
 * for a field's value); the walk goes below the node when it returns `true`. Maps and sets
 * are places of key `0` (their values are found by value), a class instance's own fields are
 * walked as an object's (they may hold state's objects too).
 */
function eachPlace(
  fields: readonly string[],
  values: readonly unknown[],
  visit: (node: object, parent: object | null, key: string | number, field: string) => boolean,
): void {
  const walk = (
    value: unknown,
    parent: object | null,
    key: string | number,
    field: string,
    depth: number,
  ): void => {
    if (typeof value !== "object" || value === null || depth > 64) return;
    if (!visit(value, parent, key, field)) return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) walk(value[i], value, i, field, depth + 1);
    } else if (value instanceof Map || value instanceof Set) {
      for (const item of value.values()) walk(item, value, 0, field, depth + 1);
    } else if (isProxied(value)) {
      for (const k of Object.keys(value)) {
        walk((value as Record<string, unknown>)[k], value, k, field, depth + 1);
      }
    } else if (isInstance(value)) {
      // A proxy stays where a class instance holds it: its object is what is shared.
      for (const [k, item] of ownObjects(value)) walk(toRaw(item), value, k, field, depth + 1);
    }
  };
  fields.forEach((field, i) => walk(values[i], null, field, field, 0));
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
