/**
 * Random nested state and random in-place mutations of it, for the property tests of change
 * detection (test/state/watch.test.ts) and of snapshot deltas (test/state/delta.test.ts).
 */
import fc from "fast-check";
import { LiveView } from "../../src/index.js";

export const leaf = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom("a", "b"),
  fc.boolean(),
);
export const tree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom("p", "q", "r"), tie("node"), { maxKeys: 3 }),
  ),
})).node;

export const mutation = fc.record({
  field: fc.constantFrom("a", "b", "c"),
  steps: fc.array(fc.nat(5), { maxLength: 4 }),
  op: fc.constantFrom("set", "push", "pop", "delete", "splice", "reverse", "alias", "same"),
  value: tree,
});

/** A place in state: a key of an array, an object or a map. */
interface Place {
  parent: object;
  key: string | number;
}

/**
 * Follows `steps` (indices into each container's keys) from the field's value, into the
 * values of maps too (a handler changes what it reads from a map in place as well).
 */
function walk(root: unknown, steps: number[]): Place | null {
  let at: unknown = root;
  let last: Place | null = null;
  for (const step of steps) {
    if (typeof at !== "object" || at === null) break;
    const keys =
      at instanceof Map
        ? [...(at as Map<string, unknown>).keys()]
        : Array.isArray(at)
          ? at.map((_, i) => i)
          : Object.keys(at);
    if (keys.length === 0) break;
    const key = keys[step % keys.length] as string | number;
    last = { parent: at, key };
    at = read(last);
  }
  return last;
}

function read(at: Place): unknown {
  const parent = at.parent;
  return parent instanceof Map ? parent.get(at.key) : (parent as Record<string, unknown>)[at.key];
}

function place(at: Place, value: unknown): void {
  const parent = at.parent;
  if (parent instanceof Map) parent.set(at.key, value);
  else (parent as Record<string | number, unknown>)[at.key] = value;
}

/** Removes the key `at` names (not from an array, which `pop` and `splice` shorten). */
function remove(at: Place): void {
  const parent = at.parent;
  if (parent instanceof Map) parent.delete(at.key);
  else if (!Array.isArray(parent)) delete (parent as Record<string | number, unknown>)[at.key];
}

export interface Mutation {
  field: string;
  steps: number[];
  op: string;
  value: unknown;
}

export function applyMutation(view: Record<string, unknown>, m: Mutation): void {
  const root = view[m.field];
  const at = walk(root, m.steps);
  const target = at ? read(at) : root;
  const value = structuredClone(m.value);
  switch (m.op) {
    case "set":
      if (at) place(at, value);
      else view[m.field] = value;
      break;
    case "same":
      if (at) place(at, target);
      else view[m.field] = structuredClone(root);
      break;
    case "push":
      if (Array.isArray(target)) target.push(value);
      break;
    case "pop":
      if (Array.isArray(target)) target.pop();
      break;
    case "splice":
      if (Array.isArray(target)) target.splice(0, 1, value, value);
      break;
    case "reverse":
      if (Array.isArray(target)) target.reverse();
      break;
    case "delete":
      if (at) remove(at);
      break;
    case "alias": {
      const other = view[m.field === "a" ? "b" : "a"];
      if (typeof other === "object" && other !== null && at && !reaches(other, at.parent)) {
        place(at, other);
      }
      break;
    }
  }
}

/** Whether `target` is `value` or inside it (an alias there would make a cycle). */
function reaches(value: unknown, target: unknown, depth = 0): boolean {
  if (value === target) return true;
  if (typeof value !== "object" || value === null || depth > 20) return false;
  const values =
    value instanceof Map ? [...(value as Map<string, unknown>).values()] : Object.values(value);
  return values.some((v) => reaches(v, target, depth + 1));
}

/**
 * Leaves and keys beyond the basic ones: dates, maps, sets, and a key the encoding tags
 * (`$type`).
 */
export const richTree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.date({ min: new Date(0), max: new Date(2e12), noInvalidDate: true }),
    fc
      .array(tie("node"), { maxLength: 4 })
      .map((items) => new Map(items.map((v, i) => [`k${i}`, v]))),
    fc.array(tie("node"), { maxLength: 4 }).map((items) => new Set(items)),
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom("p", "q", "$type", "value"), tie("node"), { maxKeys: 3 }),
  ),
})).node;

/** Mutations of {@link richTree} state, including ones that put one object at two places. */
export const richMutation = fc.record({
  field: fc.constantFrom("a", "b", "c"),
  steps: fc.array(fc.nat(5), { maxLength: 4 }),
  op: fc.constantFrom(
    "set",
    "push",
    "pop",
    "delete",
    "splice",
    "reverse",
    "alias",
    "same",
    "date",
    "mapset",
    "mapmove",
    "setadd",
    "setdelete",
    "dupe",
    "bounce",
    "copy",
    "fill",
    "unshift",
    "shift",
    "sort",
    "rederive",
  ),
  value: richTree,
});

