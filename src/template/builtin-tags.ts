/**
 * Compile rules of the tags added for full Django parity: `widthratio`, `filter`, `ifchanged`,
 * `regroup`, `resetcycle`, `static` and the prefix tags, the values of `get_current_language`
 * and friends, the translation tags `trans`/`translate` and `blocktrans`/`blocktranslate`,
 * `get_language_info(_list)`, `lorem` and `debug`. (`templatetag`, and `lorem` with a literal
 * count, become text when parsed; `language`, `timezone`, `localtime` and `localize` change the
 * compile environment of their body, see the compiler.)
 *
 * Change tracking: every slot's dependencies are the names its expressions read. `ifchanged`
 * and `resetcycle` are impure (their output depends on earlier iterations), so a loop holding
 * them renders every row again instead of reusing unchanged ones. The translation tags read the
 * language at compile time (it is the loader's, or a `{% language %}` around them), so a
 * translated literal costs nothing at render time.
 * @module
 */
import { renderToString } from "../render/html.js";
import { locate, type FilterExpr, type Node, type TagSpec } from "./ast.js";
import type { Env } from "./env.js";
import { TemplateRenderError, TemplateSyntaxError } from "./errors.js";
import { applyFilters, compileExpr, type CompiledExpr } from "./evaluator.js";
import { renderFragment, type SlotImpl } from "./fragment.js";
import { BIDI_LANGUAGES, Translations, normalizeLanguage } from "./i18n.js";
import { languageInfo, translateLanguageName, type LanguageInfo } from "./language-info.js";
import { LANGUAGES } from "./locale-data.js";
import { lorem } from "./lorem.js";
import * as safe from "./safe.js";
import { displayOf, outputText, varExpr } from "./tags.js";
import { ANY, NO_DEPS, union, without } from "./tracking.js";
import { quotePlus } from "./text.js";
import {
  Frame,
  getMember,
  isPlainObject,
  pyEqual,
  pyRepr,
  stringify,
  toList,
  unwrap,
  type Scope,
} from "./values.js";

const SafeString = safe.SafeString;
const markSafe = safe.markSafe;
const escapeHtml = safe.escapeHtml;

const NO_TRANSLATIONS = new Translations();

/** The active language of a compile environment (Django's default `LANGUAGE_CODE`). */
export function languageOf(env: Env): string {
  return env.host.language ?? "en-us";
}

/** The locale of named formats and translated names in a compile environment. */
export function localeOf(env: Env): string {
  return env.host.locale ?? "en";
}

// ---- widthratio ------------------------------------------------------------------------

/** Python's `float()` of a template value, or `undefined` where it raises. */
function pyFloat(v: unknown): number | undefined {
  v = unwrap(v);
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const t = v.trim().replace(/_/g, "");
    if (/^[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)$/i.test(t)) return Number(t);
    if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
    if (/^[+-]?nan$/i.test(t)) return NaN;
  }
  return undefined;
}

/** Python's `int()`, or `undefined` where it raises. */
function pyInt(v: unknown): number | undefined {
  v = unwrap(v);
  if (typeof v === "number") return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && /^\s*[+-]?\d[\d_]*\s*$/.test(v)) return Number(v.replace(/_/g, ""));
  return undefined;
}

