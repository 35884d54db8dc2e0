/**
 * API slugs: `/djust/api/<slug>/<handler>/`.
 * @module
 */

/**
 * Kebab-cases a class name without its trailing `LiveView`/`View`: words split at a
 * lower-case letter or digit followed by an upper-case one, and before an upper-case letter
 * followed by a lower-case one (`S3BrowserView` → `s3-browser`, `HTTPAPIView` → `httpapi`).
 */
export function slugFromClassName(className: string): string {
  return kebabCase(className.replace(/(LiveView|View)$/, "") || className);
}

/** Kebab-cases a class name by the word rule of {@link slugFromClassName}. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1-$2")
    .toLowerCase();
}

/** The slug of a view: `static apiName`, else the live route's name, else from the class name. */
export function viewSlug(view: { name: string; apiName?: string }, routeName?: string): string {
  return view.apiName ?? routeName ?? slugFromClassName(view.name);
}
