/**
 * URLs of live routes: patterns in Hono's path syntax (`/orders/:id/`), for live navigation
 * (URL → route) and `{% url "name" args %}` (route → URL); the login redirect; URLs from the
 * client, parsed without throwing.
 * @module
 */
import type { Params } from "../view/runtime.js";

const PARAM = /^:([A-Za-z_][A-Za-z0-9_]*)(\{(.+)\})?(\?)?$/;

/** A matcher for `pattern`: the route params of a matching path, else `undefined`. */
export function pathMatcher(pattern: string): (path: string) => Params | undefined {
  const names: string[] = [];
  const source = pattern
    .split("/")
    .map((segment) => {
      const param = PARAM.exec(segment);
      if (param) {
        names.push(param[1] as string);
        const body = param[3] ?? "[^/]+";
        return param[4] ? `(?:(${body}))?` : `(${body})`;
      }
      if (segment === "*") return ".*";
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  const re = new RegExp(`^${source}$`);
  return (path) => {
    const match = re.exec(path);
    if (!match) return undefined;
    const params: Params = {};
    names.forEach((name, i) => {
      const value = match[i + 1];
      if (value !== undefined) params[name] = decodeURIComponent(value);
    });
    return params;
  };
}

/**
 * `value` percent-encoded for one path segment as Django's `reverse()` quotes it: RFC 3986's
 * sub-delimiters and `~:@` stay as they are (they are legal in a path), `/` is encoded.
 */
export function quotePathSegment(value: string): string {
  return encodeURIComponent(value).replace(/%(24|26|2B|2C|3B|3D|3A|40)/g, (escape) =>
    decodeURIComponent(escape),
  );
}

/** `pattern` with its `:params` replaced by `args`, in order (URL-encoded). */
export function fillPattern(pattern: string, args: readonly unknown[]): string {
  let i = 0;
  return pattern
    .split("/")
    .map((segment) => (PARAM.test(segment) ? quotePathSegment(String(args[i++] ?? "")) : segment))
    .join("/");
}

/** A `urlFor` for the template loader from a name → pattern table. */
export function urlResolver(
  names: ReadonlyMap<string, string>,
): (name: string, args: unknown[]) => string {
  return (name, args) => {
    const pattern = names.get(name);
    if (pattern === undefined) throw new Error(`no live route named "${name}"`);
    return fillPattern(pattern, args);
  };
}

/** `loginUrl?next=<path>` for a URL that needs a login. */
export function loginRedirect(loginUrl: string, url: URL): string {
  const separator = loginUrl.includes("?") ? "&" : "?";
  return `${loginUrl}${separator}next=${encodeURIComponent(url.pathname + url.search)}`;
}

/** `text` parsed as an absolute URL, else `undefined`. */
export function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