/** Python 3's `round()` to an integer: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function compileWidthratioValue(
  node: Extract<Node, { kind: "widthratio" }>,
  env: Env,
): CompiledExpr {
  const value = compileExpr(node.value, env, true);
  const max = compileExpr(node.max, env, true);
  const width = compileExpr(node.width, env, true);
  const pos = node.pos;
  return {
    deps: union(value.deps, max.deps, width.deps),
    fn: (scope) => {
      const v = value.fn(scope);
      const m = max.fn(scope);
      const w = pyInt(width.fn(scope));
      if (w === undefined)
        throw new TemplateSyntaxError("widthratio final argument must be a number", locate(pos));
      const fv = pyFloat(v);
      const fm = pyFloat(m);
      if (fv === undefined || fm === undefined) return "";
      if (fm === 0) return "0";
      const ratio = (fv / fm) * w;
      if (!Number.isFinite(ratio)) return "";
      return String(roundHalfEven(ratio));
    },
  };
}

export function compileWidthratio(node: Extract<Node, { kind: "widthratio" }>, env: Env): SlotImpl {
  const { deps, fn } = compileWidthratioValue(node, env);
  return { deps, run: (scope) => fn(scope) as string };
}

// ---- filter ------------------------------------------------------------------------------

/** `{% filter f|g %}`: the body's text (safe) through the filters, printed without escaping. */
export function compileFilterTag(node: Extract<Node, { kind: "filter" }>, env: Env): SlotImpl {
  const body = env.compileBody(node.body, env);
  const filtered = applyFilters(
    (scope) => markSafe(renderToString(renderFragment(body, scope, undefined))),
    node.filters,
    env,
  );
  const filterDeps = union(
    ...node.filters.filters.map((f) =>
      f.arg === undefined
        ? NO_DEPS
        : compileExpr({ primary: f.arg, filters: [], pos: node.pos }, env, true).deps,
    ),
  );
  return {
    deps: union(body.deps, filterDeps),
    impure: body.impure,
    run: (scope) => outputText(filtered(scope), false),
  };
}

// ---- ifchanged ---------------------------------------------------------------------------

// The last value of each `ifchanged`, per run of its innermost loop (Django keeps it in the
// loop's `forloop`), or per render outside loops.
const lastValues = new WeakMap<object, Map<object, unknown>>();
const NOTHING = Symbol("nothing");

function loopFrame(scope: Scope): object {
  for (let f: Frame | null = scope.frame; f !== null; f = f.parent) {
    if (f.names[0] === "forloop") return f;
  }
  return scope.state;
}

export function compileIfchanged(node: Extract<Node, { kind: "ifchanged" }>, env: Env): SlotImpl {
  const body = env.compileBody(node.body, env);
  const otherwise = node.otherwise.length > 0 ? env.compileBody(node.otherwise, env) : undefined;
  const watched = node.exprs.map((e) => compileExpr(e, env, false));
  const key = node.state;
  return {
    // It compares with the previous iteration, so it reads `forloop`'s position implicitly.
    deps: union(body.deps, otherwise?.deps ?? NO_DEPS, ...watched.map((w) => w.deps)),
    impure: true,
    run: (scope) => {
      const frame = loopFrame(scope);
      let states = lastValues.get(frame);
      if (states === undefined) lastValues.set(frame, (states = new Map()));
      const last = states.has(key) ? states.get(key) : NOTHING;
      let rendered: string | undefined;
      let current: unknown;
      if (watched.length > 0) current = watched.map((w) => w.fn(scope));
      else current = rendered = renderToString(renderFragment(body, scope, undefined));
      const changed =
        last === NOTHING ||
        (Array.isArray(current) && Array.isArray(last)
          ? current.length !== last.length || current.some((c, i) => !pyEqual(c, last[i]))
          : current !== last);
      if (changed) {
        states.set(key, current);
        return rendered ?? renderToString(renderFragment(body, scope, undefined));
      }
      return otherwise === undefined
        ? ""
        : renderToString(renderFragment(otherwise, scope, undefined));
    },
  };
}

// ---- regroup -----------------------------------------------------------------------------

