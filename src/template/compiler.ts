/**
 * Compiles a parsed DTL template into the Rendered-tree contract of `src/render/tree.ts`:
 * static strings plus dynamic slots, each slot a closure built once, tagged with the set of
 * names it reads so a change-tracked render can skip it.
 *
 * Shape of the output:
 * - `{{ expr }}`, `{% firstof %}`, `{% cycle %}`, `{% url %}`, `{% csrf_token %}`, `{% now %}`,
 *   `{% spaceless %}` → a string slot.
 * - `{% if %}` → a nested Rendered per branch (its own statics and fingerprint), `""` when no
 *   branch matches.
 * - `{% for %}` → a Comprehension; the `{% empty %}` body → a nested Rendered.
 * - `{% with %}` and `{% include %}` → a nested Rendered (they bind names).
 * - `{% block %}`, `{{ block.super }}`, `{% autoescape %}`, `{% load %}`, comments → spliced
 *   into the surrounding statics: they add no runtime structure.
 * - A tag with `as name` (`url`, `firstof`, `now`, `cycle`) → a nested Rendered holding the rest
 *   of its node list, which sees `name` as a local (like a `with` around the rest).
 *
 * Dependencies are free names: a slot's set holds the names it reads from the scope it sits in
 * (locals of enclosing `for`/`with` included); binders remove their own names and add the
 * dependencies of what they bind, so the root's set is exactly the top-level assigns read.
 *
 * Inside a changed loop the work is still proportional to the change: rows whose item holds
 * the same primitive values in the fields the body reads as last time reuse their entry (see
 * compileFor); re-rendering a list whose rows kept their keys and places only compares fields.
 * @module
 */
import { fingerprintOf } from "../render/fingerprint.js";
import { renderToString } from "../render/html.js";
import {
  UNCHANGED as IMPORTED_UNCHANGED,
  type Comprehension,
  type ComprehensionEntry,
  type Dynamic,
  type RenderContext,
  type Rendered,
  type Slot,
  type Template,
} from "../render/tree.js";
import { formatDate } from "./dateformat.js";
import { TemplateRenderError, TemplateSyntaxError } from "./errors.js";
import type {
  BlockNode,
  Condition,
  FilterExpr,
  Node,
  ParsedTemplate,
  Pos,
  Primary,
} from "./parser.js";
import * as runtime from "./runtime.js";
import { Frame, RenderState, pyCompare, pyContains, pyEqual, type Scope } from "./runtime.js";
import * as safe from "./safe.js";

// Render-time helpers as module-local constants: when this file is transpiled to CommonJS (tsx,
// bundlers) each use of an imported binding is a getter call, which dominated render profiles.
const UNCHANGED: typeof IMPORTED_UNCHANGED = IMPORTED_UNCHANGED;
const SafeString = safe.SafeString;
const markSafe = safe.markSafe;
const escapeHtml = safe.escapeHtml;
const { callIfCallable, getMember, isPlainObject, lookupLocal, stringify, toList, truthy, unwrap } =
  runtime;

const OBJECT_PROTOTYPE: unknown = Object.prototype;

type Evaluator = (scope: Scope) => unknown;
type Changed = ReadonlySet<string> | undefined;

/** A compiled dynamic slot. */
interface SlotImpl {
  readonly deps: ReadonlySet<string>;
  /** Output may differ between two evaluations with equal inputs (`cycle` state, `now`). */
  readonly impure?: boolean;
  run(scope: Scope, changed: Changed): Dynamic;
}

/** A compiled sequence of nodes: the statics/slots of one Rendered node or loop body. */
export interface Fragment {
  readonly statics: readonly string[];
  readonly fingerprint: number;
  readonly slots: readonly SlotImpl[];
  /** Free names read anywhere in the fragment. */
  readonly deps: ReadonlySet<string>;
  /** Some slot in it is impure (see {@link SlotImpl.impure}). */
  readonly impure: boolean;
  /** The one tree a fragment without slots renders to, shared by all its renders. */
  readonly constant: Rendered | undefined;
}

/** What the compiler needs from the loader. */
export interface CompileHost {
  /** Parses the template `name` for an include/extends at `from`; throws TemplateSyntaxError. */
  load(name: string, from: Pos): ParsedTemplate;
  readonly urlFor: ((name: string, args: unknown[]) => string) | undefined;
  /** Whether loops may reuse unchanged rows from their previous render (see compileFor). */
  readonly loopMemo: boolean;
}

interface Env {
  readonly host: CompileHost;
  readonly locals: ReadonlySet<string>;
  readonly autoescape: boolean;
  /** Block overrides of the extends chain: name → bodies from most derived to base. */
  readonly blocks: ReadonlyMap<string, readonly BlockNode[]> | undefined;
  /** Inside a block: the less-derived versions `{{ block.super }}` refers to. */
  readonly superChain: readonly BlockNode[] | undefined;
  /** Templates being compiled (include/extends chain), for recursion detection. */
  readonly stack: readonly string[];
  /** Set when an expression compiled under the innermost loop uses a non-pure filter. */
  readonly purity: { impure: boolean };
  /** Fields of enclosing loop variables that expressions read (innermost loop first). */
  readonly rowReads: RowReads | undefined;
}

/** Which fields of a loop variable its body reads; `whole` when it uses the row as a value. */
interface RowReads {
  readonly target: string;
  readonly fields: Set<string>;
  whole: boolean;
  readonly outer: RowReads | undefined;
}

const EMPTY_CONTEXT: RenderContext = Object.freeze({});
// `forloop.parentloop` of a top-level loop (Django gives an empty dict).
const EMPTY_PARENTLOOP: unknown = Object.freeze({});
// Pseudo-dependency of `forloop.parentloop.…`: not an identifier, so it never clashes with a name.
const PARENTLOOP = "forloop.parentloop";
const NO_DEPS: ReadonlySet<string> = new Set();

