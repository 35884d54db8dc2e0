/**
 * `assignAsync`: fields hold an `AsyncResult` that the template renders as it settles; a failing
 * loader becomes `failed` (logged, never an unhandled rejection); a restore with a field still
 * loading runs the loader again; a view that ends cancels its loaders, and a process whose view
 * closed mid-load exits by itself (test/fixtures/async-exit.ts in a child process).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { z } from "zod";
import {
  LiveView,
  ValidationError,
  asyncLoading,
  eventHandler,
  html,
  type AsyncResult,
  type Rendered,
} from "../../src/index.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { memoryLogger } from "./helpers.js";

let loads = 0;
const aborted: string[] = [];
/** Resolvers of loaders the test completes by hand. */
const pending: ((value: { total: number }) => void)[] = [];

class OrderView extends LiveView {
  order: AsyncResult<{ total: number }> = asyncLoading();
  lines: AsyncResult<string[]> = asyncLoading();

  override mount() {
    this.assignAsync(["order", "lines"], async () => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 5));
      return { order: { total: 42 }, lines: ["tea", "milk"] };
    });
  }

  @eventHandler
  fail() {
    this.assignAsync("order", () => Promise.reject(new Error("database is down")));
  }

  @eventHandler
  refuse() {
    this.assignAsync("order", () => {
      throw new ValidationError("No such order.");
    });
  }

  @eventHandler
  forget() {
    // The loader leaves out a key it was asked for.
    this.assignAsync("order", () => ({}) as { order: { total: number } });
  }

  @eventHandler
  slow() {
    this.assignAsync("order", (signal) => {
      signal.addEventListener("abort", () => aborted.push(String(signal.reason)));
      return new Promise<{ order: { total: number } }>((done) =>
        pending.push((order) => done({ order })),
      );
    });
  }

  override render(): Rendered {
    const o = this.order;
    const state = o.loading ? "loading" : o.ok ? `total ${String(o.result?.total)}` : "";
    return html`<p>${state}${o.failed ? ` failed: ${o.failed}` : ""}</p><i>${(this.lines.result ?? []).join(",")}</i>`;
  }
}

/** An {@link OrderView} whose mount sets a field's contents in place, as mounts often do. */
class PagedOrderView extends OrderView {
  filters = { page: 1, tags: ["open"] };

  override mount() {
    this.filters.page = 1;
    this.filters.tags.length = 0;
    super.mount();
  }

  @eventHandler
  nextPage() {
    this.filters.page++;
    this.filters.tags.push("page");
  }
}

/** A search whose loaders the test settles by hand, in the order it chooses. */
class SearchView extends LiveView {
  static loads: ((value: string) => void)[] = [];
  static hold: Promise<void> = Promise.resolve();
  results: AsyncResult<string> = asyncLoading();
  other: AsyncResult<string> = asyncLoading();