/** Applies the mutations only {@link richMutation} makes, then the basic ones. */
export function applyRichMutation(view: Record<string, unknown>, m: Mutation): void {
  const at = walk(view[m.field], m.steps);
  const target = at ? read(at) : view[m.field];
  const value = structuredClone(m.value);
  switch (m.op) {
    case "date":
      if (target instanceof Date) target.setTime(target.getTime() + 86_400_000);
      return;
    case "mapset":
      if (target instanceof Map) target.set("k", value);
      return;
    case "mapmove": {
      // Deleted and set again: the key moves to the end of the map.
      if (!(target instanceof Map) || target.size === 0) return;
      const [key, moved] = target.entries().next().value as [string, unknown];
      target.delete(key);
      target.set(key, moved);
      return;
    }
    case "setadd":
      if (target instanceof Set) target.add(value);
      return;
    case "setdelete":
      if (target instanceof Set && target.size > 0) target.delete(target.values().next().value);
      return;
    case "dupe":
      // The same object at a second place of the same container.
      if (at && typeof target === "object" && target !== null) {
        if (Array.isArray(at.parent)) at.parent.push(target);
        else place({ parent: at.parent, key: "q" }, target);
      }
      return;
    case "bounce": {
      // The same object at a second place of its container and gone from there again, then
      // changed through the reference held all along: its first place must still be watched.
      if (!at || typeof target !== "object" || target === null) return;
      const parent = at.parent;
      if (Array.isArray(parent)) {
        parent.push(target);
        parent.pop();
      } else {
        place({ parent, key: "r" }, target);
        remove({ parent, key: "r" });
      }
      if (Array.isArray(target)) target.push(value);
      else if (target instanceof Map) target.set("k", value);
      else if (target instanceof Date) target.setTime(target.getTime() + 1);
      else (target as Record<string, unknown>).p = value;
      return;
    }
    case "copy": {
      // A shallow copy made through state (what `filter`, `slice` or a spread hand back holds
      // the objects read from state) stored in another field: both fields now share them.
      const other = m.field === "a" ? "b" : "a";
      if (Array.isArray(target)) view[other] = target.filter(() => true);
      else if (isPlain(target)) view[other] = { ...target };
      return;
    }
    case "fill":
      if (Array.isArray(target) && target.length > 0) target.fill(value);
      return;
    case "unshift":
      if (Array.isArray(target)) target.unshift(value);
      return;
    case "shift":
      if (Array.isArray(target)) target.shift();
      return;
    case "sort":
      if (Array.isArray(target)) target.sort((x, y) => sortKey(x).localeCompare(sortKey(y)));
      return;
    case "rederive": {
      // The field's array replaced by one made from it, holding mostly the same objects
      // (`[...rows, row]`, `filter`, `map` that keeps rows, a reversed copy).
      const list = view[m.field];
      if (!Array.isArray(list)) return;
      const variants = [
        () => [...list, value],
        () => list.filter((_, i) => i !== m.steps.length),
        () => list.map((item, i) => (i === m.steps.length ? value : item)),
        () => [value, ...list.slice(1)],
        () => list.slice().reverse(),
      ];
      view[m.field] = variants[(m.steps[0] ?? 0) % variants.length]!();
      return;
    }
  }
  applyMutation(view, m);
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Primitives by value, objects all alike (a stable sort keeps their order). */
function sortKey(value: unknown): string {
  return typeof value === "object" || value === undefined
    ? "~"
    : `${typeof value}:${String(value)}`;
}

/** A view of three fields (`a`, `b`, `c`) of random state. */
export class RandomView extends LiveView {
  a: unknown = null;
  b: unknown = null;
  c: unknown = null;
}

/**
 * An object of the start state put at a second place before tracking starts (as `mount` does
 * with `this.selected = this.rows[3]`): what `fromSteps` reach in field `from`, put at the
 * place `steps` reach in `field` (the same field or another).
 */
export interface Share {
  field: string;
  steps: number[];
  from: string;
  fromSteps: number[];
}

const share: fc.Arbitrary<Share> = fc.record({
  field: fc.constantFrom("a", "b", "c"),
  steps: fc.array(fc.nat(5), { minLength: 1, maxLength: 4 }),
  from: fc.constantFrom("a", "b", "c"),
  fromSteps: fc.array(fc.nat(5), { maxLength: 4 }),
});

/** A random run: start values, objects shared in them, and one to `maxSteps` steps. */
export interface RandomRun {
  start: [unknown, unknown, unknown];
  shares: Share[];
  steps: Mutation[][];
}

/**
 * Start values of a {@link RandomView}'s fields, objects shared between their places before
 * tracking starts, and one to `maxSteps` steps of mutations.
 */
export function randomRun(
  trees: fc.Arbitrary<unknown>,
  mutations: fc.Arbitrary<Mutation>,
  maxSteps: number,
): fc.Arbitrary<RandomRun> {
  return fc.record({
    start: fc.tuple(trees, trees, trees),
    shares: fc.array(share, { maxLength: 3 }),
    steps: fc.array(fc.array(mutations, { maxLength: 4 }), { minLength: 1, maxLength: maxSteps }),
  });
}

/**
 * A {@link RandomView} holding copies of `run.start` (fast-check shows, and shrinks from, the
 * values it generated, which the mutations would otherwise change in place), with
 * `run.shares` made.
 */
export function randomView(run: Pick<RandomRun, "start" | "shares">): RandomView {
  const view = new RandomView();
  [view.a, view.b, view.c] = structuredClone(run.start);
  const fields = view as unknown as Record<string, unknown>;
  for (const s of run.shares) {
    const at = walk(fields[s.field], s.steps);
    const from = walk(fields[s.from], s.fromSteps);
    const value = from ? read(from) : fields[s.from];
    if (at && typeof value === "object" && value !== null && !reaches(value, at.parent)) {
      place(at, value);
    }
  }
  return view;
}