function intersects(deps: ReadonlySet<string>, changed: ReadonlySet<string>): boolean {
  if (deps.size <= changed.size) {
    for (const d of deps) if (changed.has(d)) return true;
    return false;
  }
  for (const c of changed) if (deps.has(c)) return true;
  return false;
}

function union(...sets: Iterable<string>[]): Set<string> {
  const out = new Set<string>();
  for (const s of sets) for (const name of s) out.add(name);
  return out;
}

function without(set: Iterable<string>, names: Iterable<string>): Set<string> {
  const out = new Set(set);
  for (const n of names) out.delete(n);
  return out;
}

function locate(pos: Pos) {
  return pos.map.locate(pos.offset);
}

/** Renders a fragment; slots whose dependencies miss `changed` become {@link UNCHANGED}. */
function renderFragment(fragment: Fragment, scope: Scope, changed: Changed): Rendered {
  if (fragment.constant !== undefined) return fragment.constant;
  const slots = fragment.slots;
  const dynamics: Slot[] = new Array<Slot>(slots.length);
  if (changed === undefined) {
    for (let i = 0; i < slots.length; i++)
      dynamics[i] = (slots[i] as SlotImpl).run(scope, undefined);
  } else {
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i] as SlotImpl;
      dynamics[i] = intersects(slot.deps, changed) ? slot.run(scope, changed) : UNCHANGED;
    }
  }
  return {
    type: "rendered",
    statics: fragment.statics,
    fingerprint: fragment.fingerprint,
    dynamics,
  };
}

/** A template compiled from DTL. Implements the shared {@link Template} contract. */
export class CompiledTemplate implements Template {
  /** Every top-level name the template (with its parents and includes) may read. */
  readonly dependencies: ReadonlySet<string>;

  /** @internal Templates come from `TemplateLoader`. */
  constructor(
    /** Template name: the file name relative to its dir, or the label given to `fromString`. */
    readonly name: string,
    /** @internal The compiled root fragment. */
    readonly fragment: Fragment,
  ) {
    this.dependencies = without(fragment.deps, [PARENTLOOP]);
  }

  /**
   * Renders to a Rendered tree. With `changed`, only slots reading one of those names are
   * evaluated (an `if` whose condition inputs did not change keeps its branch and skips its own
   * unchanged slots); the others are {@link UNCHANGED}. `{% now %}` reads no name, so a
   * change-tracked render never refreshes it.
   *
   * @throws TemplateRenderError for template-caused failures (unknown `{% url %}` route);
   * exceptions thrown by methods the template calls propagate as they are.
   */
  render(context: RenderContext, changed?: ReadonlySet<string>): Rendered {
    return renderFragment(
      this.fragment,
      { ctx: context, frame: null, state: new RenderState() },
      changed,
    );
  }
}

/** Compiles a parsed template (resolving its extends chain and includes) to a {@link CompiledTemplate}. */
export function compileTemplate(parsed: ParsedTemplate, host: CompileHost): CompiledTemplate {
  const env: Env = {
    host,
    locals: NO_DEPS,
    autoescape: true,
    blocks: undefined,
    superChain: undefined,
    stack: [parsed.name],
    purity: { impure: false },
    rowReads: undefined,
  };
  return new CompiledTemplate(parsed.name, compileTemplateBody(parsed, env));
}

function compileTemplateBody(parsed: ParsedTemplate, env: Env): Fragment {
  const builder = new FragmentBuilder();
  if (parsed.extends === undefined) {
    compileNodes(parsed.nodes, { ...env, blocks: undefined, superChain: undefined }, builder);
    return builder.build();
  }
  // Walk up the extends chain collecting block versions, most derived first.
  const chains = new Map<string, BlockNode[]>();
  const stack = [...env.stack];
  let current: ParsedTemplate = parsed;
  for (;;) {
    for (const [name, block] of current.blocks) {
      const chain = chains.get(name);
      if (chain === undefined) chains.set(name, [block]);
      else chain.push(block);
    }
    const ext = current.extends;
    if (ext === undefined) break;
    if (stack.includes(ext.name)) {
      throw new TemplateSyntaxError(
        `recursive extends: ${[...stack, ext.name].join(" → ")}`,
        locate(ext.pos),
      );
    }
    current = env.host.load(ext.name, ext.pos);
    stack.push(ext.name);
  }
  compileNodes(current.nodes, { ...env, blocks: chains, superChain: undefined, stack }, builder);
  return builder.build();
}

class FragmentBuilder {
  readonly statics: string[] = [""];
  readonly slots: SlotImpl[] = [];
  readonly deps = new Set<string>();
  impure = false;

  text(text: string): void {
    this.statics[this.statics.length - 1] += text;
  }

  slot(slot: SlotImpl): void {
    this.slots.push(slot);
    this.statics.push("");
    for (const d of slot.deps) this.deps.add(d);
    if (slot.impure === true) this.impure = true;
  }

  build(): Fragment {
    const statics = this.statics;
    const fingerprint = fingerprintOf(statics);
    return {
      statics,
      fingerprint,
      slots: this.slots,
      deps: this.deps,
      impure: this.impure,
      constant:
        this.slots.length === 0
          ? Object.freeze({ type: "rendered", statics, fingerprint, dynamics: Object.freeze([]) })
          : undefined,
    };
  }
}

function compileFragment(nodes: readonly Node[], env: Env): Fragment {
  const builder = new FragmentBuilder();
  compileNodes(nodes, env, builder);
  return builder.build();
}

function compileNodes(nodes: readonly Node[], env: Env, out: FragmentBuilder): void {
  compileSequence(flatten(nodes, env.autoescape, []), env, out);
}