/** The list `{% regroup %}` binds: `[grouper, list]` pairs that also have those fields. */
export function compileRegroupValue(
  node: Extract<Node, { kind: "regroup" }>,
  env: Env,
): CompiledExpr {
  const target = compileExpr(node.target, env, false);
  // The key is `<as name>.<by>`: evaluated with the name bound to each item in turn.
  const itemName = node.by.primary.kind === "var" ? (node.by.primary.path[0] as string) : "";
  const by = compileExpr(node.by, { ...env, locals: union(env.locals, [itemName]) }, false);
  return {
    deps: union(target.deps, without(by.deps, [itemName])),
    fn: (scope) => {
      const list = unwrap(target.fn(scope));
      if (list === null || list === undefined) return [];
      const groups: unknown[] = [];
      let current: { grouper: unknown; list: unknown[] } | undefined;
      const values: unknown[] = [undefined];
      const inner: Scope = {
        ctx: scope.ctx,
        frame: new Frame(scope.frame, [itemName], values),
        state: scope.state,
      };
      for (const item of toList(list)) {
        values[0] = item;
        // Django resolves the key with ignore_failures: a missing one is None.
        const k = by.fn(inner) ?? null;
        if (current === undefined || !pyEqual(current.grouper, k)) {
          const items: unknown[] = [];
          current = { grouper: k, list: items };
          groups.push(Object.assign([k, items], { grouper: k, list: items }));
        }
        current.list.push(item);
      }
      return groups;
    },
  };
}

// ---- resetcycle --------------------------------------------------------------------------

export function compileResetcycle(node: Extract<Node, { kind: "resetcycle" }>): SlotImpl {
  const states = node.states;
  return {
    deps: NO_DEPS,
    impure: true,
    run: (scope) => {
      for (const s of states) scope.state.cycles.delete(s);
      return "";
    },
  };
}

// ---- static ------------------------------------------------------------------------------

