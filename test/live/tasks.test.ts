/**
 * Timers and background tasks of a connected view: `sendAfter` → `handleInfo`, `startAsync` →
 * `handleAsync`, `cancelAsync`, `unmount`; everything ends with the view. A page load that
 * asks for them, or tracks presence (none of it would ever run), is told where to do it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LiveView, eventHandler, html, type Rendered } from "../../src/index.js";
import { MemoryPubSub } from "../../src/pubsub/memory.js";
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

/** Opens when the test says: a handler awaiting it holds the view's queue till then. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** A task and a handler the test settles by hand, to order them in the view's queue. */
class QueueView extends LiveView {
  static task = gate();
  static hold = gate();
  static order: string[] = [];
  report = "";

  override async joined() {
    this.startAsync("report", async () => {
      await QueueView.task.wait;
      return "old";
    });
    await this.subscribe("queue");
  }

  override handleInfo(message: unknown) {
    QueueView.order.push(`handleInfo ${String(message)}`);
  }

  /** Holds the queue, then cancels the task, whose outcome has been waiting behind it. */
  @eventHandler
  async stop() {
    await QueueView.hold.wait;
    return { cancelled: this.cancelAsync("report") };
  }

  /** Holds the queue, as an event in flight when the view closes. */
  @eventHandler
  async busy() {
    await QueueView.hold.wait;
    QueueView.order.push("busy");
  }

  override async handleAsync(name: string, outcome: AsyncOutcome) {
    QueueView.order.push("handleAsync");
    this.report = `${name}: ${String(outcome.ok && outcome.result)}`;
  }

  override unmount() {
    QueueView.order.push("unmount");
  }

  override render(): Rendered {
    return html`<p>${this.report}</p>`;
  }
}

/** Lets every settled promise run its callbacks (the task's outcome reaches the queue). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("a task's outcome waiting in the view's queue", () => {
  it("is dropped when a step before it cancels the task", async () => {
    QueueView.task = gate();
    QueueView.hold = gate();
    QueueView.order = [];
    const view = await LiveViewTestClient.mount(QueueView, { deadRender: false });
    try {
      const stop = view.click("stop");
      QueueView.task.open(); // settles while `stop` holds the queue: its outcome waits
      await settled();
      QueueView.hold.open();
      assert.deepEqual((await stop).reply, { cancelled: true });
      await view.settle();
      assert.deepEqual(QueueView.order, []);
      assert.equal(view.render(), "<p></p>");
    } finally {
      await view.close();
    }
  });

  it("is not handled once the view is closing, nor is a topic's message: the events in flight reply, then unmount", async () => {
    QueueView.task = gate();
    QueueView.hold = gate();
    QueueView.order = [];
    const pubsub = new MemoryPubSub();
    const view = await LiveViewTestClient.mount(QueueView, { deadRender: false, pubsub });
    const busy = view.click("busy");
    await settled();
    const closing = view.close();
    QueueView.task.open(); // settles while the view is closing
    await pubsub.publish("queue", "late");
    await settled();
    QueueView.hold.open();
    await busy;
    await closing;
    await settled();
    assert.deepEqual(QueueView.order, ["busy", "unmount"]);
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