/** A node with the autoescape setting it sits under. */
interface Placed {
  readonly node: Node;
  readonly autoescape: boolean;
}

// `{% autoescape %}` adds no structure (and no scope, in Django): its body joins the list it sits
// in, each node keeping its own setting, so an `as` name set inside it outlives it.
function flatten(nodes: readonly Node[], autoescape: boolean, into: Placed[]): Placed[] {
  for (const node of nodes) {
    if (node.kind === "autoescape") flatten(node.body, node.on, into);
    else into.push({ node, autoescape });
  }
  return into;
}

function compileSequence(items: readonly Placed[], env: Env, out: FragmentBuilder): void {
  for (let i = 0; i < items.length; i++) {
    const { node, autoescape } = items[i] as Placed;
    const here = autoescape === env.autoescape ? env : { ...env, autoescape };
    if (
      (node.kind === "url" ||
        node.kind === "firstof" ||
        node.kind === "now" ||
        node.kind === "cycle") &&
      node.asVar !== undefined
    ) {
      // The name is visible to the rest of this list: it becomes the body of the binder.
      out.slot(compileAssignment(node, node.asVar, items.slice(i + 1), here));
      return;
    }
    compileNode(node, here, out);
  }
}

type AssigningNode = Extract<Node, { kind: "url" | "firstof" | "now" | "cycle" }>;

/**
 * `{% url/firstof/now/cycle ... as name %}` followed by `rest`: one slot that evaluates the tag
 * once, binds `name` and renders `rest` with it, like `{% with %}` around the rest of the list.
 *
 * Django sets the name in the current context dict instead, so there it is also visible after an
 * enclosing `if`/`spaceless` ends (up to the enclosing `for`/`with`/`block`/include) and, in a
 * loop, in the next iteration before the tag. Binding it lexically keeps change tracking static:
 * slots reading `name` depend on the tag's inputs, and `name` never becomes a top-level
 * dependency.
 */
function compileAssignment(
  node: AssigningNode,
  name: string,
  rest: readonly Placed[],
  env: Env,
): SlotImpl {
  const value = compileAssignedValue(node, env);
  // A named cycle still prints its value unless silent: that output reads the bound name.
  const shown: readonly Placed[] =
    node.kind === "cycle" && !node.silent
      ? [
          {
            node: { kind: "output", expr: varExpr(name, node.pos), pos: node.pos },
            autoescape: env.autoescape,
          },
          ...rest,
        ]
      : rest;
  const builder = new FragmentBuilder();
  compileSequence(shown, { ...env, locals: union(env.locals, [name]) }, builder);
  return bindingSlot([name], [value], builder.build(), false, value.impure === true);
}

function compileNode(node: Node, env: Env, out: FragmentBuilder): void {
  switch (node.kind) {
    case "text":
      out.text(node.text);
      return;
    case "output":
      compileOutput(node.expr, env, out);
      return;
    case "block":
      compileBlock(node, env, out);
      return;
    case "autoescape":
      compileNodes(node.body, { ...env, autoescape: node.on }, out);
      return;
    case "if":
      out.slot(compileIf(node, env));
      return;
    case "for":
      out.slot(compileFor(node, env));
      return;
    case "with":
      out.slot(
        compileBinder(
          node.bindings,
          compileFragmentWith(
            node.body,
            env,
            node.bindings.map((b) => b.name),
            false,
          ),
          env,
          false,
        ),
      );
      return;
    case "include":
      out.slot(compileInclude(node, env));
      return;
    case "csrf": {
      const token = compileExpr(varExpr("csrf_token", node.pos), env, false);
      out.slot({
        deps: token.deps,
        run: (scope) => {
          const value = unwrap(token.fn(scope));
          if (!truthy(value) || value === "NOTPROVIDED") return "";
          return `<input type="hidden" name="csrfmiddlewaretoken" value="${escapeHtml(stringify(value))}">`;
        },
      });
      return;
    }
    case "firstof": {
      const exprs = node.exprs.map((e) => compileExpr(e, env, false));
      const autoescape = env.autoescape;
      out.slot({
        deps: union(...exprs.map((e) => e.deps)),
        run: (scope) => {
          for (const e of exprs) {
            const v = e.fn(scope);
            if (truthy(v)) return outputText(v, autoescape);
          }
          return "";
        },
      });
      return;
    }
    case "cycle": {
      const next = compileCycle(node, env);
      const silent = node.silent;
      const autoescape = env.autoescape;
      out.slot({
        deps: next.deps,
        impure: true,
        run: (scope) => {
          const value = next.fn(scope);
          return silent ? "" : outputText(value, autoescape);
        },
      });
      return;
    }
    case "now": {
      const format = node.format;
      // Like Django, not escaped: the format string is the template author's own text.
      out.slot({ deps: NO_DEPS, impure: true, run: () => formatDate(new Date(), format) });
      return;
    }
    case "url":
      out.slot(compileUrl(node, env));
      return;
    case "spaceless": {
      const body = compileFragment(node.body, env);
      out.slot({
        deps: body.deps,
        impure: body.impure,
        run: (scope) =>
          renderToString(renderFragment(body, scope, undefined))
            .trim()
            .replace(/>\s+</g, "><"),
      });
      return;
    }
  }
}

function varExpr(name: string, pos: Pos): FilterExpr {
  return { primary: { kind: "var", path: [name], pos }, filters: [], pos };
}

/** Text for a value in the page: autoescaped unless safe; dates localized like Django's. */
function outputText(value: unknown, autoescape: boolean): string {
  if (typeof value === "string") return autoescape ? escapeHtml(value) : value;
  if (typeof value === "number") return String(value);
  if (value instanceof SafeString) return value.value;
  const text =
    value instanceof Date && !Number.isNaN(value.getTime())
      ? formatDate(value, "N j, Y, P")
      : stringify(value);
  return autoescape ? escapeHtml(text) : text;
}

