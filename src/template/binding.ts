/**
 * Slots that bind names: `{% with %}`, `{% include %}` and the `as name` forms render a body in
 * which the bound names are locals, and a change-tracked render passes a bound name on as
 * changed when what it was computed from changed.
 * @module
 */
import type { RenderContext } from "../render/tree.js";
import type { FilterExpr, Node } from "./ast.js";
import type { Env } from "./env.js";
import { compileExpr, type CompiledExpr } from "./evaluator.js";
import { renderFragment, type Changed, type Fragment, type SlotImpl } from "./fragment.js";
import { Frame, type Scope } from "./values.js";
import { intersects, union, without } from "./tracking.js";

// The context of an isolated body (`include ... only`): it sees nothing but its bindings.
const EMPTY_CONTEXT: RenderContext = Object.freeze({});

/** Compiles `nodes` with `names` local (with `isolated`, the only names it sees). */
export function compileFragmentWith(
  nodes: readonly Node[],
  env: Env,
  names: readonly string[],
  isolated: boolean,
): Fragment {
  const locals = isolated ? new Set(names) : union(env.locals, names);
  return env.compileBody(nodes, { ...env, locals });
}

/**
 * A slot that binds `bindings` and renders `body` (compiled with those names local). With
 * `isolated` (`include ... only`) the body sees nothing but the bindings.
 */
export function compileBinder(
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

/**
 * A slot that binds `names` to `values` and renders `body` (compiled with those names local);
 * `impure` when a value may differ between two evaluations with equal inputs.
 */
export function bindingSlot(
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
