/**
 * A render log: in which render each state field last changed, and which items of its array
 * fields the steps since then edited in place (from the state tracker's edits), handed to each
 * render as the template loops' {@link RowEdits}, so that a one-row change renders one row. A
 * view keeps one, and so does each of its LiveComponents.
 * @module
 */
import type { RowEdits } from "../render/tree.js";
import { editedItems, type DeltaOp } from "../state/delta.js";

const NO_ROWS: readonly number[] = Object.freeze([]);

/**
 * A view's record of its renders for the template's {@link RowEdits}: in which render each state
 * field last changed, and which items of its array fields the steps since the last render edited
 * in place (from the state tracker's edits). The log is the renders' `owner`.
 */
export class RenderLog {
  #serial = 0;
  #fullAt = 0;
  /** Made on the first change: an idle view's log holds no map. */
  #changedAt: Map<string, number> | undefined;
  /** Field → items edited in place since the last render (`null`: changed some other way). */
  #pending: Map<string, number[] | null> | undefined;

  /** Notes a step's changes: `fields` changed, `deltas` holds the edits known for them. */
  note(fields: readonly string[], deltas: ReadonlyMap<string, readonly DeltaOp[] | null>): void {
    if (fields.length === 0 && deltas.size === 0) return;
    const pending = (this.#pending ??= new Map());
    const add = (field: string, ops: readonly DeltaOp[] | null | undefined) => {
      const before = pending.get(field);
      if (before === null) return;
      const rows = editedItems(ops);
      if (rows === undefined) pending.set(field, null);
      else if (before === undefined) pending.set(field, rows);
      else for (const r of rows) before.push(r);
    };
    for (const field of fields) add(field, deltas.get(field));
    for (const [field, ops] of deltas) if (!fields.includes(field)) add(field, ops);
  }

  /** Every slot is rendered afresh (join, mount): no earlier render's memo stands. */
  full(): void {
    this.#fullAt = ++this.#serial;
    this.#changedAt = undefined;
    this.#pending = undefined;
  }

  /** The {@link RowEdits} of the next render, of the names in `changed`. */
  next(changed: ReadonlySet<string>): RenderEdits {
    const serial = ++this.#serial;
    const pending = this.#pending ?? NO_PENDING;
    this.#pending = undefined;
    const before = new Map<string, number>();
    const mark = (field: string) => {
      if (before.has(field)) return;
      const changedAt = (this.#changedAt ??= new Map());
      before.set(field, changedAt.get(field) ?? this.#fullAt);
      changedAt.set(field, serial);
    };
    for (const field of changed) mark(field);
    for (const field of pending.keys()) mark(field);
    return new RenderEdits(
      this,
      serial,
      changed,
      pending,
      (name) => before.get(name) ?? this.#changedAt?.get(name) ?? this.#fullAt,
    );
  }
}

const NO_PENDING: ReadonlyMap<string, number[] | null> = new Map();

/** One render's {@link RowEdits} (made by {@link RenderLog.next}). */
export class RenderEdits implements RowEdits {
  shown = false;
  /** Names the view computes (`getContextData()`): what they hold is not state. */
  computed: readonly string[] = [];

  constructor(
    readonly owner: object,
    readonly serial: number,
    private readonly changed: ReadonlySet<string>,
    private readonly pending: ReadonlyMap<string, readonly number[] | null>,
    private readonly since: (name: string) => number,
  ) {}

  #takeBacks: (() => void)[] | undefined;

  onFailure(takeBack: () => void): void {
    (this.#takeBacks ??= []).push(takeBack);
  }

  /** The render failed: its loops take back what they changed in place, last first. */
  failed(): void {
    const takeBacks = this.#takeBacks ?? [];
    this.#takeBacks = undefined;
    for (let i = takeBacks.length - 1; i >= 0; i--) (takeBacks[i] as () => void)();
  }

  rows(name: string): { readonly since: number; readonly rows: readonly number[] } | undefined {
    if (this.computed.includes(name)) return undefined;
    const rows = this.pending.get(name);
    if (rows === null || (rows === undefined && this.changed.has(name))) return undefined;
    return { since: this.since(name), rows: rows ?? NO_ROWS };
  }
}