  #load(): Promise<string> {
    return new Promise((resolve) => SearchView.loads.push(resolve));
  }

  @eventHandler({ params: z.object({ q: z.string() }) })
  search() {
    this.assignAsync("results", async () => ({ results: await this.#load() }));
  }

  /** Holds the view's queue, then searches again. */
  @eventHandler({ params: z.object({ q: z.string() }) })
  async searchAfterHold() {
    await SearchView.hold;
    this.search();
  }

  @eventHandler({ params: z.object({ order: z.enum(["ab", "ba"]) }) })
  both({ order }: { order: "ab" | "ba" }) {
    const keys: ("results" | "other")[] =
      order === "ab" ? ["results", "other"] : ["other", "results"];
    this.assignAsync(keys, async () => {
      const value = await this.#load();
      return { results: value, other: value };
    });
  }

  override render(): Rendered {
    const r = this.results;
    if (r.loading) return html`<p>loading</p>`;
    const other = this.other.ok ? ` ${String(this.other.result)}` : "";
    return html`<p>${r.result}${other}${r.failed ? ` (${r.failed})` : ""}</p>`;
  }
}

/** Opens when the test says. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), what);
};

describe("assignAsync", () => {
  it("renders loading, then each key's result as the loader settles", async () => {
    const view = await LiveViewTestClient.mount(OrderView, { deadRender: false });
    assert.match(view.render(), /<p>loading<\/p><i><\/i>/);
    await until(() => (view.assigns.order as { ok: boolean }).ok, "the order loaded");
    assert.deepEqual(view.assigns.order, {
      loading: false,
      ok: true,
      failed: null,
      result: { total: 42 },
    });
    assert.deepEqual(view.assigns.lines, {
      loading: false,
      ok: true,
      failed: null,
      result: ["tea", "milk"],
    });
    assert.match(view.render(), /<p>total 42<\/p><i>tea,milk<\/i>/);
    const pushed = view.takePushes();
    assert.equal(pushed.length, 1, "one diff for the settled loader");
    assert.match(JSON.stringify(pushed[0]?.diff), /total 42/);
    await view.close();
  });

  it("a failing loader becomes failed: logged, the last result kept, no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const logger = memoryLogger();
      const view = await LiveViewTestClient.mount(OrderView, { deadRender: false, logger });
      await until(() => (view.assigns.order as { ok: boolean }).ok, "the order loaded");
      // The event's own render shows the reload; the last result is kept meanwhile.
      const reply = await view.click("fail");
      assert.match(JSON.stringify(reply.diff), /loading/);
      await until(() => (view.assigns.order as { loading: boolean }).loading === false, "failed");
      assert.deepEqual(view.assigns.order, {
        loading: false,
        ok: true,
        failed: "error",
        result: { total: 42 },
      });
      assert.match(view.render(), /<p>total 42 failed: error<\/p>/);
      assert.deepEqual(
        logger.lines.filter((l) => l.level === "error").map((l) => l.message),
        ["OrderView.assignAsync(order) failed"],
      );
      // A DjustError's message is written for users: it is what `failed` shows.
      await view.click("refuse");
      await until(() => (view.assigns.order as { failed: unknown }).failed !== null, "refused");
      assert.equal((view.assigns.order as { failed: unknown }).failed, "No such order.");
      await view.click("forget");
      await until(() => (view.assigns.order as { loading: boolean }).loading === false, "forgot");
      assert.equal((view.assigns.order as { failed: unknown }).failed, "error");
      assert.ok(
        logger.lines.some(
          (l) => l.message === 'OrderView.assignAsync: the loader returned no "order"',
        ),
      );
      await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(unhandled, []);
      await view.close();
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("a page load shows loading, and the join's restore starts the loader", async () => {
    loads = 0;
    const view = await LiveViewTestClient.mount(OrderView);
    assert.equal(view.restored, true, "the join restored the dead render's snapshot");
    await until(() => (view.assigns.order as { ok: boolean }).ok, "loaded after the restore");
    assert.equal(loads, 1, "the dead render ran no loader; the restore ran it once");
    await view.close();
  });

  it("a view restored elsewhere mid-load runs the loader again; a loaded one does not", async () => {
    loads = 0;
    const stateBackend = new MemoryStateBackend();
    const first = await LiveViewTestClient.mount(OrderView, { deadRender: false, stateBackend });
    await first.click("slow");
    // The connection drops while the slow load runs: the snapshot holds `loading`.
    await first.close();
    assert.deepEqual(aborted.splice(0), ["Error: the view ended"]);
    const stored = await stateBackend.get(first.id);
    assert.equal((stored?.state.order as { loading: boolean }).loading, true);
    // Another node restores it: mount runs again for its loaders; the snapshot's state wins.
    const again = await LiveViewTestClient.mount(OrderView, {
      deadRender: false,
      stateBackend,
      id: first.id,
    });
    assert.equal(again.restored, true);
    await until(() => (again.assigns.order as { ok: boolean }).ok, "reloaded after restore");
    assert.deepEqual((again.assigns.order as { result: unknown }).result, { total: 42 });
    await again.close();
    loads = 0;
    const third = await LiveViewTestClient.mount(OrderView, {
      deadRender: false,
      stateBackend,
      id: again.id,
    });
    assert.equal(third.restored, true);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(loads, 0, "nothing was loading: no mount, no loader");
    assert.match(third.render(), /total 42/);
    await third.close();
  });

  it("a restore that runs mount again for a loader keeps the snapshot's values, whatever mount did in place", async () => {
    pending.length = 0;
    const stateBackend = new MemoryStateBackend();
    const first = await LiveViewTestClient.mount(PagedOrderView, {
      deadRender: false,
      stateBackend,
    });
    await first.click("nextPage");
    await first.click("nextPage");
    await first.click("slow");
    await first.close();
    aborted.length = 0;
    // The restore assigns the snapshot, mount (for the loader) resets `filters` in place, then
    // the snapshot is assigned again: it must still hold what was stored.
    const again = await LiveViewTestClient.mount(PagedOrderView, {
      deadRender: false,
      stateBackend,
      id: first.id,
    });
    assert.equal(again.restored, true);
    assert.deepEqual(again.assigns.filters, { page: 3, tags: ["page", "page"] });
    await again.close();
    for (const settle of pending.splice(0)) settle({ total: 1 });
  });

  it("a replaced or ended loader never writes its fields", async () => {
    aborted.length = 0;
    pending.length = 0;
    const view = await LiveViewTestClient.mount(OrderView, { deadRender: false });
    await until(() => (view.assigns.order as { ok: boolean }).ok, "loaded");
    await view.click("slow");
    await view.click("slow");
    assert.deepEqual(aborted, ['Error: replaced by a new "assign:order" task']);
    await view.close();
    assert.deepEqual(aborted.slice(1), ["Error: the view ended"]);
    for (const settle of pending) settle({ total: 7 });
    await new Promise((r) => setTimeout(r, 10));
    assert.equal((view.assigns.order as { loading: boolean }).loading, true);
    assert.doesNotMatch(view.render(), /total 7/);
  });

  it("a loader replaced while its outcome waits in the view's queue never writes its fields", async () => {
    const view = await LiveViewTestClient.mount(SearchView, { deadRender: false });
    try {
      await view.click("search", { q: "a" });
      const hold = gate();
      SearchView.hold = hold.wait;
      const again = view.click("searchAfterHold", { q: "ab" });
      SearchView.loads[0]!("results for a"); // settles while the new search holds the queue
      await new Promise((r) => setImmediate(r));
      hold.open();
      await again;
      await view.settle();
      assert.equal(view.render(), "<p>loading</p>");
      SearchView.loads[1]!("results for ab");
      await until(() => view.render() === "<p>results for ab</p>", "the new loader's result");
    } finally {
      SearchView.loads.length = 0;
      await view.close();
    }
  });

  it("the same keys in another order are the same loader: the new one replaces the old", async () => {
    const view = await LiveViewTestClient.mount(SearchView, { deadRender: false });
    try {
      await view.click("both", { order: "ab" });
      await view.click("both", { order: "ba" });
      SearchView.loads[1]!("new");
      await until(() => view.render() === "<p>new new</p>", "the new loader's result");
      SearchView.loads[0]!("old");
      await new Promise((r) => setImmediate(r));
      await view.settle();
      assert.equal(view.render(), "<p>new new</p>");
    } finally {
      SearchView.loads.length = 0;
      await view.close();
    }
  });

  it('a field restored still loading with no loader started again fails as "interrupted"', async () => {
    const stateBackend = new MemoryStateBackend();
    // A page load's dead render ran no loader: its join leaves an unstarted field loading.
    const fresh = await LiveViewTestClient.mount(SearchView, { stateBackend });
    assert.equal(fresh.restored, true);
    assert.equal(fresh.render(), "<p>loading</p>");
    await fresh.close();
    const view = await LiveViewTestClient.mount(SearchView, {
      deadRender: false,
      stateBackend,
      durability: "reply",
    });
    await view.click("search", { q: "a" });
    SearchView.loads[0]!("results for a");
    await until(() => view.render() === "<p>results for a</p>", "loaded");
    await view.click("search", { q: "b" }); // a handler's reload: no mount starts it again
    await view.close();
    SearchView.loads.length = 0;
    const again = await LiveViewTestClient.mount(SearchView, {
      deadRender: false,
      stateBackend,
      id: view.id,
    });
    try {
      assert.equal(again.restored, true);
      assert.deepEqual(again.assigns.results, {
        loading: false,
        ok: true,
        failed: "interrupted",
        result: "results for a",
      });
      assert.equal(again.render(), "<p>results for a (interrupted)</p>");
      assert.equal(SearchView.loads.length, 0, "no loader started");
    } finally {
      await again.close();
    }
    // Stored so: the next restore shows the same, and starts nothing either.
    const third = await LiveViewTestClient.mount(SearchView, {
      deadRender: false,
      stateBackend,
      id: view.id,
    });
    assert.equal(third.render(), "<p>results for a (interrupted)</p>");
    await third.close();
  });

  it("a process whose view closed mid-load exits on its own", async () => {
    const root = resolve(import.meta.dirname, "../..");
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/async-exit.ts"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((done) =>
      child.once("exit", (c, s) => done([c, s])),
    );
    clearTimeout(killer);
    assert.equal(signal, null, `killed after 60 s: something kept the process alive\n${out}`);
    assert.equal(code, 0, out);
    assert.match(out, /loading shown/);
    assert.match(out, /loader aborted: the view ended/);
    assert.match(out, /unmount: closed/);
  });
});
