/**
 * The compile rules of the tags that become one slot each: `{{ }}`, `if`, `with`, `csrf_token`,
 * `firstof`, `cycle`, `now`, `url` and `spaceless`, and the values the `as name` forms bind.
 * (`for` has its own module; `extends`, `block` and `include` splice templates together in the
 * compiler.)
 * @module
 */
import { renderToString } from "../render/html.js";
import { locate, type FilterExpr, type Node, type Pos } from "./ast.js";
import { compileBinder, compileFragmentWith } from "./binding.js";
import { formatDate, numberSeparators, unlocalizedFormat } from "./dateformat.js";
import type { Env } from "./env.js";
import { TemplateRenderError } from "./errors.js";
import { compileCondition, compileExpr, type CompiledExpr } from "./evaluator.js";
import { renderFragment, type Fragment, type SlotImpl } from "./fragment.js";
import * as runtime from "./values.js";
import * as safe from "./safe.js";
import { NO_DEPS, intersects, union } from "./tracking.js";

// Module-local copies of imported render-time helpers (see evaluator.ts for why).
const SafeString = safe.SafeString;
const markSafe = safe.markSafe;
const escapeHtml = safe.escapeHtml;
const { fractionText, stringify, truthy, unwrap } = runtime;

/** The tags that can bind their value with `as name` instead of printing it. */
export type AssigningNode = Extract<Node, { kind: "url" | "firstof" | "now" | "cycle" }>;

/** The expression `{{ name }}`, for output the compiler adds itself. */
export function varExpr(name: string, pos: Pos): FilterExpr {
  return { primary: { kind: "var", path: [name], pos }, filters: [], pos };
}

/**
 * How `{{ }}` shows dates and numbers (Django's `template_localtime` and `localize`): dates in
 * the current time zone with the locale's `DATETIME_FORMAT`, fractions with its decimal
 * separator. Under `{% localize off %}` (`localize` false) the format and separator are Django's
 * default settings' (English), the month names still the locale's.
 */
export interface Display {
  readonly timeZone: string;
  readonly locale: string;
  readonly localize: boolean;
  /** The decimal separator fractions print with (looked up once per compile). */
  readonly decimal: string;
}

const DEFAULT_DISPLAY: Display = { timeZone: "UTC", locale: "en", localize: true, decimal: "." };

/** The {@link Display} of a compile environment. */
export function displayOf(env: Env): Display {
  const { timeZone = "UTC", locale = "en", localize = true } = env.host;
  return { timeZone, locale, localize, decimal: numberSeparators(locale, localize).decimal };
}

/**
 * A fraction JS spells with an exponent (`1.5e-7`) written out (`0.00000015`), as Django 5.2's
 * number formatting prints floats (3.2 printed Python's `1.5e-07`).
 */
function plainDecimal(text: string): string {
  const m = /^(-?)(\d)(?:\.(\d+))?e-(\d+)$/.exec(text);
  if (m === null) return text;
  return `${m[1]}0.${"0".repeat(Number(m[4]) - 1)}${m[2]}${m[3] ?? ""}`;
}

/** Text for a value in the page: autoescaped unless safe; dates and numbers localized. */
export function outputText(value: unknown, autoescape: boolean, display = DEFAULT_DISPLAY): string {
  if (typeof value === "string") return autoescape ? escapeHtml(value) : value;
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value);
    const plain = fractionText(value);
    const text = plain.includes("e") ? plainDecimal(plain) : plain;
    return display.decimal === "." ? text : text.replace(".", display.decimal);
  }
  if (value instanceof SafeString) return value.value;
  const text =
    value instanceof Date && !Number.isNaN(value.getTime())
      ? formatDate(
          value,
          display.localize ? "DATETIME_FORMAT" : unlocalizedFormat("DATETIME_FORMAT"),
          display.timeZone,
          display.locale,
        )
      : stringify(value);
  return autoescape ? escapeHtml(text) : text;
}

/** `{{ expr }}`. */
export function compileVariable(expr: FilterExpr, env: Env): SlotImpl {
  // Without filters a missing value prints "" either way: skip the wrapper mapping it to "".
  const compiled = compileExpr(expr, env, expr.filters.length > 0);
  const fn = compiled.fn;
  const autoescape = env.autoescape;
  const display = displayOf(env);
  return { deps: compiled.deps, run: (scope) => outputText(fn(scope), autoescape, display) };
}