/** Python's `urllib.parse.quote(s, safe="/")`. */
function pyQuote(s: string): string {
  return encodeURIComponent(s)
    .replace(/%2F/g, "/")
    .replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** `urljoin(prefix, path)` for the relative and root-relative paths `static` produces. */
function joinUrl(prefix: string, path: string): string {
  if (path.startsWith("/")) {
    const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(prefix);
    return (origin?.[0] ?? "") + path;
  }
  return prefix.slice(0, prefix.lastIndexOf("/") + 1) + path;
}

export function compileStaticValue(
  node: Extract<Node, { kind: "static" }>,
  env: Env,
): CompiledExpr {
  const path = compileExpr(node.path, env, true);
  const prefix = env.host.staticUrl ?? "/static/";
  return {
    deps: path.deps,
    fn: (scope) => joinUrl(prefix, pyQuote(stringify(unwrap(path.fn(scope))))),
  };
}

export function compileStatic(node: Extract<Node, { kind: "static" }>, env: Env): SlotImpl {
  const { deps, fn } = compileStaticValue(node, env);
  const autoescape = env.autoescape;
  return {
    deps,
    run: (scope) => (autoescape ? escapeHtml(fn(scope) as string) : (fn(scope) as string)),
  };
}

// ---- environment values ------------------------------------------------------------------

/** The value of `get_static_prefix`, `get_current_language`, ... (known at compile time). */
export function envValue(node: Extract<Node, { kind: "envvalue" }>, env: Env): unknown {
  const language = normalizeLanguage(languageOf(env));
  switch (node.what) {
    case "static_prefix":
      return env.host.staticUrl ?? "/static/";
    case "media_prefix":
      return env.host.mediaUrl ?? "";
    case "language":
      return language;
    case "language_bidi":
      return BIDI_LANGUAGES.has(language.split("-")[0] as string);
    case "available_languages":
      // Django's default LANGUAGES setting, the names in the active language.
      return LANGUAGES.map(([code, name]) => [code, translateLanguageName(name, localeOf(env))]);
    case "timezone":
      return env.host.timeZone ?? "UTC";
  }
}

/** A tag printing an environment value (the prefix tags without `as`). */
export function compileEnvValue(node: Extract<Node, { kind: "envvalue" }>, env: Env): string {
  return outputText(envValue(node, env), env.autoescape);
}

// ---- trans -------------------------------------------------------------------------------

function translations(env: Env): Translations {
  return env.host.translations ?? NO_TRANSLATIONS;
}

function literalString(expr: FilterExpr | undefined): string | undefined {
  if (expr === undefined || expr.primary.kind !== "literal" || expr.filters.length > 0)
    return undefined;
  const v = unwrap(expr.primary.value);
  return typeof v === "string" ? v : undefined;
}

/**
 * The value of `{% trans %}`: a message translated into the active language (literal messages
 * at compile time), safe when the message was (string literals are).
 */
export function compileTransValue(
  node: Extract<Node, { kind: "trans" }>,
  env: Env,
): CompiledExpr & { asText: (scope: Scope) => string; constant: boolean } {
  const catalogs = translations(env);
  const language = languageOf(env);
  const noop = node.noop;
  const message = compileExpr(node.message, env, true);
  const context = node.context === undefined ? undefined : compileExpr(node.context, env, true);
  const autoescape = env.autoescape;
  const translate = (value: unknown, ctx: string | undefined): unknown => {
    const raw = unwrap(value);
    if (noop || typeof raw !== "string") return value;
    // Percent signs are doubled in message ids, as in Django's catalogs.
    const out = catalogs
      .translate(language, raw.replace(/%/g, "%%"), { context: ctx })
      .replace(/%%/g, "%");
    return value instanceof SafeString ? markSafe(out) : out;
  };
  const lit = literalString(node.message);
  const ctxLit = node.context === undefined ? undefined : literalString(node.context);
  const constant =
    lit !== undefined && (node.context === undefined || ctxLit !== undefined)
      ? translate(
          node.message.primary.kind === "literal" ? node.message.primary.value : lit,
          ctxLit,
        )
      : NOTHING;
  const fn =
    constant !== NOTHING
      ? () => constant
      : (scope: Scope) =>
          translate(
            message.fn(scope),
            context === undefined ? undefined : stringify(unwrap(context.fn(scope))),
          );
  return {
    deps: union(message.deps, context?.deps ?? NO_DEPS),
    fn,
    asText: (scope) => outputText(fn(scope), autoescape),
    constant: constant !== NOTHING,
  };
}

export function compileTrans(node: Extract<Node, { kind: "trans" }>, env: Env): SlotImpl | string {
  const value = compileTransValue(node, env);
  if (value.constant) return value.asText(undefined as unknown as Scope);
  return { deps: value.deps, run: value.asText };
}

// ---- blocktrans --------------------------------------------------------------------------

type Part = string | { readonly name: string };

/** The message id of a part list: text with `%` doubled, variables as `%(name)s`. */
function messageId(parts: readonly Part[], trimmed: boolean): { id: string; names: string[] } {
  let id = "";
  const names: string[] = [];
  for (const p of parts) {
    if (typeof p === "string") id += p.replace(/%/g, "%%");
    else {
      id += `%(${p.name})s`;
      names.push(p.name);
    }
  }
  if (trimmed) id = id.trim().replace(/\s*\n\s*/g, " ");
  return { id, names };
}

/** Python's `msg % data` for `%(name)s` and `%%`; `undefined` where Python raises. */
function interpolate(msg: string, data: ReadonlyMap<string, string>): string | undefined {
  let failed = false;
  const out = msg.replace(/%(?:\(([^)]*)\)s|%|.?)/gs, (m, name: string | undefined) => {
    if (m === "%%") return "%";
    if (name !== undefined && data.has(name)) return data.get(name) as string;
    failed = true;
    return "";
  });
  return failed ? undefined : out;
}