function compileOutput(expr: FilterExpr, env: Env, out: FragmentBuilder): void {
  const p = expr.primary;
  if (
    p.kind === "var" &&
    env.superChain !== undefined &&
    p.path.length === 2 &&
    p.path[0] === "block" &&
    p.path[1] === "super" &&
    !env.locals.has("block")
  ) {
    const [parent, ...rest] = env.superChain;
    const superEnv: Env = { ...env, superChain: rest };
    if (expr.filters.length === 0) {
      // The common case splices the parent block in place: no extra slot or nesting.
      if (parent !== undefined) compileNodes(parent.body, superEnv, out);
      return;
    }
    const body = parent === undefined ? undefined : compileFragment(parent.body, superEnv);
    const filtered = applyFilters(
      (scope) =>
        markSafe(body === undefined ? "" : renderToString(renderFragment(body, scope, undefined))),
      expr,
      env,
    );
    const autoescape = env.autoescape;
    out.slot({
      deps: body?.deps ?? NO_DEPS,
      impure: body?.impure ?? false,
      run: (scope) => outputText(filtered(scope), autoescape),
    });
    return;
  }
  const compiled = compileExpr(expr, env, true);
  const fn = compiled.fn;
  const autoescape = env.autoescape;
  out.slot({ deps: compiled.deps, run: (scope) => outputText(fn(scope), autoescape) });
}

function compileBlock(node: BlockNode, env: Env, out: FragmentBuilder): void {
  const chain = env.blocks?.get(node.name);
  if (chain === undefined || chain.length === 0) {
    compileNodes(node.body, { ...env, superChain: [] }, out);
    return;
  }
  const [first, ...rest] = chain;
  compileNodes((first as BlockNode).body, { ...env, superChain: rest }, out);
}

// ---------------------------------------------------------------------------------------------
// Expressions

interface CompiledExpr {
  readonly fn: Evaluator;
  readonly deps: ReadonlySet<string>;
}

function compilePrimary(primary: Primary, env: Env): CompiledExpr {
  if (primary.kind === "literal") {
    const value = primary.value;
    return { fn: () => value, deps: NO_DEPS };
  }
  const path = primary.path;
  const root = path[0] as string;
  const deps = new Set([root]);
  for (let rr = env.rowReads; rr !== undefined; rr = rr.outer) {
    if (rr.target !== root) continue;
    const field = path[1];
    // The dict helpers and the bare row depend on every field.
    if (field === undefined || field === "items" || field === "keys" || field === "values")
      rr.whole = true;
    else rr.fields.add(field);
  }
  if (root === "forloop" && path[1] === "parentloop") deps.add(PARENTLOOP);
  const local = env.locals.has(root);
  const getRoot: Evaluator = local
    ? (scope) => lookupLocal(scope.frame, root)
    : (scope) => callIfCallable(getMember(scope.ctx, root), scope.ctx);
  if (path.length === 1) return { fn: getRoot, deps };
  const rest = path.slice(1);
  if (rest.length === 1) {
    const key = rest[0] as string;
    return {
      fn: (scope) => {
        const owner = getRoot(scope);
        if (owner === undefined || owner === null) return undefined;
        // Inlined plain-object case of getMember: `row.field` inside loops is the hot path.
        if (typeof owner === "object" && Object.getPrototypeOf(owner) === OBJECT_PROTOTYPE) {
          const direct = (owner as Record<string, unknown>)[key];
          if (direct !== undefined && typeof direct !== "function") return direct;
        }
        const value = getMember(owner, key);
        return typeof value === "function" ? callIfCallable(value, owner) : value;
      },
      deps,
    };
  }
  return {
    fn: (scope) => {
      let value = getRoot(scope);
      for (let i = 0; i < rest.length; i++) {
        if (value === undefined || value === null) return undefined;
        const owner = value;
        value = callIfCallable(getMember(owner, rest[i] as string), owner);
      }
      return value;
    },
    deps,
  };
}

function applyFilters(base: Evaluator, expr: FilterExpr, env: Env): Evaluator {
  if (expr.filters.some((call) => call.spec.pure !== true)) env.purity.impure = true;
  let fn = base;
  const options = { autoescape: env.autoescape };
  for (const call of expr.filters) {
    const prev = fn;
    const spec = call.spec;
    const filterFn = spec.fn;
    const isSafe = spec.isSafe === true;
    const arg = call.arg === undefined ? undefined : compilePrimary(call.arg, env).fn;
    fn = (scope) => {
      const value = prev(scope);
      const result = filterFn(value, arg === undefined ? undefined : arg(scope), options);
      return isSafe && value instanceof SafeString && typeof result === "string"
        ? markSafe(result)
        : result;
    };
  }
  return fn;
}

/**
 * Compiles `primary|filters`. With `missingAsEmpty` a failed lookup yields `""` before the
 * filters run (Django's `string_if_invalid` for `{{ }}`, `with` and `include`); without it,
 * `None` (Django's `ignore_failures`, used by `if`, `for` and `firstof`).
 */
function compileExpr(expr: FilterExpr, env: Env, missingAsEmpty: boolean): CompiledExpr {
  const primary = compilePrimary(expr.primary, env);
  const deps = new Set(primary.deps);
  for (const call of expr.filters) {
    if (call.arg?.kind === "var") deps.add(call.arg.path[0] as string);
  }
  let base = primary.fn;
  if (missingAsEmpty && expr.primary.kind === "var") {
    const lookup = base;
    base = (scope) => {
      const v = lookup(scope);
      return v === undefined ? "" : v;
    };
  }
  return { fn: expr.filters.length === 0 ? base : applyFilters(base, expr, env), deps };
}

