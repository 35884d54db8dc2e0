/**
 * The `{% cache %}` tag (Django's `django.templatetags.cache`): the rendered text of its body,
 * kept in a bounded in-memory fragment cache under the fragment's name and the text of its
 * vary-on values, for `timeout` seconds.
 * @module
 */
import { renderToString } from "../render/html.js";
import { locate, type Node } from "./ast.js";
import type { Env } from "./env.js";
import { TemplateSyntaxError } from "./errors.js";
import { compileExpr } from "./evaluator.js";
import type { FragmentCache } from "./fragment-cache.js";
import { renderFragment, type SlotImpl } from "./fragment.js";
import { NO_DEPS, union } from "./tracking.js";
import * as runtime from "./values.js";

// Module-local copies of imported render-time helpers (see evaluator.ts for why).
const { pyRepr, stringify, unwrap } = runtime;

// Python's int() of a str: optional sign, digits with single underscores, spaces around.
const INT_TEXT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;

/** Python's `int(value)`, or `undefined` where it raises. */
function pyInt(value: unknown): number | undefined {
  const v = unwrap(value);
  if (typeof v === "number") return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && INT_TEXT.test(v)) return Number(v.replace(/_/g, "").trim());
  return undefined;
}

/**
 * `{% cache %}`: a string slot. Its key is the fragment name and Python's `str()` of each vary-on
 * value (what Django hashes), so equal texts share a fragment, across templates too. Without
 * `using=`, the cache named `template_fragments` if the loader has one, else `default`.
 *
 * Change tracking: the slot reads the names of its timeout, vary-on and `using` expressions and
 * of its body, so a re-render evaluates it (and asks the cache) only when one of them changed;
 * otherwise the page keeps the fragment it shows. A cached fragment is static for its lifetime,
 * so that is what Django would show, except when another template stored different text under
 * the same key in between, or the entry expired and the body shows something its inputs do not
 * determine (`{% now %}`): those show up at the next render that evaluates the slot.
 */
export function compileCache(node: Extract<Node, { kind: "cache" }>, env: Env): SlotImpl {
  const body = env.compileBody(node.body, env);
  const timeout = compileExpr(node.timeout, env, true);
  const varyOn = node.varyOn.map((e) => compileExpr(e, env, true));
  const using = node.using === undefined ? undefined : compileExpr(node.using, env, true);
  const caches = env.host.fragmentCaches;
  const fallback = (caches.get("template_fragments") ?? caches.get("default")) as FragmentCache;
  const prefix = `${node.name}\n`;
  const location = locate(node.pos);
  return {
    deps: union(timeout.deps, using?.deps ?? NO_DEPS, ...varyOn.map((v) => v.deps), body.deps),
    impure: body.impure,
    run: (scope) => {
      const t = unwrap(timeout.fn(scope));
      let seconds: number | null = null;
      if (t !== null && t !== undefined) {
        const n = pyInt(t);
        if (n === undefined)
          throw new TemplateSyntaxError(
            `"cache" tag got a non-integer timeout value: ${pyRepr(t, new Set())}`,
            location,
          );
        seconds = n;
      }
      let cache = fallback;
      if (using !== undefined) {
        const name = unwrap(using.fn(scope));
        const named = caches.get(stringify(name));
        if (named === undefined || typeof name !== "string")
          throw new TemplateSyntaxError(
            `Invalid cache name specified for cache tag: ${pyRepr(name, new Set())}`,
            location,
          );
        cache = named;
      }
      let key = prefix;
      for (const v of varyOn) key += `${stringify(v.fn(scope))}:`;
      const kept = cache.get(key);
      if (kept !== undefined) return kept;
      const text = renderToString(renderFragment(body, scope, undefined));
      cache.set(key, text, seconds);
      return text;
    },
  };
}
