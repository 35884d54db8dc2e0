/**
 * The stateful components of one live view (Phoenix's LiveComponents): the table of cids, the
 * placement of components by the view's render, their updates and renders, the diff's `c` map,
 * the two-phase removal the client drives, and their part of the view's snapshot.
 *
 * - **Placement**: while the view (or a component) renders, each `liveComponent(Class, {id, …})`
 *   / `{% live_component %}` gets the cid of `(Class, id)` — a new one for a component not on the
 *   page — and its assigns are queued; the slot holds the cid. After the render the queue is
 *   applied: `mount` for a new component, then `update(assigns)`.
 * - **Change tracking per component**: each component has its own state tracker; after an
 *   update, a `sendUpdate` or one of its events, only the template slots reading a changed field
 *   of that component are evaluated, and only components that changed appear in `c`. The view's
 *   own tree is not touched by a component's change.
 * - **Removal** is the client's call, as in Phoenix: `cids_will_destroy` marks cids the page
 *   no longer shows (a render that places one again unmarks it and sends it whole, since the
 *   client reset it), `cids_destroyed` then deletes those still marked and answers which.
 * - **Work proportional to change**: in a connected view each component's tracker also records
 *   the edits a step made, as the view's does; its loops re-render only the rows a step edited,
 *   and its stored field is brought up to date by those edits rather than written whole.
 * - **Snapshots** hold every component's state (its class name, id and cid, and the places of
 *   its state that hold one object, as a view's record lists its own); a restored view
 *   gets each back when its render places it again. A full render (a join, the dead render)
 *   drops the components it did not place: a new page has none of them.
 * @module
 */
import type { Logger } from "../logger.js";
import { NotFound } from "../errors.js";
import { componentDiff, type WireRendered } from "../render/diff.js";
import { renderToString } from "../render/html.js";
import { ComponentRef, type Rendered, type Template } from "../render/tree.js";
import type { SerializationPolicy } from "../state/codec.js";
import type { Alias } from "../state/aliases.js";
import {
  addStep,
  eachObjectIn,
  editedContainers,
  heldBy,
  type DeltaOp,
  type FieldEdits,
} from "../state/delta.js";
import {
  restoreState,
  snapshotState,
  stateKeys,
  stateValue,
  StateTracker,
  type StateSnapshot,
} from "../state/tracker.js";
import {
  componentName,
  LiveComponent,
  withPlacer,
  type ComponentId,
  type ComponentPlacer,
  type LiveComponentClass,
} from "../view/live-component.js";
import { toRaw } from "../state/watch.js";
import { isObject } from "../state/aliases.js";
import { hasOwnContextData, type LiveView } from "../view/live-view.js";
import { runtimeOf } from "../view/runtime.js";
import type { TemplateSource } from "./host.js";
import { RenderLog, type RenderEdits } from "./render-log.js";

/** One component in a snapshot. */
export interface StoredComponent {
  readonly cid: number;
  /** The class name, checked when a render places the component again. */
  readonly component: string;
  readonly id: ComponentId;
  readonly state: StateSnapshot;
  /** The places of its state that hold one object, as a view's record lists them. */
  readonly aliases?: readonly Alias[];
}

/** The components of a view in its snapshot. */
export interface StoredComponents {
  /** The next cid to give. */
  readonly next: number;
  readonly list: readonly StoredComponent[];
  /**
   * Set when the record listed them in its meta part (written before each component was a
   * field of its own): each is stored again, as a field, at the next write.
   */
  readonly listed?: boolean;
}

/** What the components of a view render with. */
export interface ComponentsEnv {
  readonly templates: TemplateSource | undefined;
  /** Classes by `{% live_component %}` name (`app.component`). */
  readonly registry: ReadonlyMap<string, LiveComponentClass> | undefined;
  readonly policy: SerializationPolicy;
  readonly logger: Logger;
  /** The view's class name (messages). */
  readonly viewName: string;
  /**
   * Record the edits each step makes to a component's state (a connected view whose backend
   * writes incrementally): its loops then re-render the rows a step edited, and its stored
   * field is brought up to date by the edits instead of written whole.
   */
  readonly edits: boolean;
}

/**
 * A component whose stored field is behind: its state, with the fields changed since and their
 * edits, or `null`: the field goes whole (new or rewritten), or away (the component is gone).
 */
export type ComponentChange = {
  readonly component: LiveComponent;
  readonly fields: FieldEdits;
  /** The places of its state that hold one object, when they changed. */
  readonly aliases?: readonly Alias[];
} | null;

/** One {@link ViewComponents.render}: what it takes back if it fails. */
interface Pass {
  /** The tree each component it rendered had before it (what the client has). */
  readonly before: Map<Entry, Rendered | undefined>;
  /** The row edits of its renders, shown once it succeeds. */
  readonly edits: RenderEdits[];
}