function compileCondition(cond: Condition, env: Env): CompiledExpr {
  switch (cond.kind) {
    case "value":
      return compileExpr(cond.expr, env, false);
    case "not": {
      const operand = compileCondition(cond.operand, env);
      const fn = operand.fn;
      return { fn: guarded((scope) => !truthy(fn(scope))), deps: operand.deps };
    }
    case "and":
    case "or": {
      const left = compileCondition(cond.left, env);
      const right = compileCondition(cond.right, env);
      const isAnd = cond.kind === "and";
      return {
        fn: guarded((scope) => {
          const l = left.fn(scope);
          if (truthy(l) !== isAnd) return l;
          return right.fn(scope);
        }),
        deps: union(left.deps, right.deps),
      };
    }
    case "compare": {
      const left = compileCondition(cond.left, env);
      const right = compileCondition(cond.right, env);
      const test = comparison(cond.op);
      return {
        fn: guarded((scope) => test(left.fn(scope), right.fn(scope))),
        deps: union(left.deps, right.deps),
      };
    }
  }
}

// Django's `if` operators evaluate to False when evaluating them raises (a lone value does
// not); TemplateRenderError is ours and must surface.
function guarded(fn: Evaluator): Evaluator {
  return (scope) => {
    try {
      return fn(scope);
    } catch (error) {
      if (error instanceof TemplateRenderError) throw error;
      return false;
    }
  };
}

function comparison(op: string): (a: unknown, b: unknown) => boolean {
  switch (op) {
    case "==":
      return pyEqual;
    case "!=":
      return (a, b) => !pyEqual(a, b);
    case "<":
      return (a, b) => (pyCompare(a, b) ?? 0) < 0;
    case ">":
      return (a, b) => (pyCompare(a, b) ?? 0) > 0;
    case "<=":
      return (a, b) => {
        const c = pyCompare(a, b);
        return c !== undefined && c <= 0;
      };
    case ">=":
      return (a, b) => {
        const c = pyCompare(a, b);
        return c !== undefined && c >= 0;
      };
    case "in":
      return (a, b) => pyContains(b, a) === true;
    case "not in":
      return (a, b) => pyContains(b, a) === false;
    case "is":
      return (a, b) => isSame(a, b);
    default:
      return (a, b) => !isSame(a, b);
  }
}

function isSame(a: unknown, b: unknown): boolean {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  return unwrap(a) === unwrap(b);
}

// ---------------------------------------------------------------------------------------------
// Tags with structure

function compileIf(node: Extract<Node, { kind: "if" }>, env: Env): SlotImpl {
  const conditions = node.branches.map((b) =>
    b.condition === null ? undefined : compileCondition(b.condition, env),
  );
  const fragments = node.branches.map((b) => compileFragment(b.body, env));
  const condDeps = union(...conditions.map((c) => c?.deps ?? NO_DEPS));
  const tests = conditions.map((c) => c?.fn);
  return {
    deps: union(condDeps, ...fragments.map((f) => f.deps)),
    impure: fragments.some((f) => f.impure),
    run: (scope, changed) => {
      for (let i = 0; i < tests.length; i++) {
        const test = tests[i];
        if (test !== undefined && !truthy(test(scope))) continue;
        // Same condition inputs ⇒ same branch as last time, so the branch may itself skip
        // unchanged slots; otherwise it must be complete for the client to replace it.
        const nested =
          changed !== undefined && !intersects(condDeps, changed) ? changed : undefined;
        return renderFragment(fragments[i] as Fragment, scope, nested);
      }
      return "";
    },
  };
}

// What an item's entry key is made from: its `id`, else its `key`.
function rawKey(item: unknown): unknown {
  if (typeof item !== "object" || item === null || Array.isArray(item)) return undefined;
  const rec = item as { id?: unknown; key?: unknown };
  return "id" in rec ? rec.id : rec.key;
}

function keyText(raw: unknown): string | undefined {
  if (typeof raw === "string") return raw;
  if (typeof raw === "number" || typeof raw === "bigint") return String(raw);
  return undefined;
}

/** Entry keys of one render, with the raw values they were made from. */
interface LoopKeys {
  /** Only when every item has a distinct key: the diff cannot match entries otherwise. */
  readonly keys: readonly string[] | undefined;
  readonly raw: readonly unknown[] | undefined;
}

const NO_KEYS: LoopKeys = { keys: undefined, raw: undefined };

function entryKeys(items: readonly unknown[]): LoopKeys {
  const n = items.length;
  const keys = new Array<string>(n);
  const raw = new Array<unknown>(n);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = rawKey(items[i]);
    const key = keyText(r);
    if (key === undefined || seen.has(key)) return NO_KEYS;
    seen.add(key);
    keys[i] = key;
    raw[i] = r;
  }
  return { keys, raw };
}

interface ForLoop {
  counter: number;
  counter0: number;
  revcounter: number;
  revcounter0: number;
  first: boolean;
  last: boolean;
  parentloop: unknown;
}

/**
 * A loop's last render, row by row. Its arrays belong to the memo (the Comprehension handed out
 * gets a copy), so a re-render of the same list with the same keys updates them in place.
 */
interface LoopMemo extends LoopKeys {
  readonly count: number;
  readonly entries: ComprehensionEntry[];
  /**
   * Per row, the item's snapshot when its entry was rendered (see {@link snapshot}), or
   * `undefined` when the entry may not be reused.
   */
  readonly snaps: (readonly unknown[] | undefined)[];
  /**
   * Per row, an item known to be a plain object holding the values of its snapshot (or
   * {@link UNSEEN}): finding the same object again skips the prototype check. This keeps the
   * rows of one list alive until the loop's next render.
   */
  readonly items: unknown[];
  /** The Comprehension of exactly `entries`, returned again when no row changed. */
  output: Comprehension | undefined;
  /** Key → index, built only when some row moved. */
  byKey: Map<string, number> | undefined;
}

