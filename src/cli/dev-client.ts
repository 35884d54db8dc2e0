/**
 * The browser side of `djust dev`: a script the dev server adds to every HTML page it proxies
 * (only there: the app itself never serves it, so a production page has no trace of it). It
 * listens to the dev server's event stream and
 * - shows an overlay with an error (template name or source file, line, column) and removes it
 *   when the error is gone; a page that was an error page (no live view) is loaded again then;
 * - reloads the stylesheets in place when a `.css` file changed (the live view keeps its state);
 * - reloads the page when another static asset changed (client JavaScript, images).
 * @module
 */

/** Where the dev server answers its own requests (never proxied to the app). */
export const DEV_PREFIX = "/djust/dev/";
/** The script below. */
export const DEV_SCRIPT_PATH = `${DEV_PREFIX}client.js`;
/** The server-sent event stream the script listens to. */
export const DEV_EVENTS_PATH = `${DEV_PREFIX}events`;
/** The id of the overlay element. */
export const DEV_OVERLAY_ID = "djust-dev-overlay";

/** The events of the stream (`event:` names) and what the script does with them. */
export type DevEvent = "overlay" | "clear" | "css" | "reload";

/** The `<script>` tag the dev server inserts before `</head>` (or at the end of the page). */
export const DEV_SCRIPT_TAG = `<script defer src="${DEV_SCRIPT_PATH}"></script>`;

/** The script's source. Error text is set as text, never parsed as HTML. */
export const DEV_CLIENT_SCRIPT = `(() => {
  "use strict";
  const ID = ${JSON.stringify(DEV_OVERLAY_ID)};
  const events = new EventSource(${JSON.stringify(DEV_EVENTS_PATH)});
  const el = (tag, style, text) => {
    const node = document.createElement(tag);
    node.setAttribute("style", style);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  events.addEventListener("overlay", (event) => {
    const error = JSON.parse(event.data);
    document.getElementById(ID)?.remove();
    const box = el("div", "position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgb(15 23 42/.92);color:#f8fafc;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;padding:2rem");
    box.id = ID;
    box.setAttribute("role", "alert");
    box.append(el("div", "color:#fca5a5;font-size:1.25rem;font-weight:700;margin-bottom:.5rem", error.title));
    if (error.file) {
      const where = error.file + (error.line ? ":" + error.line + (error.column ? ":" + error.column : "") : "");
      const at = el("div", "color:#93c5fd;margin-bottom:1rem", where);
      at.className = "djust-dev-location";
      box.append(at);
    }
    box.append(el("pre", "white-space:pre-wrap;margin:0 0 1rem;padding:1rem;background:rgb(0 0 0/.35);border-radius:6px", error.message));
    if (error.stack) box.append(el("pre", "white-space:pre-wrap;margin:0;color:#cbd5e1;font-size:12px", error.stack));
    box.append(el("div", "margin-top:1rem;color:#94a3b8", "djust dev: fix the file and save; this goes away by itself."));
    document.body.append(box);
  });
  events.addEventListener("clear", () => {
    const shown = document.getElementById(ID);
    shown?.remove();
    // An error page has no live view to rejoin: load the page again.
    if (shown && !document.querySelector("[data-phx-main]")) location.reload();
  });
  events.addEventListener("css", () => {
    const stamp = Date.now();
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("djust-dev", String(stamp));
      link.href = url.href;
    }
  });
  events.addEventListener("reload", () => location.reload());
})();
`;
