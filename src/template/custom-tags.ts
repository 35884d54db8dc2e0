/**
 * Custom tags: Django's `simple_tag` and `inclusion_tag`, registered with {@link registerTag}.
 *
 * `{% name arg1 arg2 key=value as var %}`: the arguments are template expressions (filters
 * allowed), so a custom tag's slot depends exactly on the names its arguments read and change
 * tracking holds. A tag that `takesContext` declares the context names it reads (`reads`): it
 * receives those values only, which keeps its inputs analysable.
 * @module
 */
import { ComponentRef, type Dynamic } from "../render/tree.js";
import { locate, type CustomTagNode, type TagSpec } from "./ast.js";

export type { TagSpec } from "./ast.js";
import type { Env } from "./env.js";
import { TemplateRenderError } from "./errors.js";
import { compileExpr, type CompiledExpr } from "./evaluator.js";
import { renderFragment, type Fragment, type SlotImpl } from "./fragment.js";
import { escapeHtml, SafeString } from "./safe.js";
import { NO_DEPS, union } from "./tracking.js";
import { RenderState, stringify, type Scope } from "./values.js";

const tags = new Map<string, TagSpec>();

/**
 * Registers (or replaces) a custom tag for every template parsed afterwards, like Django's
 * `@register.simple_tag` / `@register.inclusion_tag`. Names of built-in tags cannot be taken.
 */
export function registerTag(name: string, spec: TagSpec): void {
  if (!/^\w+$/.test(name)) throw new TypeError(`invalid tag name ${JSON.stringify(name)}`);
  if (spec.takesContext === true && spec.reads === undefined)
    throw new TypeError(`tag ${name}: takesContext needs the list of names it reads (reads)`);
  tags.set(name, spec);
}

/** The custom tag registered under `name`, if any. */
export function getTag(name: string): TagSpec | undefined {
  return tags.get(name);
}

/** The value of a custom tag: `fn` applied to the evaluated arguments. */
export function compileCustomValue(
  node: CustomTagNode,
  env: Env,
): CompiledExpr & { impure: boolean } {
  const args = node.args.map((a) => compileExpr(a, env, true));
  const kwargs = node.kwargs.map((k) => ({ name: k.name, value: compileExpr(k.expr, env, true) }));
  const reads = node.spec.takesContext === true ? (node.spec.reads ?? []) : [];
  const readExprs = reads.map((r) =>
    compileExpr(
      { primary: { kind: "var", path: [r], pos: node.pos }, filters: [], pos: node.pos },
      env,
      true,
    ),
  );
  const fn = node.spec.fn;
  const pos = node.pos;
  return {
    deps: union(
      ...args.map((a) => a.deps),
      ...kwargs.map((k) => k.value.deps),
      ...readExprs.map((r) => r.deps),
      NO_DEPS,
    ),
    impure: node.spec.pure !== true,
    fn: (scope) => {
      const values: unknown[] = args.map((a) => a.fn(scope));
      if (kwargs.length > 0) {
        const kw: Record<string, unknown> = {};
        for (const k of kwargs) kw[k.name] = k.value.fn(scope);
        values.push(kw);
      }
      if (reads.length > 0) {
        const context: Record<string, unknown> = {};
        reads.forEach((r, i) => (context[r] = (readExprs[i] as CompiledExpr).fn(scope)));
        values.unshift(context);
      }
      try {
        return fn(...values);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new TemplateRenderError(`{% ${node.name} %}: ${reason}`, locate(pos), {
          cause: error,
        });
      }
    },
  };
}

/** The slot of a custom tag that prints its value (simple) or renders its template (inclusion). */
export function compileCustom(node: CustomTagNode, env: Env): SlotImpl {
  const value = compileCustomValue(node, env);
  const autoescape = env.autoescape;
  const templateName = node.spec.template;
  if (templateName === undefined) {
    return {
      deps: value.deps,
      impure: value.impure,
      run: (scope): Dynamic => {
        const v = value.fn(scope);
        // A tag that places a stateful component (`live_component`) fills the slot with it.
        if (v instanceof ComponentRef) return v;
        if (v instanceof SafeString || !autoescape) return stringify(v);
        return escapeHtml(stringify(v));
      },
    };
  }
  // Inclusion tag: the template is compiled once, with only the returned context visible.
  const parsed = env.host.load(templateName, node.pos);
  const fragment: Fragment = env.compileBody(parsed.nodes, {
    ...env,
    locals: NO_DEPS,
    stack: [...env.stack, templateName],
    rowReads: undefined,
    purity: { impure: false },
  });
  return {
    deps: value.deps,
    impure: value.impure,
    run: (scope) => {
      const ctx = value.fn(scope);
      const inner: Scope = {
        ctx: (typeof ctx === "object" && ctx !== null ? ctx : {}) as Record<string, unknown>,
        frame: null,
        state: new RenderState(),
      };
      return renderFragment(fragment, inner, undefined);
    },
  };
}
