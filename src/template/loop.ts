/**
 * The `{% for %}` tag: compiles a loop into a Comprehension slot (one entry per row, with
 * `forloop` and `{% empty %}`) and decides whether the loop memo may reuse its rows.
 * @module
 */
import * as tree from "../render/tree.js";
import type { ComprehensionEntry, StreamSource } from "../render/tree.js";
import { locate, type Node } from "./ast.js";
import { compileFragmentWith } from "./binding.js";
import type { Env } from "./env.js";
import { TemplateRenderError } from "./errors.js";
import { compileExpr } from "./evaluator.js";
import { renderFragment, type SlotImpl } from "./fragment.js";
import { entryKeys, loopMemoizer, type RenderRow } from "./loop-memo.js";
import * as runtime from "./values.js";
import { Frame, type Scope } from "./values.js";
import { NO_DEPS, PARENTLOOP, union, without, type RowReads } from "./tracking.js";

// Module-local copies of imported render-time helpers (see evaluator.ts for why).
const { lookupLocal, toList, unwrap } = runtime;
const isStreamSource = tree.isStreamSource;
const STREAM_SOURCE: typeof tree.STREAM_SOURCE = tree.STREAM_SOURCE;

interface ForLoop {
  counter: number;
  counter0: number;
  revcounter: number;
  revcounter0: number;
  first: boolean;
  last: boolean;
  parentloop: unknown;
}

