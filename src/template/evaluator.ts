/**
 * Compiles expressions into evaluators: variable lookups (with their dependencies), filter
 * chains and `{% if %}` conditions with Python's comparison semantics.
 * @module
 */
import type { Condition, FilterExpr, Primary } from "./ast.js";
import type { Env } from "./env.js";
import type { FilterOptions } from "./filters.js";
import { TemplateRenderError } from "./errors.js";
import * as runtime from "./values.js";
import { pyCompare, pyContains, pyEqual, type Scope } from "./values.js";
import * as safe from "./safe.js";
import { NO_DEPS, readsOf, union } from "./tracking.js";
import { fieldReader, type FieldHelpers } from "./codegen.js";

// Render-time helpers as module-local constants: when this file is transpiled to CommonJS (tsx,
// bundlers) each use of an imported binding is a getter call, which dominated render profiles.
// The other compiler modules do the same with the helpers they call at render time.
const SafeString = safe.SafeString;
const markSafe = safe.markSafe;
const { callIfCallable, getMember, lookupLocal, stringify, truthy, unwrap } = runtime;

const OBJECT_PROTOTYPE: unknown = Object.prototype;
const FIELD_HELPERS: FieldHelpers = { lookupLocal, getMember, callIfCallable };

/** A compiled expression's code: its value in a scope. */
export type Evaluator = (scope: Scope) => unknown;

/** An evaluator and the names it reads. */
export interface CompiledExpr {
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
  const deps = readsOf(path, env.rowReads);
  const local = env.locals.has(root);
  const getRoot: Evaluator = local
    ? localLookup(root)
    : (scope) => callIfCallable(getMember(scope.ctx, root), scope.ctx);
  if (path.length === 1) return { fn: getRoot, deps };
  const rest = path.slice(1);
  if (rest.length === 1 && local) {
    // `row.field` inside a loop, the hot path: one function per reference (see fieldReader).
    return { fn: fieldReader(root, rest[0] as string, FIELD_HELPERS), deps };
  }
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

/**
 * The lookup of a local name. The frame it sits in is usually made by the same binder on every
 * evaluation (a loop's row frame): where the name was found in the innermost frame is
 * remembered by that frame's name list (fixed per binder, never mutated), which skips the search
 * through the frame chain.
 */
function localLookup(name: string): Evaluator {
  let names: readonly string[] | undefined;
  let index = 0;
  return (scope) => {
    const frame = scope.frame;
    if (frame === null) return undefined;
    if (frame.names === names) return frame.values[index];
    const i = frame.names.indexOf(name);
    if (i < 0) return lookupLocal(frame.parent, name);
    names = frame.names;
    index = i;
    return frame.values[i];
  };
}

export function applyFilters(base: Evaluator, expr: FilterExpr, env: Env): Evaluator {
  if (expr.filters.some((call) => call.spec.pure !== true)) env.purity.impure = true;
  let fn = base;
  const options: FilterOptions = {
    autoescape: env.autoescape,
    timeZone: env.host.timeZone ?? "UTC",
    locale: env.host.locale ?? "en",
  };
  for (const call of expr.filters) {
    const prev = fn;
    const spec = call.spec;
    const filterFn = spec.fn;
    const isSafe = spec.isSafe === true;
    const arg = call.arg === undefined ? undefined : compilePrimary(call.arg, env).fn;
    fn = (scope) => {
      const value = prev(scope);
      const result = filterFn(value, arg === undefined ? undefined : arg(scope), options);
      // Django's is_safe: a safe input makes the result safe, converted to text whatever it is
      // (mark_safe of a list is the list's text).
      return isSafe && value instanceof SafeString && !(result instanceof SafeString)
        ? markSafe(stringify(result))
        : result;
    };
  }
  return fn;
}

/**
 * Compiles `primary|filters`. With `missingAsEmpty` a failed lookup yields `""` before the
 * filters run (Django's `string_if_invalid` for `{{ }}`, `with` and `include`); without it,
 * `None` (Django's `ignore_failures`, used by `if`, `for` and `firstof`): the filters see
 * `null`, so `{% if missing|lower %}` tests `"none"`.
 */
export function compileExpr(expr: FilterExpr, env: Env, missingAsEmpty: boolean): CompiledExpr {
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
  } else if (expr.filters.length > 0 && expr.primary.kind === "var") {
    const lookup = base;
    base = (scope) => {
      const v = lookup(scope);
      return v === undefined ? null : v;
    };
  }
  return { fn: expr.filters.length === 0 ? base : applyFilters(base, expr, env), deps };
}

export function compileCondition(cond: Condition, env: Env): CompiledExpr {
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
