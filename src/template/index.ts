/**
 * Public API of the Django-template-language front end.
 *
 * ```ts
 * const loader = new TemplateLoader({ dirs: ["templates"], urlFor: (name, args) => routes.path(name, args) });
 * const tmpl = loader.get("orders.html");          // compiled once, cached
 * const tree = tmpl.render(assigns);                // full Rendered tree
 * const next = tmpl.render(assigns, new Set(["orders"])); // only slots reading `orders`
 * ```
 *
 * Semantics follow Django's template language (DESIGN.md §4). Where JS and Python differ:
 * - `null` is Python's `None` (prints `None`; filters and `if` see it); a missing name is
 *   `string_if_invalid` (`""`). Booleans print `True`/`False`, numbers as Python's int or float
 *   (`1e-07` inside lists and in filters), lists and plain objects Python-style (`['a', 1]`). An
 *   integral number is an int: JS cannot tell `1.0` from `1`, so Django's `1.0` prints `1`.
 * - A `Date` is an instant; `date`/`time` show it in the compile host's `timeZone` (IANA name,
 *   default UTC) with named formats (`DATE_FORMAT`, ...) from its `locale` (default `en`). Zone
 *   abbreviations (`T`, `e`) come from Intl, so a few zones spell them differently from tzdata.
 * - `{{ date }}` prints with the locale's `DATETIME_FORMAT` in the host's zone, a fraction with
 *   the locale's decimal separator (Django's `localize`); a small float is written out as
 *   Django 5.2 does (`{{ 1e-7 }}` → `0.0000001`; 3.2 printed `1e-07`).
 * - A plain object stands in for a dict: `d.items`/`d.keys`/`d.values` work on it (and on a
 *   `Map`) unless it has a field of that name.
 * - Functions found while resolving a variable are called with no arguments and `this` bound to
 *   their owner; `fn.doNotCallInTemplates = true` opts out; class constructors resolve to
 *   nothing. Inherited builtins (`constructor`, `toString`, ...) are not reachable.
 * - `include`/`extends` of a string literal are resolved and compiled in at compile time, so
 *   recursive includes are rejected (TemplateSyntaxError) instead of being expanded at render
 *   time; a variable or filtered name is compiled when rendered (once per name).
 * - `{% url/firstof/now ... as name %}` and `{% cycle ... as name %}` bind `name` for the rest of
 *   the enclosing tag body (template, `for`, `with`, `block`, `if` branch, `spaceless`, included
 *   file; `autoescape` adds no scope). Django sets it in the current context dict, which makes
 *   two differences: there a name set inside `{% if %}`/`{% spaceless %}` is still visible after
 *   `endif`, and inside a loop a name set in one iteration is visible in the next one before the
 *   tag runs again. The name must be a plain variable name (Django accepts any word).
 * - `{% now %}` and `{% cycle %}` outside loops are evaluated per render; a change-tracked render
 *   does not refresh `now` (it reads no assign), nor a name bound by `{% now ... as name %}`.
 * @module
 */
export { TemplateLoader, type TemplateLoaderOptions } from "./loader.js";
export type { FragmentCacheOptions } from "./fragment-cache.js";
export { CompiledTemplate } from "./compiler.js";
export {
  TemplateSyntaxError,
  TemplateDoesNotExist,
  TemplateRenderError,
  type SourceLocation,
} from "./errors.js";
export {
  registerFilter,
  getFilter,
  filterNames,
  type FilterSpec,
  type FilterOptions,
} from "./filters.js";
export { registerTag, getTag, type TagSpec } from "./custom-tags.js";
export { SafeString, markSafe, escapeHtml, toHtml } from "./safe.js";
