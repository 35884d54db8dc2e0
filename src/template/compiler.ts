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
 * dependencies of what they bind, so the root's set is exactly the top-level assigns read
 * (`tracking.ts`).
 *
 * Inside a changed loop the work is still proportional to the change: rows whose item holds
 * the same primitive values in the fields the body reads as last time reuse their entry (see
 * `loop.ts` and `loop-memo.ts`); re-rendering a list whose rows kept their keys and places only
 * compares fields.
 *
 * This module walks the node lists (`as name` bindings, `autoescape`) and splices templates
 * together (`extends`, `block`, `{{ block.super }}`, `include`); the rules of the other tags
 * live in `tags.ts` and `loop.ts`, expressions in `evaluator.ts`.
 * @module
 */
import { renderToString } from "../render/html.js";
import type { RenderContext, Rendered, RowEdits, Template } from "../render/tree.js";
import {
  locate,
  type BlockNode,
  type FilterExpr,
  type Node,
  type ParsedTemplate,
  type Pos,
} from "./ast.js";
import { bindingSlot, compileBinder } from "./binding.js";
import type { CompileHost, Env } from "./env.js";
import { TemplateDoesNotExist, TemplateRenderError, TemplateSyntaxError } from "./errors.js";
import { isTimeZone } from "./dateformat.js";
import { applyFilters, compileExpr } from "./evaluator.js";
import { FragmentBuilder, renderFragment, type Fragment, type SlotImpl } from "./fragment.js";
import { compileCustom, compileCustomValue } from "./custom-tags.js";
import { compileCache } from "./cache-tag.js";
import { compileFor } from "./loop.js";
import { RenderState, stringify, unwrap } from "./values.js";
import * as safe from "./safe.js";
import {
  compileAssignedValue,
  compileCsrf,
  compileCycle,
  compileFirstof,
  compileIf,
  compileNow,
  compileSpaceless,
  compileUrl,
  compileVariable,
  compileWith,
  outputText,
  varExpr,
  type AssigningNode,
} from "./tags.js";
import { ANY, NO_DEPS, PARENTLOOP, intersects, union, without } from "./tracking.js";
import {
  compileBlocktrans,
  compileBlocktransValue,
  compileDebug,
  compileEnvValue,
  compileLanguageInfoValue,
  compileLorem,
  compileFilterTag,
  compileIfchanged,
  compileRegroupValue,
  compileResetcycle,
  compileStatic,
  compileStaticValue,
  compileTrans,
  compileTransValue,
  compileWidthratio,
  compileWidthratioValue,
  envValue,
} from "./builtin-tags.js";
import type { CompiledExpr } from "./evaluator.js";

// A module-local copy of an imported render-time helper (see evaluator.ts for why).
const markSafe = safe.markSafe;

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
    // A variable include/extends may read any name (tracking.ts `ANY`); its template's reads
    // are only known when it renders.
    this.dependencies = without(fragment.deps, [PARENTLOOP, ANY]);
  }

  /**
   * Renders to a Rendered tree. With `changed`, only slots reading one of those names are
   * evaluated (an `if` whose condition inputs did not change keeps its branch and skips its own
   * unchanged slots); the others are {@link UNCHANGED}. `{% now %}` reads no name, so a
   * change-tracked render never refreshes it. With `edits` (a live view's renders), a loop over
   * a top-level list whose items the step edited in place re-renders only those rows.
   *
   * @throws TemplateRenderError for template-caused failures (unknown `{% url %}` route);
   * exceptions thrown by methods the template calls propagate as they are.
   */
  render(context: RenderContext, changed?: ReadonlySet<string>, edits?: RowEdits): Rendered {
    return renderFragment(
      this.fragment,
      { ctx: context, frame: null, state: new RenderState(edits) },
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
    compileBody: compileFragment,
  };
  return new CompiledTemplate(parsed.name, compileTemplateBody(parsed, env));
}

