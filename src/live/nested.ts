/**
 * Nested live views on the server: the containers a parent's render places
 * (`liveRender` / `{% live_render %}`), as the official client reads them — `data-phx-session`
 * (a view token naming the child, its session and its snapshot key), `data-phx-static`, and
 * `data-phx-parent-id` (the client joins the child once its parent joined, and destroys it with
 * the parent) or `data-phx-sticky` (a root of its own that the client moves across live
 * navigation). Connected, a container is empty and the browser joins the child over the same
 * socket; in the dead render the child is started and its HTML goes inside (page.ts).
 *
 * A child's snapshot key is its parent's plus its id, so a parent that rejoins (reconnect)
 * renders the same keys and the children restore; a sticky child's key is the page's main view
 * id plus its id, which live navigation keeps, so every page renders the same sticky key.
 * @module
 */
import { randomBytes } from "node:crypto";
import { escapeHtml, SafeString } from "../template/safe.js";
import type { JsonObject } from "../state/serializable.js";
import type { LiveViewClass } from "../view/live-view.js";
import type { ChildRenderer, LiveRenderOptions } from "../view/live-render.js";
import type { LiveRoute, NestHost } from "./host.js";
import { signViewToken } from "./view-token.js";

/** Where a view instance sits on the page. */
export interface ViewPlace {
  /** The id of the view's container (its topic is `lv:<domId>`). */
  readonly domId: string;
  /** The container id of the page's main view (kept by live navigation). */
  readonly pageId: string;
  /** How many parents the view has (0 for the main view and sticky children). */
  readonly depth: number;
}

/** A child started by the dead render, whose HTML replaces {@link PendingChild.marker}. */
export interface PendingChild {
  readonly route: LiveRoute;
  readonly key: string;
  readonly place: ViewPlace;
  readonly session: JsonObject;
  readonly marker: string;
}

/** What a parent's {@link ChildViews} needs to know about it. */
export interface ParentView {
  /** The parent's snapshot key. */
  readonly key: string;
  readonly place: ViewPlace;
  readonly connected: boolean;
  /** The parent's current URL (the child's request URL). */
  readonly href: string;
  /** The browser binding and user id its tokens carry (those of the parent's own token). */
  readonly binding: string;
  readonly uid: string | number | null;
  readonly viewName: string;
}

/** Children may nest this deep (a view that renders itself stops here). */
export const MAX_NESTING = 8;

const ID = /^[A-Za-z0-9_-][A-Za-z0-9_.:-]{0,99}$/;

/** The children of one view instance: validates each `live_render` and makes its container. */
export class ChildViews implements ChildRenderer {
  readonly #host: NestHost;
  readonly #parent: () => ParentView;
  /** Ids placed by the render under way (each id once per parent). */
  readonly #ids = new Set<string>();
  #pending: PendingChild[] = [];
  /** Makes the dead render's markers unguessable for the page's own content. */
  #nonce?: string;

  constructor(host: NestHost, parent: () => ParentView) {
    this.#host = host;
    this.#parent = parent;
  }

  /** A render starts: ids may be placed again. */
  begin(): this {
    this.#ids.clear();
    return this;
  }

  /** The children the dead render placed since the last call. */
  takePending(): PendingChild[] {
    const pending = this.#pending;
    this.#pending = [];
    return pending;
  }

  render(view: LiveViewClass | string, options: LiveRenderOptions): SafeString {
    const parent = this.#parent();
    const name = typeof view === "string" ? view : view?.name;
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`live_render of ${name}: pass the options ({ id })`);
    }
    const { id, session = {}, sticky = false } = options;
    if (typeof id !== "string" || !ID.test(id)) {
      throw new TypeError(
        `live_render of ${name}: id must be 1-100 letters, digits, "_", "-", "." or ":" (got ${JSON.stringify(id) ?? String(id)})`,
      );
    }
    if (this.#ids.has(id)) {
      throw new Error(
        `live_render: child id "${id}" is used twice in ${parent.viewName}; each child view needs its own id`,
      );
    }
    if (typeof sticky !== "boolean") {
      throw new TypeError(`live_render of ${name}: sticky must be true or false`);
    }
    const route =
      typeof view === "string" || typeof view === "function"
        ? this.#host.childRoute(view)
        : undefined;
    if (!route) {
      throw new Error(
        `live_render: unknown view ${JSON.stringify(name ?? String(view))}; register it with app.register(View) (or app.live) and name it by its class name or API slug`,
      );
    }
    const depth = sticky ? 0 : parent.place.depth + 1;
    if (depth > MAX_NESTING) {
      throw new Error(`live_render: child views nest deeper than ${MAX_NESTING} levels`);
    }
    const data = plainSession(session, route.view.name);
    this.#ids.add(id);
    const key = `${sticky ? parent.place.pageId : parent.key}~${id}`;
    const token = signViewToken(this.#host.viewTokens, {
      id,
      route: route.slug,
      params: data,
      uid: parent.uid,
      binding: parent.binding,
      nested: {
        key,
        page: parent.place.pageId,
        parent: sticky ? null : parent.place.domId,
        href: parent.href,
      },
    });
    const placement = sticky
      ? " data-phx-sticky"
      : ` data-phx-parent-id="${escapeHtml(parent.place.domId)}"`;
    let inner = "";
    if (!parent.connected) {
      this.#nonce ??= randomBytes(9).toString("base64url");
      inner = `<!--djust-child:${this.#nonce}:${id}-->`;
      const place = { domId: id, pageId: parent.place.pageId, depth };
      this.#pending.push({ route, key, place, session: data, marker: inner });
    }
    return new SafeString(
      `<div id="${escapeHtml(id)}" data-phx-session="${escapeHtml(token)}" data-phx-static=""${placement}>${inner}</div>`,
    );
  }
}

/** The session as plain JSON (it is signed into the page). */
function plainSession(session: unknown, viewName: string): JsonObject {
  if (typeof session !== "object" || session === null || Array.isArray(session)) {
    throw new TypeError(`live_render of ${viewName}: session must be an object of JSON values`);
  }
  try {
    return JSON.parse(JSON.stringify(session)) as JsonObject;
  } catch (error) {
    throw new TypeError(`live_render of ${viewName}: session must be JSON values`, {
      cause: error,
    });
  }
}
