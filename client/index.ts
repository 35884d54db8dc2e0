/**
 * The djust browser client: the official `phoenix` + `phoenix_live_view` clients, configured for
 * djust's templates (`dj-click`, `dj-submit`, `dj-change`, `dj-value-*`, …) and endpoints.
 * Built into one script by esbuild when the app starts and served from `/djust/static/`.
 *
 * Hooks (`dj-hook="Name"` on an element with an `id`): register them before the page's scripts
 * run, or any time before the element appears:
 *
 * ```html
 * <script>
 *   window.djustHooks = window.djustHooks || {};
 *   window.djustHooks.Focus = { mounted() { this.el.focus(); } };
 * </script>
 * ```
 *
 * or, after load, `window.djust.registerHook("Focus", { mounted() { … } })`. A hook gets the
 * Phoenix hook API: `this.el`, `this.pushEvent(name, payload)`, `this.handleEvent(name, fn)`
 * (receives the view's `pushEvent`), `mounted/updated/destroyed/disconnected/reconnected`.
 *
 * External uploads (`allowUpload(name, { external })`): the uploader the server's metadata names
 * is `S3` (built in: a presigned POST, see `uploaders.ts`) or one of `window.djustUploaders`,
 * set before this script runs — Phoenix's `uploaders` option, `(entries, onViewError) => void`
 * (see docs/uploads.md).
 *
 * Options, read from `window.djustConfig` when the script runs:
 * `{ path?: string = "/djust/live", transport?: "websocket" | "longpoll",
 *    longPollFallbackMs?: number = 2500, debug?: boolean, errorNotice?: boolean = true }`.
 *
 * Refused or failed events (DESIGN §10): the server replies with a `djust:error` client event,
 * which this script re-dispatches as a cancelable `djust:error` window event whose `detail` is
 * `{ error: kind, message, details? }` (`validation_error`, `permission_denied`,
 * `unauthenticated`, `rate_limited`, `handler_error`, …). Unless a listener calls
 * `preventDefault()` or `errorNotice` is `false`, a small dismissible notice (`role="alert"`,
 * class `djust-error-notice`, inline styles) shows the message for a few seconds:
 *
 * ```js
 * window.addEventListener("djust:error", (e) => console.warn(e.detail.error, e.detail.message));
 * ```
 */
import { LongPoll, Socket } from "phoenix";
import { LiveSocket } from "phoenix_live_view";
import { S3, type Uploader } from "./uploaders.js";

type Hook = Record<string, unknown>;

interface DjustConfig {
  path?: string;
  transport?: "websocket" | "longpoll";
  longPollFallbackMs?: number;
  debug?: boolean;
  /** Show a notice for refused or failed events (default `true`). */
  errorNotice?: boolean;
}

/** `detail` of the `djust:error` window event. */
export interface DjustErrorDetail {
  error: string;
  message: string;
  details?: Record<string, string[]>;
}

interface DjustGlobal {
  liveSocket: LiveSocket;
  hooks: Record<string, Hook>;
  registerHook(name: string, hook: Hook): void;
}

declare global {
  interface Window {
    djustHooks?: Record<string, Hook>;
    djustUploaders?: Record<string, Uploader>;
    djustConfig?: DjustConfig;
    djust?: DjustGlobal;
    liveSocket?: LiveSocket;
  }
}

const config: DjustConfig = window.djustConfig ?? {};
const csrfToken = document.querySelector("meta[name='csrf-token']")?.getAttribute("content") ?? "";
// The same object is handed to LiveSocket, which looks hooks up when an element mounts, so hooks
// registered after this script ran still work for elements that appear later.
const hooks: Record<string, Hook> = (window.djustHooks ??= {});

const options: Record<string, unknown> = {
  bindingPrefix: "dj-",
  params: { _csrf_token: csrfToken },
  hooks,
  uploaders: { S3, ...window.djustUploaders },
};
if (config.transport === "longpoll") options.transport = LongPoll;
else options.longPollFallbackMs = config.longPollFallbackMs ?? 2500;

const liveSocket = new LiveSocket(config.path ?? "/djust/live", Socket, options);
liveSocket.connect();
if (config.debug) liveSocket.enableDebug();

window.liveSocket = liveSocket;
window.djust = {
  liveSocket,
  hooks,
  registerHook(name, hook) {
    hooks[name] = hook;
  },
};

// Refused or failed events: the server's `djust:error` client event arrives as `phx:djust:error`.
const NOTICE_MS = 8000;
let notices: HTMLElement | undefined;

function showNotice({ error, message, details }: DjustErrorDetail): void {
  if (!notices?.isConnected) {
    notices = document.createElement("div");
    notices.className = "djust-error-notices";
    notices.style.cssText =
      "position:fixed;right:16px;bottom:16px;z-index:2147483647;display:flex;" +
      "flex-direction:column;gap:8px;max-width:min(24rem,calc(100vw - 32px))";
    document.body.append(notices);
  }
  const box = document.createElement("div");
  box.className = "djust-error-notice";
  box.setAttribute("role", "alert");
  box.dataset.error = error;
  box.style.cssText =
    "display:flex;gap:12px;align-items:flex-start;padding:10px 12px;border-radius:6px;" +
    "background:#fdecea;color:#5f2120;border:1px solid #f1b7b4;border-left:4px solid #d32f2f;" +
    "box-shadow:0 2px 8px rgba(0,0,0,.15);font:14px/1.4 system-ui,sans-serif";
  const text = document.createElement("div");
  text.style.flex = "1";
  text.textContent = message || error;
  // Field messages (validation errors), unless they only repeat the message.
  for (const [field, messages] of Object.entries(details ?? {})) {
    for (const m of Array.isArray(messages) ? messages : []) {
      if (m === message) continue;
      const line = document.createElement("div");
      line.style.fontSize = "13px";
      line.textContent = field === "__all__" ? m : `${field}: ${m}`;
      text.append(line);
    }
  }
  const close = document.createElement("button");
  close.type = "button";
  close.setAttribute("aria-label", "Dismiss");
  close.textContent = "\u00d7";
  close.style.cssText =
    "border:0;background:none;color:inherit;font:20px/1 system-ui,sans-serif;padding:0 2px;" +
    "cursor:pointer;opacity:.7";
  const dismiss = () => box.remove();
  close.addEventListener("click", dismiss);
  setTimeout(dismiss, NOTICE_MS);
  box.append(text, close);
  notices.append(box);
  while (notices.childElementCount > 3) notices.firstElementChild?.remove();
}

window.addEventListener("phx:djust:error", (event) => {
  const detail = (event as CustomEvent<DjustErrorDetail>).detail;
  const forward = new CustomEvent("djust:error", { detail, cancelable: true });
  if (window.dispatchEvent(forward) && config.errorNotice !== false) showNotice(detail);
});
