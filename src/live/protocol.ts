/**
 * The protocol's names in one place: the Phoenix Channels and LiveView events the server sends
 * and reads, the `lv:` topic prefix, the close codes, and the paths of the live endpoints.
 * Every other module of the live layer uses these constants, never the strings.
 * @module
 */
import type { Navigation } from "../view/runtime.js";

/** Channel events the protocol defines (client → server and server → client). */
export const CHANNEL_EVENTS = {
  join: "phx_join",
  leave: "phx_leave",
  reply: "phx_reply",
  close: "phx_close",
  error: "phx_error",
  heartbeat: "heartbeat",
} as const;

/** LiveView events on a joined `lv:` topic. */
export const LIVE_EVENTS = {
  /** Client → server: a browser event (`phx-click`, form change/submit, …). */
  event: "event",
  /** Client → server: the browser moved to a URL of the same view. */
  livePatch: "live_patch",
  /** Client → server: the preflight of an upload (tokens or presigned metadata per entry). */
  allowUpload: "allow_upload",
  /** Client → server: an entry's upload progress (percent, or `{ error }`). */
  progress: "progress",
  /** Client → server: components about to go / gone (acknowledged only). */
  cidsWillDestroy: "cids_will_destroy",
  cidsDestroyed: "cids_destroyed",
  /** Server → client: a rendered diff outside a reply. */
  diff: "diff",
  /** Server → client: navigate to another live view (also the key in a reply). */
  liveRedirect: "live_redirect",
  /** Server → client: a full page load (also the key in a reply). */
  redirect: "redirect",
} as const;

/** The event the official client sends when a flash message is closed (Phoenix's built-in). */
export const CLEAR_FLASH_EVENT = "lv:clear-flash";

/**
 * The client event that carries a refused or failed event's error (DESIGN §10): it rides in the
 * `e` list of an `ok` reply's diff, because the official client clears an element's loading
 * state only on `ok`. The bundled client turns it into a `djust:error` window event.
 */
export const ERROR_EVENT = "djust:error";

/** How often the official client sends a heartbeat (phoenix's `heartbeatIntervalMs`). */
export const HEARTBEAT_MS = 30_000;

/** The topic of socket-level messages (heartbeats). */
export const PHOENIX_TOPIC = "phoenix";

/** Prefix of an upload channel's topic: `lvu:<entry ref>`. */
export const UPLOAD_TOPIC_PREFIX = "lvu:";

/** The event carrying one binary chunk on an upload channel. */
export const UPLOAD_CHUNK_EVENT = "chunk";

/** Prefix of a live view's topic: `lv:<view id>`. */
export const VIEW_TOPIC_PREFIX = "lv:";

/** The topic a view with id `id` is joined on. */
export function viewTopic(id: string): string {
  return `${VIEW_TOPIC_PREFIX}${id}`;
}

/** Close code for a frame that is not a Phoenix V2 frame (WebSocket "unsupported data"). */
export const CLOSE_PROTOCOL = 1003;
/** Close code for a frame over `limits.frameBytes` (WebSocket "message too big"). */
export const CLOSE_TOO_BIG = 1009;
/** Close code sent after too many rate-limited events (DESIGN §10). */
export const CLOSE_RATE_LIMITED = 4429;
/**
 * Close code when the session the connection joined with ended (logout, the rotation of a
 * login): the client reconnects and rejoins as whoever its cookie now names.
 */
export const CLOSE_SESSION_ENDED = 4401;
/** Close code when the server shuts down (WebSocket "going away"). */
export const CLOSE_GOING_AWAY = 1001;
/** Close code when the server drops its sockets to restart (WebSocket "service restart"). */
export const CLOSE_SERVICE_RESTART = 1012;

/** The cookie the official client sets from a `redirect` reply's `flash`. */
export const FLASH_COOKIE = "__phoenix_flash__";

/** Path of the WebSocket endpoint. */
export const WEBSOCKET_PATH = "/djust/live/websocket";
/** Path of the long-poll endpoint. */
export const LONGPOLL_PATH = "/djust/live/longpoll";
/** Prefix of the client assets. */
export const STATIC_PREFIX = "/djust/static/";

/**
 * The reply keys of a navigation, as the official client reads them (also the event names of
 * the same navigation pushed by the server). `flash` is the signed flash carried along.
 */
export function navigationReply(nav: Navigation, flash?: string): Record<string, unknown> {
  const carried = flash === undefined ? {} : { flash };
  switch (nav.kind) {
    case "patch":
      return { [LIVE_EVENTS.livePatch]: { kind: nav.replace ? "replace" : "push", to: nav.to } };
    case "navigate":
      return {
        [LIVE_EVENTS.liveRedirect]: {
          kind: nav.replace ? "replace" : "push",
          to: nav.to,
          ...carried,
        },
      };
    case "redirect":
      return { [LIVE_EVENTS.redirect]: { to: nav.to, ...carried } };
  }
}
