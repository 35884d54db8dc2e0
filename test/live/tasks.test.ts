/**
 * Timers and background tasks of a connected view: `sendAfter` → `handleInfo`, `startAsync` →
 * `handleAsync`, `cancelAsync`, `unmount`; everything ends with the view. A page load that
 * asks for them, or tracks presence (none of it would ever run), is told where to do it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LiveView, eventHandler, html, type Rendered } from "../../src/index.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { serveLive } from "../support/live-server.js";
import { loadPage, RawClient } from "./helpers.js";
import type { AsyncOutcome } from "../../src/view/runtime.js";

const ended: string[] = [];
const aborted: string[] = [];

class ClockView extends LiveView {
  ticks = 0;
  report = "";

  override mount() {
    // A fresh connected mount: scheduled before the live instance exists.
    if (this.connected) this.sendAfter(5, "tick");
  }

  override handleInfo(message: unknown) {
    if (message !== "tick") return;
    this.ticks += 1;
    if (this.ticks < 3) this.sendAfter(5, "tick");
  }

  @eventHandler
  load() {
    this.startAsync("report", async (signal) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      signal.throwIfAborted();
      return "42 orders";
    });
  }

  @eventHandler
  fail() {
    this.startAsync("report", () => Promise.reject(new Error("upstream is down")));
  }

  @eventHandler
  slow() {
    this.startAsync("report", (signal) => {
      signal.addEventListener("abort", () => aborted.push(String(signal.reason)));
      return new Promise(() => undefined);
    });
  }

  @eventHandler
  stop() {
    return { cancelled: this.cancelAsync("report") };
  }

  override handleAsync(name: string, outcome: AsyncOutcome) {
    this.report = outcome.ok ? `${name}: ${String(outcome.result)}` : `${name} failed`;
  }

  override unmount(reason: "leave" | "closed") {
    ended.push(reason);
  }

  override render(): Rendered {
    return html`<p>${String(this.ticks)} ${this.report}</p>`;
  }
}

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), what);
};

describe("timers and tasks", () => {
  it("sendAfter from mount reaches handleInfo, and a periodic timer re-arms itself", async () => {
    const view = await LiveViewTestClient.mount(ClockView, { deadRender: false });
    await until(() => view.assigns.ticks === 3, "three ticks");
    assert.match(view.render(), /<p>3 <\/p>/);
    assert.ok(view.takePushes().length >= 3, "each tick pushed a diff");
    await view.close();
  });

  it("startAsync delivers its result or its failure to handleAsync, never a rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const view = await LiveViewTestClient.mount(ClockView, { deadRender: false });
      await view.click("load");
      await until(() => view.assigns.report === "report: 42 orders", "the result arrived");
      await view.click("fail");
      await until(() => view.assigns.report === "report failed", "the failure arrived");
      await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(unhandled, []);
      await view.close();
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("cancelAsync aborts the task and drops its outcome", async () => {
    aborted.length = 0;
    const view = await LiveViewTestClient.mount(ClockView, { deadRender: false });
    await view.click("slow");
    const reply = await view.click("stop");
    assert.deepEqual(reply.reply, { cancelled: true });
    assert.deepEqual(aborted, ['Error: "report" was cancelled']);
    assert.deepEqual((await view.click("stop")).reply, { cancelled: false });
    await view.close();
  });

  it("a view that ends cancels its timers and tasks and runs unmount", async () => {
    ended.length = 0;
    aborted.length = 0;
    const view = await LiveViewTestClient.mount(ClockView, { deadRender: false });
    await view.click("slow");
    await view.close();
    assert.deepEqual(ended, ["closed"]);
    assert.deepEqual(aborted, ["Error: the view ended"]);
    const ticks = view.assigns.ticks;
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(view.assigns.ticks, ticks, "no timer fired after the end");
  });

  it("does nothing outside a connected view (dead render)", async () => {
    const view = new ClockView();
    assert.equal(typeof view.sendAfter(1, "tick"), "function");
    view.startAsync("x", () => 1);
    assert.equal(view.cancelAsync("x"), false);
  });
});

/** A view that starts its timer in mount unconditionally, as a port from Phoenix might. */
class TickerView extends LiveView {
  ticks = 0;

  override mount() {
    this.sendAfter(5, "tick");
    this.startAsync("warm-up", () => 1);
    this.track("tickers", "me");
  }

  override handleInfo() {
    this.ticks += 1;
  }

  override render(): Rendered {
    return html`<p>${String(this.ticks)}</p>`;
  }
}

describe("timers, tasks and presence asked for by a page load", () => {
  const live = serveLive({}, (app) => {
    app.live("/", TickerView);
  });

  it("are logged once per call and view class with the fix, and never run", async () => {
    const page = await loadPage(`${live.url}/`);
    await loadPage(`${live.url}/`);
    const warnings = live.logger.lines.filter((line) => line.level === "warn");
    assert.deepEqual(
      warnings,
      ["sendAfter", "startAsync", "track"].map((call) => ({
        level: "warn",
        message:
          `TickerView called ${call} during the page load (dead render), which has no ` +
          "connection, so it did nothing; the join restores the view and runs mount again only " +
          "in some cases, so it may never happen. Call it in joined(), which runs on every join.",
      })),
    );
    const client = live.track(await RawClient.connect(live.url, { cookie: page.cookie }));
    assert.equal((await client.join(page, live.url)).payload.status, "ok");
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(
      client.received.filter((m) => m.event === "diff"),
      [],
      "no timer fired",
    );
  });
});

let remountRuns = 0;

/** Its restore runs mount again (temporary assigns), which fails once: the view mounts afresh. */
class FlakyRemountView extends LiveView {
  static override temporaryAssigns = { log: [] };
  ticks = 0;
  log: string[] = [];

  override mount() {
    remountRuns += 1;
    this.sendAfter(5, "tick");
    if (remountRuns === 2) throw new Error("the second mount fails");
  }

  override handleInfo() {
    this.ticks += 1;
  }

  override render(): Rendered {
    return html`<p>${String(this.ticks)}</p>`;
  }
}

describe("a restore that fails and mounts afresh", () => {
  it("starts the timers of the fresh mount only", async () => {
    remountRuns = 0;
    const view = await LiveViewTestClient.mount(FlakyRemountView);
    try {
      // The dead render, the restore's mount that threw, and the fresh mount.
      assert.equal(remountRuns, 3);
      assert.equal(view.restored, false);
      await until(() => view.assigns.ticks === 1, "the fresh mount's tick");
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(view.assigns.ticks, 1, "the failed attempt's timer never fired");
    } finally {
      await view.close();
    }
  });
});