// The values of the fields a row reads (`fields`), or of all its own enumerable fields as
// `[key, value, ...]` (`fields` undefined), when they are all primitives: the entry rendered
// from the item is then a pure function of this snapshot and its loop position.
function snapshot(
  item: Record<string, unknown>,
  fields: readonly string[] | undefined,
): unknown[] | undefined {
  const out: unknown[] = [];
  if (fields !== undefined) {
    for (let j = 0; j < fields.length; j++) {
      const v = item[fields[j] as string];
      if ((typeof v === "object" && v !== null) || typeof v === "function") return undefined;
      out.push(v);
    }
    return out;
  }
  for (const k in item) {
    const v = item[k];
    if ((typeof v === "object" && v !== null) || typeof v === "function") return undefined;
    out.push(k, v);
  }
  return out;
}

// The check of a loop whose body uses its row whole: same own enumerable fields, same values.
function sameWhole(item: Record<string, unknown>, snap: readonly unknown[]): boolean {
  let j = 0;
  for (const k in item) {
    if (j >= snap.length || snap[j] !== k || snap[j + 1] !== item[k]) return false;
    j += 2;
  }
  return j === snap.length;
}

/** Whether a row's fields still hold its snapshot's values (see {@link fieldCheck}). */
export type FieldCheck = (item: Record<string, unknown>, snap: readonly unknown[]) => boolean;

let codegenAllowed: boolean | undefined;

// Edge runtimes and hosts with a strict CSP refuse to compile code from strings.
function canGenerateCode(): boolean {
  if (codegenAllowed === undefined) {
    try {
      codegenAllowed = (new Function("return true") as () => unknown)() === true;
    } catch {
      codegenAllowed = false;
    }
  }
  return codegenAllowed;
}

/**
 * The row-memo check of a loop whose body reads `fields` of its row: `item[f] === snap[j]` for
 * each field.
 *
 * Written as a loop, `item[f]` is one keyed load site shared by every field of every loop, which
 * V8 handles megamorphically; in profiles of a one-row change in a 1,000-row table that load was
 * over half of the re-render. So where the runtime allows it, each loop gets a generated
 * comparator with one property read per field, each its own (monomorphic) site, about twice as
 * fast. Only the field names, quoted by `JSON.stringify`, and array indexes go into its source:
 * no template text, so nothing a template says can run as code. Where code generation is not
 * allowed, the loop is used. `generate` exists for tests.
 *
 * @internal
 */
export function fieldCheck(fields: readonly string[], generate = canGenerateCode()): FieldCheck {
  if (generate && fields.length > 0) {
    const test = fields.map((f, j) => `o[${JSON.stringify(f)}] === s[${j}]`).join(" && ");
    try {
      return new Function("o", "s", `"use strict"; return ${test};`) as FieldCheck;
    } catch {
      // Refused after all (a policy that changed after the probe): the loop below is correct.
    }
  }
  return (item, snap) => {
    for (let j = 0; j < fields.length; j++) {
      if (item[fields[j] as string] !== snap[j]) return false;
    }
    return true;
  };
}

function keyIndex(memo: LoopMemo): Map<string, number> {
  if (memo.byKey === undefined) {
    memo.byKey = new Map();
    const keys = memo.keys;
    if (keys !== undefined)
      for (let i = 0; i < keys.length; i++) memo.byKey.set(keys[i] as string, i);
  }
  return memo.byKey;
}

// Stands for "no item remembered" in LoopMemo.items; never an element of a user's list.
const UNSEEN: unknown = Object.freeze({});

// Outcomes of refreshing a loop memo in place.
const SAME = 0;
const CHANGED = 1;
const MOVED = 2;

// When the data was replaced wholesale, comparing rows is wasted work: stop after this many
// misses in a row unless something already hit.
const MAX_LEADING_MISSES = 16;