export function compileBlocktransValue(
  node: Extract<Node, { kind: "blocktrans" }>,
  env: Env,
): CompiledExpr {
  const catalogs = translations(env);
  const language = languageOf(env);
  const autoescape = env.autoescape;
  const display = displayOf(env);
  const pos = node.pos;
  const bound = [
    ...node.bindings.map((b) => b.name),
    ...(node.count === undefined ? [] : [node.count.name]),
  ];
  const bindingExprs = node.bindings.map((b) => compileExpr(b.expr, env, true));
  const countExpr = node.count === undefined ? undefined : compileExpr(node.count.expr, env, true);
  const context = node.context === undefined ? undefined : compileExpr(node.context, env, true);
  const singular = messageId(node.singular, node.trimmed);
  const plural = node.plural === undefined ? undefined : messageId(node.plural, node.trimmed);
  const innerEnv: Env = { ...env, locals: union(env.locals, bound) };
  // A dotted name in a blocktrans body is looked up as one name, which never exists: "".
  const varNames = [...new Set([...singular.names, ...(plural?.names ?? [])])];
  const vars = varNames.map((name) =>
    name.includes(".") ? undefined : compileExpr(varExpr(name, pos), innerEnv, true),
  );
  const deps = union(
    ...bindingExprs.map((b) => b.deps),
    countExpr?.deps ?? NO_DEPS,
    context?.deps ?? NO_DEPS,
    without(union(...vars.map((v) => v?.deps ?? NO_DEPS)), bound),
  );
  return {
    deps,
    fn: (scope) => {
      const ctx = context === undefined ? undefined : stringify(unwrap(context.fn(scope)));
      const values = bindingExprs.map((b) => b.fn(scope));
      let count: number | undefined;
      if (countExpr !== undefined) {
        const c = unwrap(countExpr.fn(scope));
        if (typeof c !== "number" && typeof c !== "boolean")
          throw new TemplateSyntaxError(
            `'count' argument to 'blocktrans' tag must be a number`,
            locate(pos),
          );
        count = Number(c);
        values.push(count);
      }
      const inner: Scope =
        bound.length === 0
          ? scope
          : { ctx: scope.ctx, frame: new Frame(scope.frame, bound, values), state: scope.state };
      const data = new Map<string, string>();
      varNames.forEach((name, i) => {
        const v = vars[i];
        data.set(name, outputText(v === undefined ? undefined : v.fn(inner), autoescape, display));
      });
      const pick = (translate: boolean): string | undefined => {
        let msg: string;
        if (plural !== undefined && count !== undefined) {
          msg = translate
            ? catalogs.translate(language, singular.id, { context: ctx, plural: plural.id, count })
            : count === 1
              ? singular.id
              : plural.id;
        } else
          msg = translate
            ? catalogs.translate(language, singular.id, { context: ctx })
            : singular.id;
        return interpolate(msg, data);
      };
      const out = pick(true) ?? pick(false);
      if (out === undefined)
        throw new TemplateSyntaxError(`'blocktrans' is unable to format the message`, locate(pos));
      return markSafe(out);
    },
  };
}

export function compileBlocktrans(node: Extract<Node, { kind: "blocktrans" }>, env: Env): SlotImpl {
  const { deps, fn } = compileBlocktransValue(node, env);
  return { deps, run: (scope) => (fn(scope) as safe.SafeString).value };
}

// ---- get_language_info, lorem, debug ------------------------------------------------------

/**
 * The value `{% get_language_info for code as name %}` binds (Django's `get_language_info`), or
 * with `list` the list for a sequence of codes or of `(code, name)` pairs.
 * @throws TemplateRenderError for an unknown language code (Django's KeyError).
 */
export function compileLanguageInfoValue(
  node: Extract<Node, { kind: "languageinfo" }>,
  env: Env,
): CompiledExpr {
  const code = compileExpr(node.code, env, true);
  const locale = localeOf(env);
  const pos = node.pos;
  const info = (value: unknown): LanguageInfo => {
    try {
      return languageInfo(stringify(unwrap(value)), locale);
    } catch (error) {
      throw new TemplateRenderError((error as Error).message, locate(pos), { cause: error });
    }
  };
  const list = node.list;
  return {
    deps: code.deps,
    fn: (scope) => {
      const value = code.fn(scope);
      if (!list) return info(value);
      // Django: an item whose first element is longer than one character is a sequence
      // holding the code first; otherwise the item is the code.
      return toList(value).map((item) => {
        const first = unwrap(toList(item)[0]);
        return info(typeof first === "string" && first.length > 1 ? first : item);
      });
    },
  };
}

