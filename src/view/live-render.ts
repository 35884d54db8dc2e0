/**
 * Nested live views, as templates place them: `liveRender(ChildView, { id, session, sticky })`
 * in html`` and `{% live_render "child" id="x" session=data sticky %}` in template files. Both
 * hand the request to the live layer's renderer of the view being rendered (set around each
 * render by {@link renderingChildren}), which starts or signs the child and returns its
 * container. Rendering is synchronous, so one renderer at a time is current.
 * @module
 */
import type { JsonObject } from "../state/serializable.js";
import { registerTag } from "../template/custom-tags.js";
import { SafeString } from "../template/safe.js";
import type { LiveViewClass } from "./live-view.js";

/** Options of {@link liveRender} and `{% live_render %}`. */
export interface LiveRenderOptions {
  /**
   * The child's DOM id, also its topic (`lv:<id>`): unique on the page, and within one parent.
   * Letters, digits, `_`, `-`, `.`, `:`; at most 100 characters.
   */
  readonly id: string;
  /**
   * What the child's `setup`/`mount` receive as `params` (with its services). Signed into the
   * child's container, so the browser can read but not change it; JSON values only.
   * @default {}
   */
  readonly session?: JsonObject;
  /**
   * Kept across live navigation of the page (`pushNavigate`, `dj-navigate` links): the child
   * is not re-mounted, its state stays, and it is not closed with the view that rendered it.
   * @default false
   */
  readonly sticky?: boolean;
}

/** Renders child views for the view being rendered (implemented by the live layer). */
export interface ChildRenderer {
  /**
   * The container of child `view` (a registered view class, or the name it was registered
   * under: its API slug or class name).
   * @throws Error naming the problem (unknown view, bad or repeated id, bad session).
   */
  render(view: LiveViewClass | string, options: LiveRenderOptions): SafeString;
}

/** The renderer of the render under way, or how to get it (made on first use). */
let current: ChildRenderer | (() => ChildRenderer) | undefined;

/**
 * Runs a render with the renderer `open` gives current, so that `liveRender` and
 * `{% live_render %}` reach it; `open` runs at the first of them in the render, so a view
 * without children never makes a renderer. `undefined` renders without nested views (they
 * then throw).
 */
export function renderingChildren<T>(open: (() => ChildRenderer) | undefined, render: () => T): T {
  const previous = current;
  current = open;
  try {
    return render();
  } finally {
    current = previous;
  }
}

/**
 * A nested live view inside an html`` render (DESIGN §11): its own instance, topic
 * (`lv:<id>`), state, events and snapshot. The dead render renders it inline; connected, the
 * browser joins it over the same socket.
 *
 * @example html`<aside>${liveRender(NotificationsView, { id: "notes", sticky: true })}</aside>`
 * @throws Error outside a live view's render, or for an unknown view, a bad or repeated id.
 */
export function liveRender(view: LiveViewClass | string, options: LiveRenderOptions): SafeString {
  if (current === undefined) {
    throw new Error("liveRender: nested live views render only inside a live view's render");
  }
  if (typeof current === "function") current = current();
  return current.render(view, options);
}

// `{% live_render "notifications" id="notes" session=data sticky %}`.
registerTag("live_render", {
  flags: ["sticky"],
  fn: (name: unknown, options: Record<string, unknown> = {}) => {
    // String literals in templates arrive marked safe.
    const view = name instanceof SafeString ? name.value : name;
    if (typeof view !== "string" || view === "") {
      throw new TypeError("the first argument names the view to render");
    }
    for (const key of Object.keys(options)) {
      if (key !== "id" && key !== "session" && key !== "sticky") {
        throw new TypeError(`unknown option ${key} (id, session, sticky)`);
      }
    }
    const id = options.id instanceof SafeString ? options.id.value : options.id;
    return liveRender(view, { ...options, id } as LiveRenderOptions);
  },
});