function compileFor(node: Extract<Node, { kind: "for" }>, env: Env): SlotImpl {
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
  const sameRow: FieldCheck = readFields === undefined ? sameWhole : fieldCheck(readFields);
  if (purity.impure) env.purity.impure = true;
  const empty = node.empty === null ? undefined : compileFragment(node.empty, env);
  const reversed = node.reversed;
  const unpack = node.targets.length > 1;
  const targetCount = node.targets.length;
  const forloopIsLocal = env.locals.has("forloop");
  const statics = body.statics;
  const fingerprint = body.fingerprint;
  const bodySlots = body.slots;
  const slotCount = bodySlots.length;
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
  // The last render's memo, plus one per iterated array: a view that mutates its list in place
  // keeps its own memo even when other views render the same compiled template in between.
  let memo: LoopMemo | undefined;
  const memoByList = new WeakMap<object, LoopMemo>();

  /** Evaluates row `i` of `n` (the frame's `values` are the loop's own bindings). */
  const renderRow = (
    inner: Scope,
    values: unknown[],
    parentloop: unknown,
    item: unknown,
    key: string | undefined,
    i: number,
    n: number,
  ): ComprehensionEntry => {
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
      for (let t = 0; t < targetCount; t++) values[t + 1] = parts[t];
    } else values[1] = item;
    const dynamics: Dynamic[] = new Array<Dynamic>(slotCount);
    for (let s = 0; s < slotCount; s++)
      dynamics[s] = (bodySlots[s] as SlotImpl).run(inner, undefined);
    return key === undefined ? { dynamics } : { key, dynamics };
  };

  // Re-renders, in place, the rows of `target` (a memo with as many rows as `items`) whose items
  // changed. With `raw`, also checks that every item still has that raw key at its index and
  // stops at the first that does not (MOVED): rows before it are then up to date.
  const refresh = (
    target: LoopMemo,
    items: readonly unknown[],
    raw: readonly unknown[] | undefined,
    track: boolean,
    inner: Scope,
    values: unknown[],
  ): typeof SAME | typeof CHANGED | typeof MOVED => {
    const { entries, snaps, keys } = target;
    const rowItems = target.items;
    const n = items.length;
    let misses = 0;
    let result: typeof SAME | typeof CHANGED = SAME;
    for (let i = 0; i < n; i++) {
      const item = items[i];
      if (raw !== undefined && rawKey(item) !== raw[i]) return MOVED;
      const snap = misses <= MAX_LEADING_MISSES ? snaps[i] : undefined;
      // The item the snapshot was taken from was plain; the same object still is (short of
      // `Object.setPrototypeOf`), and the identity check is cheaper than the prototype check.
      const same = item === rowItems[i];
      if (snap !== undefined && (same || isPlainObject(item))) {
        if (sameRow(item as Record<string, unknown>, snap)) {
          // Remembered for the next render only in the list's own memo: storing a whole list of
          // new objects into an old array on every render (reloaded rows) costs more than it saves.
          if (!same && track) rowItems[i] = item;
          misses = -Infinity;
          continue;
        }
        misses++;
      }
      // Dropped before the row is rendered: if rendering throws, the rows updated so far must
      // not be answered with the output of the render before them.
      target.output = undefined;
      entries[i] = renderRow(inner, values, EMPTY_PARENTLOOP, item, keys?.[i], i, n);
      snaps[i] = isPlainObject(item) ? snapshot(item, readFields) : undefined;
      rowItems[i] = item;
      result = CHANGED;
    }
    return result;
  };

  // Renders every row of `items`, reusing entries of `previous` (matched by key, or by index
  // for unkeyed lists) whose items did not change.
  const rebuild = (
    previous: LoopMemo | undefined,
    items: readonly unknown[],
    loopKeys: LoopKeys,
    inner: Scope,
    values: unknown[],
  ): LoopMemo => {
    const n = items.length;
    const keys = loopKeys.keys;
    const entries = new Array<ComprehensionEntry>(n);
    const snaps = new Array<readonly unknown[] | undefined>(n);
    let from = previous;
    let misses = 0;
    for (let i = 0; i < n; i++) {
      const item = items[i];
      const key = keys?.[i];
      const plain = isPlainObject(item);
      if (from !== undefined && plain) {
        let p: number | undefined;
        if (key === undefined) p = from.keys === undefined && i < from.count ? i : undefined;
        else p = from.keys?.[i] === key ? i : keyIndex(from).get(key);
        if (p !== undefined && positional && (p !== i || from.count !== n)) p = undefined;
        const snap = p === undefined ? undefined : from.snaps[p];
        if (snap !== undefined && sameRow(item, snap)) {
          entries[i] = from.entries[p as number] as ComprehensionEntry;
          snaps[i] = snap;
          misses = -Infinity;
          continue;
        }
        if (++misses > MAX_LEADING_MISSES) from = undefined;
      }
      entries[i] = renderRow(inner, values, EMPTY_PARENTLOOP, item, key, i, n);
      snaps[i] = plain ? snapshot(item, readFields) : undefined;
    }
    return {
      ...loopKeys,
      count: n,
      entries,
      snaps,
      items: items.slice(),
      output: undefined,
      byKey: undefined,
    };
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
      let items = toList(list);
      if (reversed) items = [...items].reverse();
      const n = items.length;
      if (n === 0) {
        memo = undefined;
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
      if (!memoizable) {
        const parentloop = forloopIsLocal ? lookupLocal(scope.frame, "forloop") : {};
        const keys = entryKeys(items).keys;
        const entries = new Array<ComprehensionEntry>(n);
        for (let i = 0; i < n; i++)
          entries[i] = renderRow(inner, values, parentloop, items[i], keys?.[i], i, n);
        return { type: "comprehension", statics, fingerprint, entries };
      }
      const listObject = typeof list === "object" && list !== null ? list : undefined;
      const own = listObject === undefined ? undefined : memoByList.get(listObject);
      const previous = own ?? memo;
      let next: LoopMemo;
      let keys: LoopKeys | undefined;
      // Same rows at the same places (same raw keys, checked as it goes, or both unkeyed):
      // update in place, on a copy when the memo was another list's.
      if (
        previous !== undefined &&
        previous.count === n &&
        (previous.raw !== undefined || (keys = entryKeys(items)).keys === undefined)
      ) {
        next =
          previous === own
            ? previous
            : {
                ...previous,
                entries: previous.entries.slice(),
                snaps: previous.snaps.slice(),
                items: new Array<unknown>(n).fill(UNSEEN),
              };
        const result = refresh(next, items, previous.raw, previous === own, inner, values);
        if (result === SAME && next.output !== undefined) {
          memo = next;
          if (listObject !== undefined) memoByList.set(listObject, next);
          return next.output;
        }
        if (result === MOVED) next = rebuild(next, items, entryKeys(items), inner, values);
      } else next = rebuild(previous, items, keys ?? entryKeys(items), inner, values);
      next.output = { type: "comprehension", statics, fingerprint, entries: next.entries.slice() };
      memo = next;
      if (listObject !== undefined) memoByList.set(listObject, next);
      return next.output;
    },
  };
}

function compileFragmentWith(
  nodes: readonly Node[],
  env: Env,
  names: readonly string[],
  isolated: boolean,
): Fragment {
  const locals = isolated ? new Set(names) : union(env.locals, names);
  return compileFragment(nodes, { ...env, locals });
}

/**
 * A slot that binds `bindings` and renders `body` (compiled with those names local). With
 * `isolated` (`include ... only`) the body sees nothing but the bindings.
 */