/** The objects of a state that its steps edited, or `"unknown"`: any may have been. */
type Edited = ReadonlySet<object> | "unknown";

const NONE: ReadonlySet<object> = new Set();

/** A component placed by a render, with the assigns it gets. */
interface Placement {
  readonly entry: Entry;
  readonly assigns: Readonly<Record<string, unknown>>;
  /**
   * Which of its placer's objects were edited since the last render pass is known: the view's
   * edits, read when the placement is applied (its render's own writes are noted by then).
   */
  readonly known: boolean;
}

/** What to render of a component: nothing, the slots reading these fields, or everything. */
type Dirty = Set<string> | "all" | undefined;

class Entry {
  readonly ref: ComponentRef;
  component?: LiveComponent;
  tracker?: StateTracker;
  /** The tree the client has for this cid; `undefined` until sent (or after the client reset). */
  tree?: Rendered;
  template?: Template;
  dirty: Dirty;
  /** Listed by `cids_will_destroy`, not placed since. */
  marked = false;
  /** The encoded state, until it changes. */
  snapshot?: StoredComponent;
  /**
   * What the stored field lacks: the fields changed since it was last taken for the snapshot,
   * with their edits, or `null`: the whole component. `undefined`: nothing.
   */
  unsaved?: FieldEdits | null;
  /** Its renders, for its loops' row edits (only with {@link ComponentsEnv.edits}). */
  renders?: RenderLog;
  /** The places of its state that hold one object changed since its field was last written. */
  sharingChanged = false;
  /**
   * A copy of the assigns its last placement gave (the assigns may be one of the placer's
   * objects, which it edits in place).
   */
  assigns?: Readonly<Record<string, unknown>>;
  /** Its state took {@link assigns}: their `update` succeeded, and none failed since. */
  current = false;
  /** The component whose render placed it last; `undefined`: the view. */
  placedBy?: Entry;
  /**
   * Restored under its stored cid, and `update` changed nothing of the snapshot's state: its
   * first render changes nothing the stored snapshot holds.
   */
  asStored = false;

  constructor(
    readonly cid: number,
    readonly Class: LiveComponentClass,
    readonly id: ComponentId,
    /** What to restore instead of starting afresh. */
    public stored: StoredComponent | undefined,
  ) {
    this.ref = new ComponentRef(cid);
  }
}

/** The key of a saved component, by its class name and id. */
function keyOf(name: string, id: ComponentId): string {
  return `${name}\u0000${typeof id}:${String(id)}`;
}

/** The components of one view. */
export class ViewComponents implements ComponentPlacer {
  readonly #view: LiveView;
  readonly #env: ComponentsEnv;
  readonly #byCid = new Map<number, Entry>();
  /**
   * By class name, then id (a key string made per placement cost an html`` view's render more
   * than the rest of the placement).
   */
  readonly #byName = new Map<string, Map<ComponentId, Entry>>();
  #next = 1;
  /** Placements and `sendUpdate`s waiting for the end of the render. */
  #queue: Placement[] = [];
  #updates: { Class: LiveComponentClass; id: ComponentId; assigns: object }[] = [];
  /** Cids placed since the last {@link render} (a second placement is a mistake). */
  #placed = new Set<number>();
  /** The component rendering now and the cids it places (its children), while it renders. */
  #placing?: { by: Entry; cids: number[] };
  /** Saved components not placed yet since the restore, by key. */
  #stored?: Map<string, StoredComponent>;
  /** The saved components are to be stored again ({@link StoredComponents.listed}). */
  readonly #rewrite: boolean;
  /** The view's objects its steps edited since the last render pass (objects it may give again). */
  #edited?: Set<object> | "unknown";
  /** Cids of the components placed, changed or deleted since {@link takeSnapshotChanges}. */
  #unsaved?: Set<number>;

  constructor(view: LiveView, env: ComponentsEnv, stored?: StoredComponents) {
    this.#view = view;
    this.#env = env;
    this.#rewrite = stored?.listed === true;
    if (stored) {
      this.#next = Math.max(1, stored.next);
      this.#stored = new Map(stored.list.map((c) => [keyOf(c.component, c.id), c]));
    }
  }

