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
 * Options, read from `window.djustConfig` when the script runs:
 * `{ path?: string = "/djust/live", transport?: "websocket" | "longpoll",
 *    longPollFallbackMs?: number = 2500, debug?: boolean }`.
 */
import { LongPoll, Socket } from "phoenix";
import { LiveSocket } from "phoenix_live_view";

type Hook = Record<string, unknown>;

interface DjustConfig {
  path?: string;
  transport?: "websocket" | "longpoll";
  longPollFallbackMs?: number;
  debug?: boolean;
}

interface DjustGlobal {
  liveSocket: LiveSocket;
  hooks: Record<string, Hook>;
  registerHook(name: string, hook: Hook): void;
}

declare global {
  interface Window {
    djustHooks?: Record<string, Hook>;
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