function compileBinder(
  bindings: readonly { name: string; expr: FilterExpr }[],
  body: Fragment,
  env: Env,
  isolated: boolean,
): SlotImpl {
  return bindingSlot(
    bindings.map((b) => b.name),
    bindings.map((b) => compileExpr(b.expr, env, true)),
    body,
    isolated,
    false,
  );
}

function bindingSlot(
  names: readonly string[],
  values: readonly CompiledExpr[],
  body: Fragment,
  isolated: boolean,
  impure: boolean,
): SlotImpl {
  const bindingDeps = union(...values.map((v) => v.deps));
  const fns = values.map((v) => v.fn);
  return {
    deps: isolated ? bindingDeps : union(bindingDeps, without(body.deps, names)),
    impure: impure || body.impure,
    run: (scope, changed) => {
      const bound = fns.map((fn) => fn(scope));
      const frame =
        names.length === 0 && !isolated
          ? scope.frame
          : new Frame(isolated ? null : scope.frame, names, bound);
      const inner: Scope = { ctx: isolated ? EMPTY_CONTEXT : scope.ctx, frame, state: scope.state };
      let nested: Changed;
      if (changed !== undefined) {
        // Inside, a bound name counts as changed when what it was computed from changed.
        const set = isolated ? new Set<string>() : new Set(changed);
        values.forEach((v, i) => {
          if (intersects(v.deps, changed)) set.add(names[i] as string);
        });
        nested = set;
      }
      return renderFragment(body, inner, nested);
    },
  };
}

/** The value an assigning tag binds with `as` (see compileAssignment), as Django computes it. */
function compileAssignedValue(node: AssigningNode, env: Env): CompiledExpr & { impure?: boolean } {
  switch (node.kind) {
    case "url":
      return compileUrlValue(node, env, true);
    case "cycle":
      return { ...compileCycle(node, env), impure: true };
    case "now": {
      const format = node.format;
      return { fn: () => formatDate(new Date(), format), deps: NO_DEPS, impure: true };
    }
    case "firstof": {
      const exprs = node.exprs.map((e) => compileExpr(e, env, false));
      const autoescape = env.autoescape;
      return {
        deps: union(...exprs.map((e) => e.deps)),
        // Django stores the text it would have printed: escaped and marked safe under
        // autoescape (so `{{ name }}` does not escape it twice), plain text otherwise.
        fn: (scope) => {
          for (const e of exprs) {
            const v = e.fn(scope);
            if (!truthy(v)) continue;
            if (autoescape) return markSafe(outputText(v, true));
            return v instanceof SafeString ? v : outputText(v, false);
          }
          return "";
        },
      };
    }
  }
}

/** Advances a cycle and returns its current value (unescaped). */
function compileCycle(node: Extract<Node, { kind: "cycle" }>, env: Env): CompiledExpr {
  const values = node.values.map((e) => compileExpr(e, env, true));
  const key = node.state;
  return {
    deps: union(...values.map((v) => v.deps)),
    fn: (scope) => {
      const counter = scope.state.cycles.get(key) ?? 0;
      scope.state.cycles.set(key, counter + 1);
      return (values[counter % values.length] as CompiledExpr).fn(scope);
    },
  };
}

function compileInclude(node: Extract<Node, { kind: "include" }>, env: Env): SlotImpl {
  if (env.stack.includes(node.name)) {
    throw new TemplateSyntaxError(
      `recursive include: ${[...env.stack, node.name].join(" → ")} (includes are expanded at compile time)`,
      locate(node.pos),
    );
  }
  const parsed = env.host.load(node.name, node.pos);
  const names = node.bindings.map((b) => b.name);
  const body = compileTemplateBody(parsed, {
    ...env,
    locals: node.only ? new Set(names) : union(env.locals, names),
    stack: [...env.stack, node.name],
  });
  return compileBinder(node.bindings, body, env, node.only);
}

function compileUrl(node: Extract<Node, { kind: "url" }>, env: Env): SlotImpl {
  const url = compileUrlValue(node, env, false);
  const fn = url.fn;
  const autoescape = env.autoescape;
  return { deps: url.deps, run: (scope) => outputText(fn(scope), autoescape) };
}

/**
 * The URL of a `{% url %}` (unescaped). With `lenient` (the `as` form) a route that cannot be
 * reversed gives `""`, as Django does for `NoReverseMatch` there; a loader without `urlFor` is a
 * configuration error either way.
 */
function compileUrlValue(
  node: Extract<Node, { kind: "url" }>,
  env: Env,
  lenient: boolean,
): CompiledExpr {
  const name = compileExpr(node.name, env, true);
  const args = node.args.map((a) => compileExpr(a, env, true));
  const urlFor = env.host.urlFor;
  const pos = node.pos;
  return {
    deps: union(name.deps, ...args.map((a) => a.deps)),
    fn: (scope) => {
      const routeName = stringify(unwrap(name.fn(scope)));
      const argValues = args.map((a) => unwrap(a.fn(scope)));
      if (urlFor === undefined) {
        throw new TemplateRenderError(
          `{% url "${routeName}" %}: the template loader has no urlFor option to resolve route names`,
          locate(pos),
        );
      }
      let url: unknown;
      try {
        url = urlFor(routeName, argValues);
      } catch (error) {
        if (lenient) return "";
        throw new TemplateRenderError(
          `{% url %}: no route named "${routeName}" accepts arguments ${JSON.stringify(argValues)}: ${error instanceof Error ? error.message : String(error)}`,
          locate(pos),
          { cause: error },
        );
      }
      if (typeof url !== "string") {
        if (lenient) return "";
        throw new TemplateRenderError(`{% url %}: no route named "${routeName}"`, locate(pos));
      }
      return url;
    },
  };
}