  /** Whether something is waiting to render: updates, or a component an event changed. */
  get pending(): boolean {
    if (this.#queue.length > 0 || this.#updates.length > 0) return true;
    for (const entry of this.#byCid.values()) if (entry.dirty !== undefined) return true;
    return false;
  }

  /** Number of components on the page (or waiting for the client to confirm their removal). */
  get size(): number {
    return this.#byCid.size;
  }

  placeComponent(
    Class: LiveComponentClass,
    assigns: Readonly<Record<string, unknown>>,
  ): ComponentRef {
    if (typeof Class !== "function" || !(Class.prototype instanceof LiveComponent)) {
      throw new TypeError("liveComponent(Class, assigns): Class must extend LiveComponent");
    }
    const id = assigns.id;
    if (!(
      (typeof id === "string" && id !== "") ||
      (typeof id === "number" && Number.isFinite(id))
    )) {
      throw new TypeError(
        `${Class.name}: a component needs an id (a non-empty string or a number) in its assigns`,
      );
    }
    let entry = this.#entry(Class.name, id);
    if (entry && entry.Class !== Class) {
      throw new TypeError(`two component classes are named ${Class.name} in one view`);
    }
    if (!entry) {
      const key = this.#stored && keyOf(Class.name, id);
      const stored = key === undefined ? undefined : this.#stored?.get(key);
      if (key !== undefined) this.#stored?.delete(key);
      const cid = stored && !this.#byCid.has(stored.cid) ? stored.cid : this.#next;
      this.#next = Math.max(this.#next, cid + 1);
      entry = new Entry(cid, Class, id, stored);
      this.#byCid.set(cid, entry);
      let ids = this.#byName.get(Class.name);
      if (!ids) this.#byName.set(Class.name, (ids = new Map()));
      ids.set(id, entry);
      // One that comes back from the snapshot, under its cid, is stored again only if it
      // changes.
      entry.asStored = stored?.cid === cid && !this.#rewrite;
      if (!entry.asStored) this.#storeWhole(entry);
    } else if (this.#placed.has(entry.cid)) {
      throw new Error(
        `${this.#env.viewName} placed the component ${Class.name} with id ${JSON.stringify(id)} twice in one render: ids must be unique per component class`,
      );
    }
    if (entry.marked) {
      // The client reset its render of this cid when it asked to destroy it: send it whole.
      entry.marked = false;
      entry.tree = undefined;
    }
    this.#placed.add(entry.cid);
    this.#placing?.cids.push(entry.cid);
    entry.placedBy = this.#placing?.by;
    // Which objects a component's render gives its step edited, its edits do not tell here; nor
    // what the view's own `getContextData()` edits as it renders (noticed after the render).
    const known = !this.#placing && !hasOwnContextData(this.#view);
    this.#queue.push({ entry, assigns, known });
    return entry.ref;
  }

  placeComponentByName(name: string, assigns: Readonly<Record<string, unknown>>): ComponentRef {
    const Class = this.#env.registry?.get(name);
    if (!Class) {
      throw new Error(
        `no component is registered as "${name}" (register its class with app.component(Class))`,
      );
    }
    return this.placeComponent(Class, assigns);
  }

  /** `sendUpdate(Class, id, assigns)`: applied at the next {@link render}. */
  sendUpdate(Class: abstract new () => object, id: ComponentId, assigns: object): void {
    this.#updates.push({ Class: Class as LiveComponentClass, id, assigns });
  }

  /**
   * The component with cid `cid`, to run one of its events.
   * @throws NotFound when the view has no such component (never had, or removed).
   */
  target(cid: number): { component: LiveComponent; tracker: StateTracker; slug: string } {
    const entry = this.#byCid.get(cid);
    if (!entry?.component || !entry.tracker) {
      throw new NotFound(
        cid > 0 && cid < this.#next
          ? `Component ${cid} of ${this.#env.viewName} was removed from the page.`
          : `${this.#env.viewName} has no component ${cid}.`,
      );
    }
    return { component: entry.component, tracker: entry.tracker, slug: componentName(entry.Class) };
  }

  /**
   * An event of component `cid` changed `fields` of its state. What it edited in place of the
   * objects its placement gave it (`this.todo.done = true`) is its placer's state too, which
   * the placer's tracking did not see: the placer's fields reaching an edited object render
   * again and are stored whole, and so on up to the view while the objects were given along.
   * Returns the view's fields (its components learn which of its objects changed).
   */
  changed(cid: number, fields: readonly string[]): string[] {
    const entry = this.#byCid.get(cid);
    if (!entry?.component || !entry.tracker) return [];
    if (fields.length > 0) markDirty(entry, fields);
    this.#noteChanged(entry, fields);
    const edited = entry.tracker.edited;
    if (edited.size === 0) return [];
    // Written with equal values, its objects changed no field: the fields reaching them count.
    const touched = fields.length > 0 ? fields : reaching(entry.component, edited).fields;
    if (!editsGiven(entry, entry.component, touched, edited)) return [];
    let by = entry;
    while (by.placedBy) {
      const placer = by.placedBy;
      if (!placer.component || !placer.tracker || this.#byCid.get(placer.cid) !== placer) {
        return [];
      }
      const held = reaching(placer.component, edited).fields;
      if (held.length === 0) return [];
      placer.tracker.relinkShared();
      markDirty(placer, held);
      this.#noteChanged(placer, held);
      if (!editsGiven(placer, placer.component, held, edited)) return [];
      by = placer;
    }
    const { fields: held, path } = reaching(this.#view, edited);
    const known = this.#edited;
    if (known !== "unknown" && path.size > 0) {
      const into = known ?? (this.#edited = new Set());
      for (const object of path) into.add(object);
    }
    return held;
  }

  /** Whether component `cid`'s last placement gave it objects. */
  given(cid: number): boolean {
    return objectsOf(this.#byCid.get(cid)?.assigns).size > 0;
  }

  /**
   * A check of `entry`'s state found `fields` changed: its part of the snapshot takes the edits
   * its tracker recorded for them, and so does its render log unless the check followed its
   * own render (`rendered`: what it shows is what the render read).
   */
  #noteChanged(
    entry: Entry,
    fields: readonly string[],
    rendered = false,
    whole: readonly string[] = [],
  ): void {
    const tracker = entry.tracker;
    const component = entry.component;
    if (!tracker || !component) return;
    let deltas = tracker.takeDeltas();
    if (whole.some((field) => deltas.has(field))) {
      const edits = new Map(deltas);
      for (const field of whole) if (edits.has(field)) edits.set(field, null);
      deltas = edits;
    }
    // A step that only starts or ends sharing changes no field, and the field must still list it.
    const sharing = this.#env.edits && tracker.sharingChanged(component);
    if (sharing) entry.sharingChanged = true;
    if (fields.length === 0 && deltas.size === 0 && !sharing) return;
    // Only a template's loops take row edits (a render() component's log would only grow).
    if (this.#env.edits && !rendered && typeof entry.Class.templateName === "string") {
      (entry.renders ??= new RenderLog()).note(fields, deltas);
    }
    if (entry.unsaved !== null) addStep((entry.unsaved ??= new Map()), fields, deltas);
    entry.snapshot = undefined;
    this.#changedForSnapshot(entry.cid);
  }

  /** `entry`'s stored field is to be written whole (placed anew, or to be stored again). */
  #storeWhole(entry: Entry): void {
    entry.unsaved = null;
    this.#changedForSnapshot(entry.cid);
  }

  /** `cids_will_destroy`: the page no longer shows these; they stay until `cids_destroyed`. */
  willDestroy(cids: readonly number[]): void {
    for (const cid of cids) {
      const entry = this.#byCid.get(cid);
      if (entry) entry.marked = true;
    }
  }

  /**
   * `cids_destroyed`: deletes the components of `cids` still marked (one placed again since is
   * kept) and returns their cids, which the client then forgets.
   */
  destroyed(cids: readonly number[]): number[] {
    const out: number[] = [];
    for (const cid of cids) {
      const entry = this.#byCid.get(cid);
      if (!entry?.marked) continue;
      this.#delete(entry);
      out.push(cid);
    }
    return out;
  }

  #delete(entry: Entry): void {
    this.#byCid.delete(entry.cid);
    const ids = this.#byName.get(entry.Class.name);
    ids?.delete(entry.id);
    if (ids?.size === 0) this.#byName.delete(entry.Class.name);
    this.#changedForSnapshot(entry.cid);
    const component = entry.component;
    if (!component?.unmount) return;
    try {
      component.unmount();
    } catch (error) {
      this.#env.logger.error(`${entry.Class.name}.unmount raised an error`, {
        view: this.#env.viewName,
        error: String(error),
      });
    }
  }