export function compileFor(node: Extract<Node, { kind: "for" }>, env: Env): SlotImpl {
  const iterable = compileExpr(node.iterable, env, false);
  const names = ["forloop", ...node.targets];
  const purity = { impure: false };
  const rowReads: RowReads | undefined =
    node.targets.length === 1
      ? { target: node.targets[0] as string, fields: new Set(), whole: false, outer: env.rowReads }
      : undefined;
  const body = compileFragmentWith(
    node.body,
    { ...env, purity, rowReads: rowReads ?? env.rowReads },
    names,
    false,
  );
  // With only `row.field` reads, a row is compared on those fields alone (cheaper, and
  // indifferent to fields the template never shows).
  const readFields = rowReads === undefined || rowReads.whole ? undefined : [...rowReads.fields];
  if (purity.impure) env.purity.impure = true;
  const empty = node.empty === null ? undefined : env.compileBody(node.empty, env);
  const reversed = node.reversed;
  const unpack = node.targets.length > 1;
  const targetCount = node.targets.length;
  const forloopIsLocal = env.locals.has("forloop");
  const statics = body.statics;
  const fingerprint = body.fingerprint;
  const evaluate = body.evaluate;
  // Work proportional to change inside a loop: when a row's output can only depend on the row
  // (and its position), a row whose item is a plain object holding the same primitive values
  // in the fields the body reads (all its fields if the body uses the row whole) as the row
  // rendered at the same position (or with the same key) last time reuses that entry, the very
  // same object, so the diff can skip it by identity. The output is a pure function of those
  // values (filters must be pure, `cycle`/`now` disable this), so it holds for items mutated in
  // place and for reloaded copies alike. Nested loops are excluded because their rows also
  // depend on the outer loop's position (`forloop.parentloop`). The memo lives in the compiled
  // loop, kept per iterated array (with the last render's as a fallback); since a hit depends
  // only on the item's fields, views sharing the template can only lower each other's hit
  // rate, never get wrong output.
  const memoizable =
    env.host.loopMemo &&
    !unpack &&
    !forloopIsLocal &&
    !body.impure &&
    !purity.impure &&
    [...body.deps].every((d) => names.includes(d));
  const positional = body.deps.has("forloop");

  /** Evaluates row `i` of `n` (the frame's `values` are the loop's own bindings). */
  const renderRow: RenderRow = (inner, values, parentloop, item, key, i, n) => {
    if (positional) {
      values[0] = {
        counter: i + 1,
        counter0: i,
        revcounter: n - i,
        revcounter0: n - i - 1,
        first: i === 0,
        last: i === n - 1,
        parentloop,
      } satisfies ForLoop;
    }
    if (unpack) {
      const parts = toList(item);
      // Django counts the item (1 when it has no length) and raises on a mismatch.
      const raw = unwrap(item);
      const count =
        (typeof raw === "object" && raw !== null) || typeof raw === "string" ? parts.length : 1;
      if (count !== targetCount)
        throw new TemplateRenderError(
          `Need ${targetCount} values to unpack in for loop; got ${count}.`,
          locate(node.pos),
        );
      for (let t = 0; t < targetCount; t++) values[t + 1] = parts[t];
    } else values[1] = item;
    const dynamics = evaluate(inner);
    return key === undefined ? { dynamics } : { key, dynamics };
  };

  // A loop over a top-level name as it is (no filter, not a local) can follow the view's record of
  // the items its step edited in place (RowEdits): only those rows are rendered again.
  const primary = node.iterable.primary;
  const listName =
    node.iterable.filters.length === 0 &&
    primary.kind === "var" &&
    primary.path.length === 1 &&
    !env.locals.has(primary.path[0] as string)
      ? (primary.path[0] as string)
      : undefined;
  const memo = memoizable
    ? loopMemoizer(renderRow, readFields, positional, statics, fingerprint, listName, reversed)
    : undefined;

  /**
   * A loop over a stream (`{% for dom_id, item in streams.songs %}`): one row per item inserted
   * since the last render, each bound as `[domId, item]`; never memoized (rows are sent once
   * and must not be held) and without `{% empty %}` (the page, not the server, has the items).
   */
  const streamLoop = (stream: StreamSource, scope: Scope) => {
    const { entries: items, patch } = stream[STREAM_SOURCE]();
    const n = items.length;
    const entries = new Array<ComprehensionEntry>(n);
    if (n > 0) {
      const values: unknown[] = new Array<unknown>(names.length);
      const inner: Scope = {
        ctx: scope.ctx,
        frame: new Frame(scope.frame, names, values),
        state: scope.state,
      };
      const parentloop = forloopIsLocal ? lookupLocal(scope.frame, "forloop") : {};
      for (let i = 0; i < n; i++)
        entries[i] = renderRow(inner, values, parentloop, items[i], undefined, i, n);
    }
    return { type: "comprehension" as const, statics, fingerprint, entries, stream: patch };
  };

  return {
    // A body reading `forloop.parentloop` reads the enclosing loop's `forloop`.
    deps: union(
      iterable.deps,
      without(body.deps, [...names, PARENTLOOP]),
      body.deps.has(PARENTLOOP) ? ["forloop"] : NO_DEPS,
      empty?.deps ?? NO_DEPS,
    ),
    impure: body.impure || (empty?.impure ?? false),
    run: (scope) => {
      const list = iterable.fn(scope);
      if (isStreamSource(list)) return streamLoop(list, scope);
      let items = toList(list);
      if (reversed) items = [...items].reverse();
      const n = items.length;
      if (n === 0) {
        memo?.forget();
        return empty === undefined
          ? { type: "comprehension", statics, fingerprint, entries: [] }
          : renderFragment(empty, scope, undefined);
      }
      const values: unknown[] = new Array<unknown>(names.length);
      const inner: Scope = {
        ctx: scope.ctx,
        frame: new Frame(scope.frame, names, values),
        state: scope.state,
      };
      if (memo === undefined) {
        const parentloop = forloopIsLocal ? lookupLocal(scope.frame, "forloop") : {};
        const keys = entryKeys(items).keys;
        const entries = new Array<ComprehensionEntry>(n);
        for (let i = 0; i < n; i++)
          entries[i] = renderRow(inner, values, parentloop, items[i], keys?.[i], i, n);
        return { type: "comprehension", statics, fingerprint, entries };
      }
      return memo.render(list, items, inner, values, scope.state.edits);
    },
  };
}