export function compileIf(node: Extract<Node, { kind: "if" }>, env: Env): SlotImpl {
  const conditions = node.branches.map((b) =>
    b.condition === null ? undefined : compileCondition(b.condition, env),
  );
  const fragments = node.branches.map((b) => env.compileBody(b.body, env));
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

export function compileWith(node: Extract<Node, { kind: "with" }>, env: Env): SlotImpl {
  return compileBinder(
    node.bindings,
    compileFragmentWith(
      node.body,
      env,
      node.bindings.map((b) => b.name),
      false,
    ),
    env,
    false,
  );
}

/** `{% csrf_token %}`: the hidden form field, empty when the context has no token. */
export function compileCsrf(node: Extract<Node, { kind: "csrf" }>, env: Env): SlotImpl {
  const token = compileExpr(varExpr("csrf_token", node.pos), env, false);
  return {
    deps: token.deps,
    run: (scope) => {
      const value = unwrap(token.fn(scope));
      if (!truthy(value) || value === "NOTPROVIDED") return "";
      return `<input type="hidden" name="csrfmiddlewaretoken" value="${escapeHtml(stringify(value))}">`;
    },
  };
}

/** The first true value of a `{% firstof %}`, or `undefined` when there is none. */
function compileFirstTrue(node: Extract<Node, { kind: "firstof" }>, env: Env): CompiledExpr {
  const exprs = node.exprs.map((e) => compileExpr(e, env, false));
  return {
    deps: union(...exprs.map((e) => e.deps)),
    fn: (scope) => {
      for (const e of exprs) {
        const v = e.fn(scope);
        if (truthy(v)) return v;
      }
      return undefined;
    },
  };
}

/** `{% firstof %}` that prints: the first true value, escaped like `{{ }}`. */
export function compileFirstof(node: Extract<Node, { kind: "firstof" }>, env: Env): SlotImpl {
  const first = compileFirstTrue(node, env);
  const fn = first.fn;
  const autoescape = env.autoescape;
  const display = displayOf(env);
  return {
    deps: first.deps,
    run: (scope) => {
      const v = fn(scope);
      return v === undefined ? "" : outputText(v, autoescape, display);
    },
  };
}

/** `{% cycle %}` that prints (or, `silent`, only advances). */
export function compileCycle(node: Extract<Node, { kind: "cycle" }>, env: Env): SlotImpl {
  const next = compileCycleValue(node, env);
  const silent = node.silent;
  const autoescape = env.autoescape;
  const display = displayOf(env);
  return {
    deps: next.deps,
    impure: true,
    run: (scope) => {
      const value = next.fn(scope);
      return silent ? "" : outputText(value, autoescape, display);
    },
  };
}

/** `{% now "format" %}`, evaluated on every render, in the current time zone and locale. */
export function compileNow(node: Extract<Node, { kind: "now" }>, env: Env): SlotImpl {
  const now = nowText(node, env);
  // Like Django, not escaped: the format string is the template author's own text.
  return { deps: NO_DEPS, impure: true, run: now };
}

function nowText(node: Extract<Node, { kind: "now" }>, env: Env): () => string {
  const format = node.format;
  const { timeZone = "UTC", locale = "en" } = env.host;
  return () => formatDate(new Date(), format, timeZone, locale);
}

/** `{% spaceless %}`: its body rendered, with the whitespace between tags removed. */
export function compileSpaceless(node: Extract<Node, { kind: "spaceless" }>, env: Env): SlotImpl {
  const body = env.compileBody(node.body, env);
  return {
    deps: body.deps,
    impure: body.impure,
    run: (scope) =>
      renderToString(renderFragment(body, scope, undefined))
        .trim()
        .replace(/>\s+</g, "><"),
  };
}

export function compileUrl(node: Extract<Node, { kind: "url" }>, env: Env): SlotImpl {
  const url = compileUrlValue(node, env, false);
  const fn = url.fn;
  const autoescape = env.autoescape;
  return { deps: url.deps, run: (scope) => outputText(fn(scope), autoescape) };
}

/** The value an assigning tag binds with `as` (see compileAssignment), as Django computes it. */
export function compileAssignedValue(
  node: AssigningNode,
  env: Env,
): CompiledExpr & { impure?: boolean } {
  switch (node.kind) {
    case "url":
      return compileUrlValue(node, env, true);
    case "cycle":
      return { ...compileCycleValue(node, env), impure: true };
    case "now":
      return { fn: nowText(node, env), deps: NO_DEPS, impure: true };
    case "firstof": {
      const first = compileFirstTrue(node, env);
      const fn = first.fn;
      const autoescape = env.autoescape;
      const display = displayOf(env);
      return {
        deps: first.deps,
        // Django stores the text it would have printed: escaped and marked safe under
        // autoescape (so `{{ name }}` does not escape it twice), plain text otherwise.
        fn: (scope) => {
          const v = fn(scope);
          if (v === undefined) return "";
          if (autoescape) return markSafe(outputText(v, true, display));
          return v instanceof SafeString ? v : outputText(v, false, display);
        },
      };
    }
  }
}

/** Advances a cycle and returns its current value (unescaped). */
function compileCycleValue(node: Extract<Node, { kind: "cycle" }>, env: Env): CompiledExpr {
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
  const kwargs = node.kwargs.map((k) => ({ name: k.name, value: compileExpr(k.expr, env, true) }));
  const urlFor = env.host.urlFor;
  const pos = node.pos;
  return {
    deps: union(name.deps, ...args.map((a) => a.deps), ...kwargs.map((k) => k.value.deps)),
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
        if (kwargs.length === 0) url = urlFor(routeName, argValues);
        else {
          const kw: Record<string, unknown> = {};
          for (const k of kwargs) kw[k.name] = unwrap(k.value.fn(scope));
          url = urlFor(routeName, argValues, kw);
        }
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