  /**
   * Applies the queued placements and updates, renders every component that changed (and the
   * ones their renders place, in turn), and returns the diff's `c` map, or `undefined` when no
   * component has anything to send. `full` (a join, the dead render): the client has no
   * component yet, so each placed one goes whole, and the ones not placed are dropped.
   */
  render(full: boolean): WireRendered | undefined {
    const pass: Pass = { before: new Map(), edits: [] };
    try {
      const out = this.#render(full, pass);
      for (const edits of pass.edits) edits.shown = true;
      this.#edited = undefined;
      return out;
    } catch (error) {
      this.abandon();
      // The client got nothing of this pass: each component it rendered gets back
      // the tree the client has (its loops take back the rows they changed in place, last
      // first) and renders in full at the next pass, which sends what changed since that tree.
      for (let i = pass.edits.length - 1; i >= 0; i--) (pass.edits[i] as RenderEdits).failed();
      for (const [entry, tree] of pass.before) {
        entry.tree = tree;
        // One first rendered in this pass renders when placed again (`#apply`).
        entry.dirty = tree === undefined ? undefined : "all";
      }
      throw error;
    } finally {
      this.#placed.clear();
    }
  }

  /**
   * The view's step changed `fields`, with `deltas`: the objects of its state those edited,
   * which its render may give its components again.
   */
  viewChanged(
    fields: readonly string[],
    deltas: ReadonlyMap<string, readonly DeltaOp[] | null>,
  ): void {
    let edited = this.#edited;
    if (edited === "unknown") return;
    for (const field of new Set([...fields, ...deltas.keys()])) {
      const value = stateValue(this.#view, field);
      if (typeof value !== "object" || value === null) continue;
      edited ??= this.#edited = new Set<object>();
      if (!editedContainers(value, deltas.get(field), edited)) {
        this.#edited = "unknown";
        return;
      }
    }
  }

  /**
   * A render that failed (the view's, or a component's `update` or template) placed nothing:
   * the next one places its components again, and must not find them placed twice.
   */
  abandon(): void {
    this.#queue = [];
    this.#placed.clear();
  }

  #render(full: boolean, pass: Pass): WireRendered | undefined {
    if (full) for (const entry of this.#byCid.values()) entry.tree = undefined;
    const out: WireRendered = {};
    let any = false;
    // Bases for sharing statics: trees the client had before this payload, and the ones sent in it.
    let known: Map<number, Entry> | undefined;
    const sent = new Map<number, Entry>();
    const fresh = new Set<Entry>();
    const before = pass.before;
    /** The children each component's last render in this pass placed. */
    const children = new Map<Entry, number[]>();
    /** The components sent as differences from each one sent earlier in this payload. */
    const leaners = new Map<Entry, Entry[]>();
    /** Each component's last render in this pass (a component found here renders again). */
    const latest = new Map<Entry, Rendered>();
    for (;;) {
      this.#applyUpdates();
      const queue = this.#queue;
      if (queue.length > 0) {
        this.#queue = [];
        for (const { entry, assigns, known } of queue) {
          this.#apply(entry, assigns, known ? (this.#edited ?? NONE) : "unknown", true);
        }
      }
      let rendered = false;
      for (const entry of this.#byCid.values()) {
        if (entry.dirty === undefined || !entry.component) continue;
        // A full render sends only what the page shows.
        if (full && !this.#placed.has(entry.cid)) continue;
        rendered = true;
        // Rendered again in this pass (its own event changed it, then a render placed it with
        // new assigns): the payload holds one diff per component, so it carries this render
        // whole, with its own statics, and the client replaces what it had.
        const again = latest.has(entry);
        const previous = again ? undefined : entry.tree;
        if (!before.has(entry)) before.set(entry, previous);
        // Going whole, it renders every slot: a template's unchanged slots would otherwise be
        // filled from whatever tree it is diffed against (another component's, as a base).
        if (again) entry.dirty = "all";
        // Its children are placed again by this render, not twice.
        for (const cid of children.get(entry) ?? []) this.#placed.delete(cid);
        const placing: number[] = [];
        this.#placing = { by: entry, cids: placing };
        let tree: Rendered;
        let edits: RenderEdits | undefined;
        try {
          ({ tree, edits } = this.#renderOne(entry));
        } finally {
          this.#placing = undefined;
        }
        children.set(entry, placing);
        latest.set(entry, tree);
        // What its render changed (`getContextData()` sorting a list, say) is stored now: a
        // whole write encodes the state as it is after the render, so the next check must not
        // find it again and store it twice.
        this.#noteChanged(entry, (entry.tracker as StateTracker).changes(entry.component), true);
        let base: { ref: number; tree: Rendered } | undefined;
        if (previous === undefined) {
          const fingerprint = tree.fingerprint;
          const same = again ? undefined : sent.get(fingerprint);
          if (same?.tree && same !== entry) {
            base = { ref: same.cid, tree: same.tree };
            let leaning = leaners.get(same);
            if (!leaning) leaners.set(same, (leaning = []));
            leaning.push(entry);
          } else if (!full) {
            known ??= this.#knownBases(fresh);
            const other = known.get(fingerprint);
            const otherTree = other && (before.get(other) ?? other.tree);
            if (other && other !== entry && otherTree) base = { ref: -other.cid, tree: otherTree };
          }
        }
        const result = componentDiff(previous, tree, base);
        entry.tree = result.tree;
        if (edits) pass.edits.push(edits);
        if (previous === undefined) {
          sent.set(tree.fingerprint, entry);
          fresh.add(entry);
        }
        if (result.diff) {
          out[entry.cid] = result.diff;
          any = true;
        }
        // Those sent as differences from its first render in this payload (`s: <its cid>`)
        // would read this one's values: each goes whole, with its own statics, instead.
        const leaning = again ? leaners.get(entry) : undefined;
        if (leaning) {
          leaners.delete(entry);
          for (const other of leaning) {
            const whole = componentDiff(undefined, latest.get(other) as Rendered);
            other.tree = whole.tree;
            if (whole.diff) out[other.cid] = whole.diff;
          }
        }
      }
      if (!rendered && this.#queue.length === 0 && this.#updates.length === 0) break;
    }
    if (full) {
      for (const entry of [...this.#byCid.values()]) {
        if (!this.#placed.has(entry.cid)) this.#delete(entry);
      }
      // A restore gives back what the first full render places; the rest is gone with the page,
      // and from the stored snapshot.
      for (const gone of this.#stored?.values() ?? []) {
        if (!this.#byCid.has(gone.cid)) this.#changedForSnapshot(gone.cid);
      }
      this.#stored = undefined;
    }
    return any ? out : undefined;
  }

  /**
   * Components the client had before this payload, one per root fingerprint (negative `s`
   * references); `fresh` were first sent in it.
   */
  #knownBases(fresh: ReadonlySet<Entry>): Map<number, Entry> {
    const out = new Map<number, Entry>();
    for (const entry of this.#byCid.values()) {
      if (entry.tree !== undefined && !entry.marked && !fresh.has(entry)) {
        out.set(entry.tree.fingerprint, entry);
      }
    }
    return out;
  }

  #applyUpdates(): void {
    const updates = this.#updates;
    if (updates.length === 0) return;
    this.#updates = [];
    for (const { Class, id, assigns } of updates) {
      const entry = this.#entry(Class.name, id);
      if (!entry || entry.Class !== Class || !entry.component) {
        this.#env.logger.warn(
          `sendUpdate to ${Class.name} with id ${JSON.stringify(id)}: no such component on the page of ${this.#env.viewName}`,
          { view: this.#env.viewName },
        );
        continue;
      }
      this.#apply(entry, { ...assigns, id }, "unknown", false);
    }
  }

  /**
   * Creates the component when new (mount, or its saved state), then runs `update`. `edited`:
   * the objects of its placer's state that its step edited, so that one given again may have
   * changed. `placed`: by a render (else by `sendUpdate`).
   */
  #apply(
    entry: Entry,
    assigns: Readonly<Record<string, unknown>>,
    edited: Edited,
    placed: boolean,
  ): void {
    let component = entry.component;
    const fresh = component === undefined;
    if (!component) {
      component = new entry.Class();
      runtimeOf(component).component = { cid: entry.cid, view: this.#view };
      synchronous(component.mount?.(), entry.Class, "mount");
      entry.tracker = new StateTracker(this.#env.policy, { deltas: this.#env.edits, edited: true });
      const restored =
        entry.stored && restoreState(component, entry.stored.state, entry.stored.aliases);
      // Tracked from the snapshot's state on: what `update` changes of it is to be stored.
      if (entry.asStored) entry.tracker.reset(component, restored);
      entry.component = component;
    }
    const tracker = entry.tracker as StateTracker;
    // Placed again with what it was given last time, none of it edited: `update` is not run, as
    // Phoenix runs it only when its change tracking evaluates the call again (an html`` view
    // places every component at each render).
    const again = !fresh && entry.current && placedAsBefore(entry.assigns, assigns, edited);
    if (!again) {
      // A `sendUpdate`, which gives part of them, keeps the last placement's.
      if (placed) entry.assigns = { ...assigns };
      const current = placed || entry.current;
      entry.current = false;
      try {
        if (component.update) synchronous(component.update(assigns), entry.Class, "update");
        else Object.assign(component, assigns);
      } catch (error) {
        // It may have assigned part of the state before it threw: the next pass renders all of
        // it (and stores what changed), as after a render that failed. (A first update renders
        // in full at the component's next placement anyway.)
        if (!fresh) entry.dirty = "all";
        throw error;
      }
      entry.current = current;
    }
    if (fresh) {
      if (entry.asStored) {
        // What `update` changed of the stored state is what its stored field lacks.
        const changed = tracker.changes(component);
        entry.asStored = changed.length === 0;
        this.#noteChanged(entry, changed);
      } else tracker.reset(component);
      entry.stored = undefined;
      entry.dirty = "all";
      return;
    }
    let changed = again ? [] : tracker.changes(component);
    // What `update` changed that holds an object holds the placer's (or an object the placer
    // may have edited through its own tracking, which this tracker did not see, so its edits
    // could be wrong): stored and rendered whole.
    const whole = changed.filter((key) => isObject(stateValue(component, key)));
    // An object it holds may have been edited in place by the placer's step (a row the view
    // passes, changed through the view's tracking): its field renders and is stored again.
    for (const key of heldEdited(component, assigns, edited)) {
      if (!changed.includes(key)) changed = [...changed, key];
    }
    if (changed.length > 0) markDirty(entry, changed);
    // Without `update`, nothing wrote to it: there is nothing else to note.
    if (!again || changed.length > 0) this.#noteChanged(entry, changed, false, whole);
    if (entry.tree === undefined) entry.dirty = "all";
  }

  /** Renders `entry`; `edits`, when its loops had the step's row edits, is to be marked shown. */
  #renderOne(entry: Entry): { tree: Rendered; edits?: RenderEdits } {
    const component = entry.component as LiveComponent;
    const context: Record<string, unknown> = {};
    for (const key of stateKeys(component)) context[key] = stateValue(component, key);
    const extra = component.getContextData();
    Object.assign(context, extra);
    context.myself = entry.cid;
    let dirty = entry.dirty;
    entry.dirty = undefined;
    const Class = entry.Class;
    let tree: Rendered;
    let edits: RenderEdits | undefined;
    if (typeof Class.templateName === "string") {
      const templates = this.#env.templates;
      if (!templates) throw new Error(`${Class.name}: templateName needs the app's templateDirs`);
      const template = templates.get(Class.templateName);
      if (template !== entry.template || entry.tree === undefined) dirty = "all";
      let changed: Set<string> | undefined;
      if (dirty !== "all" && dirty !== undefined) {
        changed = dirty;
        const computed = Object.keys(extra);
        for (const key of computed) changed.add(key);
        edits = entry.renders?.next(changed);
        if (edits) edits.computed = computed;
      } else entry.renders?.full();
      try {
        tree = withPlacer(this, () => template.render(context, changed, edits));
      } catch (error) {
        edits?.failed();
        throw error;
      }
      entry.template = template;
    } else if (typeof component.render === "function") {
      tree = withPlacer(this, () => (component.render as (c: object) => Rendered)(context));
    } else {
      throw new Error(`${Class.name} has neither a templateName nor a render() method`);
    }
    checkRoot(tree, Class);
    return edits ? { tree, edits } : { tree };
  }

  /** The HTML of component `cid` as the client shows it (the dead render, tests). */
  html(cid: number): string {
    const tree = this.#byCid.get(cid)?.tree;
    if (!tree) throw new Error(`component ${cid} has not rendered`);
    return renderToString(tree, (inner) => this.html(inner));
  }

  /** The state of component `Class`/`id` (tests read it through `djust/testing`). */
  find(Class: LiveComponentClass, id: ComponentId): LiveComponent | undefined {
    const entry = this.#entry(Class.name, id);
    return entry?.Class === Class ? entry.component : undefined;
  }

  #entry(name: string, id: ComponentId): Entry | undefined {
    return this.#byName.get(name)?.get(id);
  }

  /** Component `cid`'s part of the snapshot is behind (placed, changed or deleted). */
  #changedForSnapshot(cid: number): void {
    (this.#unsaved ??= new Set()).add(cid);
  }

  /**
   * The components placed, changed or deleted since the last call, by cid, for the snapshot;
   * `undefined` when none.
   */
  takeSnapshotChanges(): ReadonlyMap<number, ComponentChange> | undefined {
    const cids = this.#unsaved;
    if (!cids) return undefined;
    this.#unsaved = undefined;
    const changes = new Map<number, ComponentChange>();
    for (const cid of cids) {
      const entry = this.#byCid.get(cid);
      const fields = entry?.unsaved;
      const component = entry?.component;
      if (entry) entry.unsaved = undefined;
      if (!entry || !component || !fields) {
        changes.set(cid, null);
        continue;
      }
      const sharing = entry.sharingChanged;
      entry.sharingChanged = false;
      const aliases = sharing ? entry.tracker?.aliases(component) : undefined;
      changes.set(cid, aliases ? { component, fields, aliases } : { component, fields });
    }
    return changes;
  }

  /** The next cid to give (a snapshot keeps it). */
  get next(): number {
    return this.#next;
  }

  /**
   * The components for a snapshot, each encoded once per change.
   * @throws TypeError when a component's state cannot be snapshotted losslessly.
   */
  stored(policy: SerializationPolicy): StoredComponents {
    const list: StoredComponent[] = [];
    for (const entry of this.#byCid.values()) {
      const stored = this.#snapshotOf(entry, policy);
      if (stored) list.push(stored);
    }
    // Saved components the restored view has not placed again yet are kept for the next one.
    if (this.#stored) list.push(...this.#stored.values());
    return { next: this.#next, list };
  }

  /** Whether the view has component `cid` for a snapshot ({@link storedComponent}). */
  has(cid: number): boolean {
    return this.#byCid.get(cid)?.component !== undefined;
  }

  /**
   * Component `cid` for a snapshot, `undefined` when the view has none by that cid (deleted,
   * or not rendered yet).
   * @throws TypeError when its state cannot be snapshotted losslessly.
   */
  storedComponent(cid: number, policy: SerializationPolicy): StoredComponent | undefined {
    const entry = this.#byCid.get(cid);
    return entry && this.#snapshotOf(entry, policy);
  }

  #snapshotOf(entry: Entry, policy: SerializationPolicy): StoredComponent | undefined {
    const component = entry.component;
    if (!component) return undefined;
    if (entry.snapshot) return entry.snapshot;
    const aliases = entry.tracker?.aliases(component) ?? [];
    return (entry.snapshot = {
      cid: entry.cid,
      component: entry.Class.name,
      id: entry.id,
      state: snapshotState(component, policy),
      ...(aliases.length > 0 && { aliases }),
    });
  }
}

/**
 * The state fields of `component` that hold an object its placer's step edited: one of
 * `edited`, or when that is not known, an object `assigns` gives or holds (whatever the field's
 * name: `update` may keep `assigns.row.meta` as `this.meta`).
 */
function heldEdited(
  component: LiveComponent,
  assigns: Readonly<Record<string, unknown>>,
  edited: Edited,
): string[] {
  if (edited !== "unknown") {
    if (edited.size === 0) return [];
    const out: string[] = [];
    for (const key of stateKeys(component)) {
      const value = stateValue(component, key);
      if (isObject(value) && edited.has(toRaw(value))) out.push(key);
    }
    return out;
  }
  const owners = new Map<object, string[]>();
  for (const key of stateKeys(component)) {
    const value = toRaw(stateValue(component, key));
    if (isObject(value)) owners.set(value, [...(owners.get(value) ?? []), key]);
  }
  const out: string[] = [];
  const found = (object: object): boolean => {
    const keys = owners.get(object);
    if (keys) {
      out.push(...keys);
      owners.delete(object);
    }
    return owners.size > 0;
  };
  // Which held objects the given ones reach, walking them until all are found.
  for (const value of Object.values(assigns)) {
    if (owners.size === 0) break;
    eachObjectIn(toRaw(value), found);
  }
  return out;
}

/** The objects among `assigns`' values (raw). */
function objectsOf(assigns: Readonly<Record<string, unknown>> | undefined): Set<object> {
  const out = new Set<object>();
  for (const value of Object.values(assigns ?? {})) if (isObject(value)) out.add(toRaw(value));
  return out;
}

/**
 * Whether a step's `edited` objects include what `entry`'s placement gave it: a given object
 * itself, or one inside a given object that one of `fields` (changed) holds.
 */
function editsGiven(
  entry: Entry,
  component: LiveComponent,
  fields: readonly string[],
  edited: ReadonlySet<object>,
): boolean {
  const given = objectsOf(entry.assigns);
  if (given.size === 0) return false;
  for (const object of edited) if (given.has(object)) return true;
  return fields.some((field) => given.has(toRaw(stateValue(component, field)) as object));
}

/**
 * The fields of `state` (a view or a component) that hold or reach one of `targets`, and every
 * object on the way from one of them to a target (the targets found included): one walk of
 * the state.
 */
function reaching(
  state: object,
  targets: ReadonlySet<object>,
): { fields: string[]; path: Set<object> } {
  const path = new Set<object>();
  /** Whether an object leads to a target (`false` too while it is being walked). */
  const leads = new Map<object, boolean>();
  const walk = (at: unknown): boolean => {
    if (!isObject(at)) return false;
    const known = leads.get(at);
    if (known !== undefined) return known;
    leads.set(at, false);
    let hit = targets.has(at);
    for (const item of heldBy(at)) if (walk(item)) hit = true;
    if (hit) {
      leads.set(at, true);
      path.add(at);
    }
    return hit;
  };
  const fields = stateKeys(state).filter((key) => walk(toRaw(stateValue(state, key))));
  return { fields, path };
}

/**
 * Whether a placement gives what the last one gave (the same values, by identity) and its
 * placer's step edited none of the objects among them (when that is not known, it gives none).
 */
function placedAsBefore(
  last: Readonly<Record<string, unknown>> | undefined,
  assigns: Readonly<Record<string, unknown>>,
  edited: Edited,
): boolean {
  if (last === undefined) return false;
  const keys = Object.keys(assigns);
  if (keys.length !== Object.keys(last).length) return false;
  for (const key of keys) {
    const value = assigns[key];
    if (!Object.hasOwn(last, key) || !Object.is(last[key], value)) return false;
    if (!isObject(value)) continue;
    if (edited === "unknown" || (edited.size > 0 && edited.has(toRaw(value)))) return false;
  }
  return true;
}

function markDirty(entry: Entry, fields: readonly string[]): void {
  const dirty = entry.dirty ?? new Set<string>();
  if (dirty === "all") return;
  for (const field of fields) dirty.add(field);
  entry.dirty = dirty;
}

function synchronous(value: unknown, Class: LiveComponentClass, method: string): void {
  if (typeof (value as { then?: unknown } | undefined)?.then === "function") {
    throw new TypeError(
      `${Class.name}.${method} returned a promise: a component's mount and update run inside the render and must be synchronous (load data in the view or in an event handler)`,
    );
  }
}

/** The client stamps `data-phx-component` on a component's root element: there must be one. */
function checkRoot(tree: Rendered, Class: LiveComponentClass): void {
  const first = (tree.statics[0] ?? "").trimStart();
  const last = (tree.statics[tree.statics.length - 1] ?? "").trimEnd();
  if (!first.startsWith("<") || first.startsWith("<!") || !last.endsWith(">")) {
    throw new Error(
      `${Class.name} must render one root element (its template starts with a tag and ends with one)`,
    );
  }
}