/** `{% lorem %}` with a count resolved when rendering (not an integer: 1) or `random` words. */
export function compileLorem(node: Extract<Node, { kind: "lorem" }>, env: Env): SlotImpl {
  const count = compileExpr(node.count, env, true);
  const { method, random } = node;
  return {
    deps: count.deps,
    impure: random,
    run: (scope) => lorem(pyInt(count.fn(scope)) ?? 1, method, !random),
  };
}

/**
 * `{% debug %}`: with the loader's `debug` option, the names the template sees (innermost
 * first, as Python dicts, escaped); without it nothing, as Django prints nothing unless `DEBUG`.
 * Django also lists the loaded Python modules, which have no counterpart here.
 */
export function compileDebug(env: Env): SlotImpl | undefined {
  if (env.host.debug !== true) return undefined;
  return {
    deps: new Set([ANY]),
    impure: true,
    run: (scope) => {
      const dicts: string[] = [];
      for (let f = scope.frame; f !== null; f = f.parent) {
        const d: Record<string, unknown> = {};
        f.names.forEach((n, i) => (d[n] = f.values[i]));
        dicts.push(pyRepr(d, new Set()));
      }
      dicts.push(pyRepr({ ...scope.ctx }, new Set()));
      dicts.push(pyRepr({ True: true, False: false, None: null }, new Set()));
      return escapeHtml(dicts.join("") + "\n\n");
    },
  };
}

// ---- querystring ---------------------------------------------------------------------------

/** A query dict's keys with their lists of values, in order. */
function queryLists(query: unknown): [string, string[]][] {
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]).map((x) => stringify(unwrap(x)));
  if (query instanceof URLSearchParams)
    return [...new Set(query.keys())].map((k) => [k, query.getAll(k)]);
  if (query instanceof Map) return [...query].map(([k, v]) => [stringify(k), list(v)]);
  if (isPlainObject(query)) return Object.entries(query).map(([k, v]) => [k, list(v)]);
  throw new TypeError(
    query === undefined || query === null
      ? "no query dict given and the context has no request.GET"
      : "the query dict must be a URLSearchParams, a Map or a plain object",
  );
}

/**
 * Django 5.2's `{% querystring %}` for one use of the tag (it is parsed as a custom tag with
 * this spec): the query dict given (`positional`) or the context's `request.GET`, changed by
 * the keyword arguments (`keywords`): `None` removes a key, a list sets all its values, anything
 * else sets one. `""` when both are empty, else `?` and the query, quoted as QueryDict does.
 */
export function querystringTag(positional: boolean, keywords: boolean): TagSpec {
  const fn = (...values: unknown[]): string => {
    let i = 0;
    const context = positional ? undefined : (values[i++] as { request?: unknown });
    const given = positional ? unwrap(values[i++]) : undefined;
    const kwargs = (keywords ? values[i++] : {}) as Record<string, unknown>;
    const query =
      given === undefined || given === null ? getMember(context?.request, "GET") : given;
    const lists = queryLists(query);
    const params = new Map(lists);
    for (const [key, raw] of Object.entries(kwargs)) {
      const value = unwrap(raw);
      if (value === null) params.delete(key);
      else if (Array.isArray(value))
        params.set(
          key,
          value.map((v) => stringify(unwrap(v))),
        );
      else params.set(key, [stringify(value ?? "")]);
    }
    if (params.size === 0 && lists.length === 0) return "";
    const pairs: string[] = [];
    for (const [key, vs] of params)
      for (const v of vs) pairs.push(`${quotePlus(key)}=${quotePlus(v)}`);
    return `?${pairs.join("&")}`;
  };
  return positional
    ? { fn, pure: true }
    : { fn, pure: true, takesContext: true, reads: ["request"] };
}
