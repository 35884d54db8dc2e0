import { LiveView, eventHandler, html, type AsyncOutcome, type Rendered } from "../../src/index.js";
import { createApp, type OnMountHook } from "../../src/server/index.js";

/** Sends anonymous visitors to the login page; over the HTTP API that is a 403. */
export const requireUser: OnMountHook = (_view, request) =>
  request.user
    ? undefined
    : { redirect: `/login/?next=${encodeURIComponent(request.url.pathname)}` };

export class DashboardView extends LiveView {
  refreshedAt = "";
  report = "loading…";

  // Each join — after the dead render's mount, or a restore on another node.
  override joined() {
    this.sendAfter(30_000, "refresh");
    this.startAsync("report", (signal) => loadReport(signal));
  }

  override handleInfo(message: unknown) {
    if (message !== "refresh") return;
    this.refreshedAt = new Date().toISOString();
    this.sendAfter(30_000, "refresh"); // periodic: each tick schedules the next
  }

  override handleAsync(name: string, outcome: AsyncOutcome) {
    if (name === "report") this.report = outcome.ok ? String(outcome.result) : "unavailable";
  }

  @eventHandler
  reload() {
    this.report = "loading…";
    this.startAsync("report", (signal) => loadReport(signal)); // replaces a running one
  }

  override render(): Rendered {
    return html`<p>${this.report}</p><small>${this.refreshedAt}</small>`;
  }
}

async function loadReport(signal: AbortSignal): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 10));
  signal.throwIfAborted();
  return "42 orders today";
}

export const app = createApp({ loadUser: (id) => ({ id }) });
app.liveSession({ onMount: requireUser }, (s) => s.live("/dashboard/", DashboardView));