function compileTemplateBody(parsed: ParsedTemplate, env: Env): Fragment {
  const builder = new FragmentBuilder();
  const nameExpr = parsed.extends?.nameExpr;
  if (nameExpr !== undefined) {
    // `{% extends var %}`: the parent is known when rendering; compiled once per name.
    const pos = (parsed.extends as { pos: Pos }).pos;
    builder.slot(
      dynamicTemplateSlot(nameExpr, pos, env, (name) =>
        compileTemplateBody({ ...parsed, extends: { name, pos } }, env),
      ),
    );
    return builder.build();
  }
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
    if (ext.nameExpr !== undefined)
      throw new TemplateSyntaxError(
        "a parent template's {% extends %} must name its parent literally here",
        locate(ext.pos),
      );
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

function compileFragment(nodes: readonly Node[], env: Env): Fragment {
  const builder = new FragmentBuilder();
  compileNodes(nodes, env, builder);
  return builder.build();
}

function compileNodes(nodes: readonly Node[], env: Env, out: FragmentBuilder): void {
  compileSequence(flatten(nodes, env.autoescape, [], env.host), env, out);
}

/** A node with the autoescape setting and compile host (language, time zone) it sits under. */
interface Placed {
  readonly node: Node;
  readonly autoescape: boolean;
  readonly host: CompileHost;
}

// `{% autoescape %}`, `{% language %}`, `{% timezone %}`, `{% localtime %}` and `{% localize %}`
// add no structure (and no scope, in Django): their body joins the list they sit in, each node
// keeping its own setting, so an `as` name set inside them outlives them. The language and time
// zone are compile-time settings of the body (literal arguments only).
function flatten(
  nodes: readonly Node[],
  autoescape: boolean,
  into: Placed[],
  host: CompileHost,
): Placed[] {
  for (const node of nodes) {
    if (node.kind === "autoescape") flatten(node.body, node.on, into, host);
    else if (
      node.kind === "scope" &&
      node.languageExpr === undefined &&
      node.timeZoneExpr === undefined
    ) {
      const inner: CompileHost =
        node.language === undefined && node.timeZone === undefined && node.localize === undefined
          ? host
          : {
              ...host,
              ...(node.localize === undefined ? {} : { localize: node.localize }),
              ...(node.language === undefined
                ? {}
                : { language: node.language, locale: node.language }),
              ...(node.timeZone === undefined ? {} : { timeZone: node.timeZone }),
            };
      flatten(node.body, autoescape, into, inner);
    } else into.push({ node, autoescape, host });
  }
  return into;
}

/** Kinds of the tags that can bind their value with `as name` instead of printing it. */
const ASSIGNING = new Set<Node["kind"]>([
  "custom",
  "url",
  "firstof",
  "now",
  "cycle",
  "widthratio",
  "static",
  "envvalue",
  "trans",
  "blocktrans",
  "regroup",
  "languageinfo",
]);

function compileSequence(items: readonly Placed[], env: Env, out: FragmentBuilder): void {
  for (let i = 0; i < items.length; i++) {
    const { node, autoescape } = items[i] as Placed;
    const host = (items[i] as Placed).host;
    const here =
      autoescape === env.autoescape && host === env.host ? env : { ...env, autoescape, host };
    const asVar = ASSIGNING.has(node.kind) ? (node as { asVar?: string }).asVar : undefined;
    if (asVar !== undefined) {
      // The name is visible to the rest of this list: it becomes the body of the binder.
      out.slot(compileAssignment(node, asVar, items.slice(i + 1), here));
      return;
    }
    compileNode(node, here, out);
  }
}

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
function compileAssignment(node: Node, name: string, rest: readonly Placed[], env: Env): SlotImpl {
  const value = assignedValue(node, env);
  // A named cycle still prints its value unless silent: that output reads the bound name.
  const shown: readonly Placed[] =
    node.kind === "cycle" && !node.silent
      ? [
          {
            node: { kind: "output", expr: varExpr(name, node.pos), pos: node.pos },
            autoescape: env.autoescape,
            host: env.host,
          },
          ...rest,
        ]
      : rest;
  const builder = new FragmentBuilder();
  compileSequence(shown, { ...env, locals: union(env.locals, [name]) }, builder);
  return bindingSlot([name], [value], builder.build(), false, value.impure === true);
}

/** The value a tag binds with `as name`. */
function assignedValue(node: Node, env: Env): CompiledExpr & { impure?: boolean } {
  switch (node.kind) {
    case "widthratio":
      return compileWidthratioValue(node, env);
    case "static":
      return compileStaticValue(node, env);
    case "envvalue": {
      const value = envValue(node, env);
      return { deps: NO_DEPS, fn: () => value };
    }
    case "trans": {
      // Django binds the text it would have printed: escaped and safe under autoescape.
      const t = compileTransValue(node, env);
      const autoescape = env.autoescape;
      return {
        deps: t.deps,
        fn: (scope) => {
          const v = t.fn(scope);
          return autoescape || v instanceof safe.SafeString ? markSafe(t.asText(scope)) : v;
        },
      };
    }
    case "blocktrans":
      return compileBlocktransValue(node, env);
    case "regroup":
      return compileRegroupValue(node, env);
    case "languageinfo":
      return compileLanguageInfoValue(node, env);
    case "custom":
      return compileCustomValue(node, env);
    default:
      return compileAssignedValue(node as AssigningNode, env);
  }
}

function compileNode(node: Node, env: Env, out: FragmentBuilder): void {
  switch (node.kind) {
    case "custom":
      out.slot(compileCustom(node, env));
      return;
    case "widthratio":
      out.slot(compileWidthratio(node, env));
      return;
    case "filter":
      out.slot(compileFilterTag(node, env));
      return;
    case "ifchanged":
      out.slot(compileIfchanged(node, env));
      return;
    case "cache":
      out.slot(compileCache(node, env));
      return;
    case "resetcycle":
      out.slot(compileResetcycle(node));
      return;
    case "static":
      out.slot(compileStatic(node, env));
      return;
    case "envvalue":
      out.text(compileEnvValue(node, env));
      return;
    case "trans": {
      const t = compileTrans(node, env);
      if (typeof t === "string") out.text(t);
      else out.slot(t);
      return;
    }
    case "blocktrans":
      out.slot(compileBlocktrans(node, env));
      return;
    case "regroup":
    case "languageinfo":
      // Always has `as`: handled by compileSequence.
      return;
    case "lorem":
      out.slot(compileLorem(node, env));
      return;
    case "debug": {
      const slot = compileDebug(env);
      if (slot !== undefined) out.slot(slot);
      return;
    }
    case "scope":
      out.slot(compileRenderTimeScope(node, env));
      return;
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
      out.slot(compileWith(node, env));
      return;
    case "include":
      out.slot(compileInclude(node, env));
      return;
    case "csrf":
      out.slot(compileCsrf(node, env));
      return;
    case "firstof":
      out.slot(compileFirstof(node, env));
      return;
    case "cycle":
      out.slot(compileCycle(node, env));
      return;
    case "now":
      out.slot(compileNow(node, env));
      return;
    case "url":
      out.slot(compileUrl(node, env));
      return;
    case "spaceless":
      out.slot(compileSpaceless(node, env));
      return;
  }
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
    if (env.blocks === undefined) {
      // Django raises when the block renders: a template rendered without an extends chain has
      // no parent block to show.
      const location = locate(p.pos);
      out.slot({
        deps: NO_DEPS,
        run: () => {
          throw new TemplateSyntaxError(
            "{{ block.super }} in a template that extends nothing: there is no parent block",
            location,
          );
        },
      });
      return;
    }
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
  out.slot(compileVariable(expr, env));
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

/**
 * The slot of an include/extends whose template name is an expression: it evaluates the name,
 * compiles that template on first use (cached per name) and renders it whole. Its reads are
 * unknown until then, so it depends on {@link ANY} name (re-evaluated on every change-tracked
 * render; a loop around it renders every row).
 */
function dynamicTemplateSlot(
  nameExpr: FilterExpr,
  pos: Pos,
  env: Env,
  compile: (name: string) => Fragment,
): SlotImpl {
  const name = compileExpr(nameExpr, env, true);
  const compiled = new Map<string, Fragment>();
  // Compiled later, outside the loop that may hold it: its own purity and row-read records.
  return {
    deps: union(name.deps, [ANY]),
    run: (scope) => {
      const value = unwrap(name.fn(scope));
      const key = typeof value === "string" ? value : value == null ? "" : stringify(value);
      let fragment = compiled.get(key);
      if (fragment === undefined) {
        if (key === "") throw new TemplateDoesNotExist(key, [], locate(pos));
        fragment = compile(key);
        compiled.set(key, fragment);
      }
      return renderFragment(fragment, scope, undefined);
    },
  };
}

/**
 * `{% language lang %}` / `{% timezone tz %}` of a variable: the body compiled for each value met
 * (cached), chosen when rendering. The body's reads do not depend on the language or zone, so its
 * first compile gives the slot's dependencies.
 */
function compileRenderTimeScope(node: Extract<Node, { kind: "scope" }>, env: Env): SlotImpl {
  const expr = (node.languageExpr ?? node.timeZoneExpr) as FilterExpr;
  const isLanguage = node.languageExpr !== undefined;
  const value = compileExpr(expr, env, true);
  const base = compileFragment(node.body, env);
  const later: Env = { ...env, purity: { impure: false }, rowReads: undefined };
  const compiled = new Map<string, Fragment>();
  const location = locate(node.pos);
  const bodyFor = (setting: string): Fragment => {
    let fragment = compiled.get(setting);
    if (fragment === undefined) {
      if (!isLanguage && !isTimeZone(setting))
        throw new TemplateRenderError(`{% timezone %}: unknown time zone '${setting}'`, location);
      const host: CompileHost = isLanguage
        ? { ...env.host, language: setting, locale: setting }
        : { ...env.host, timeZone: setting };
      fragment = compileFragment(node.body, { ...later, host });
      compiled.set(setting, fragment);
    }
    return fragment;
  };
  return {
    deps: union(value.deps, base.deps),
    impure: base.impure,
    run: (scope, changed) => {
      const v = unwrap(value.fn(scope));
      // Django: None switches back to the default (the loader's language or time zone).
      const fallback = isLanguage ? (env.host.language ?? "en-us") : (env.host.timeZone ?? "UTC");
      const setting = v === null || v === undefined || v === "" ? fallback : stringify(v);
      const same = changed !== undefined && !intersects(value.deps, changed) ? changed : undefined;
      return renderFragment(bodyFor(setting), scope, same);
    },
  };
}

function compileInclude(node: Extract<Node, { kind: "include" }>, env: Env): SlotImpl {
  const nameExpr = node.nameExpr;
  if (nameExpr !== undefined) {
    const inner: Env = { ...env, purity: { impure: false }, rowReads: undefined };
    return dynamicTemplateSlot(nameExpr, node.pos, inner, (name) => {
      const slot = compileInclude({ ...node, name, nameExpr: undefined }, inner);
      const builder = new FragmentBuilder();
      builder.slot(slot);
      return builder.build();
    });
  }
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
