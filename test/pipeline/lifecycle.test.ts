/**
 * The one lifecycle on every transport: pub/sub in a view served over the HTTP API, flash
 * across `pushNavigate`/`redirect`, `pageTitle` across a restore, a template edited in debug
 * mode. Real app, real sockets.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  LiveView,
  eventHandler,
  html,
  type Rendered,
  type RenderContext,
} from "../../src/index.js";
import { MemoryPubSub } from "../../src/pubsub/memory.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import type { PubSub } from "../../src/pubsub/types.js";
import { AllowAny, createApp, type DjustApp, type RunningServer } from "../../src/server/index.js";
import { eventError, loadPage, memoryLogger, RawClient, response } from "../live/helpers.js";

class BoardView extends LiveView {
  static override apiAuthClasses = [AllowAny];
  static override csrfExempt = true;
  notes: string[] = [];

  override async mount() {
    await this.subscribe("board");
    this.pageTitle = "Board";
  }

  override handleInfo(message: unknown) {
    this.notes = [...this.notes, String((message as { note: string }).note)];
  }

  @eventHandler({ exposeApi: true, params: "any" })
  post(params: Record<string, unknown>) {
    void this.broadcast("board", { note: String(params.note) });
    return { posted: true };
  }

  @eventHandler
  title() {
    return { title: this.pageTitle ?? null };
  }

  @eventHandler
  leave() {
    this.putFlash("info", "Moved along");
    this.pushNavigate("/target/");
  }

  @eventHandler
  away() {
    this.putFlash("info", "Sent away");
    this.redirect("/target/");
  }

  override render(a: RenderContext): Rendered {
    return html`<ul>${(a.notes as string[]).map((n) => html`<li>${n}</li>`)}</ul>`;
  }
}

class TargetView extends LiveView {
  override render(a: RenderContext): Rendered {
    const flash = a.flash as Record<string, string>;
    return html`<p class="flash">${flash.info ?? "no flash"}</p>`;
  }
}

describe("one lifecycle on every transport", () => {
  const logger = memoryLogger();
  let app: DjustApp;
  let server: RunningServer;
  let base: string;
  const clients: RawClient[] = [];

  before(async () => {
    app = createApp({ secretKey: "lifecycle-secret", logger });
    app.live("/", BoardView).live("/target/", TargetView);
    server = await app.listen(0, "127.0.0.1");
    base = server.url;
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  async function joined() {
    const page = await loadPage(`${base}/`);
    const client = await RawClient.connect(base, { cookie: page.cookie });
    clients.push(client);
    const reply = await client.join(page, base);
    assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
    return { page, client };
  }

  it("serves a view whose mount subscribes over HTTP, and its broadcast reaches live views", async () => {
    const { page, client } = await joined();
    const res = await fetch(`${base}/djust/api/board/post/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ note: "from the API" }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { result: { posted: true }, assigns: {} });
    const diff = await client.next((m) => m.event === "diff" && m.topic === `lv:${page.id}`);
    assert.match(JSON.stringify(diff.payload), /from the API/);
  });

  it("keeps pageTitle set in mount across the restore of the join", async () => {
    const { page, client } = await joined();
    const reply = await client.event(page, "click", "title", {});
    assert.deepEqual(response(reply).diff, { r: { title: "Board" } });
  });

  it("carries the flash of a pushNavigate into the next view's join", async () => {
    const { page, client } = await joined();
    const reply = await client.event(page, "click", "leave", {});
    const redirect = response(reply).live_redirect as { to: string; flash?: string };
    assert.equal(redirect.to, "/target/");
    assert.equal(typeof redirect.flash, "string");
    // The official client joins the same topic again with `redirect` and `flash`.
    const next = await client.join(page, base, {
      url: undefined,
      redirect: `${base}/target/`,
      flash: redirect.flash,
    });
    assert.equal(next.payload.status, "ok", JSON.stringify(next.payload));
    assert.match(JSON.stringify(response(next).rendered), /Moved along/);
  });

  it("ignores a forged flash token on join", async () => {
    const { page, client } = await joined();
    const next = await client.join(page, base, {
      url: undefined,
      redirect: `${base}/target/`,
      flash: "forged.token",
    });
    assert.equal(next.payload.status, "ok");
    assert.match(JSON.stringify(response(next).rendered), /no flash/);
  });

  it("carries the flash of a redirect through the __phoenix_flash__ cookie, shown once", async () => {
    const { page, client } = await joined();
    const reply = await client.event(page, "click", "away", {});
    const redirect = response(reply).redirect as { to: string; flash?: string };
    assert.equal(redirect.to, "/target/");
    assert.equal(typeof redirect.flash, "string");
    // What the official client does: set the cookie, then load the page.
    const res = await fetch(`${base}/target/`, {
      headers: { cookie: `${page.cookie}; __phoenix_flash__=${redirect.flash}` },
    });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Sent away/);
    const cleared = res.headers.getSetCookie().find((c) => c.startsWith("__phoenix_flash__="));
    assert.match(cleared ?? "", /^__phoenix_flash__=; Max-Age=0; Path=\//);
    const forged = await fetch(`${base}/target/`, {
      headers: { cookie: `${page.cookie}; __phoenix_flash__=${redirect.flash}x` },
    });
    assert.match(await forged.text(), /no flash/);
  });
});

describe("pub/sub failures never end the process", () => {
  it("logs a failing broadcast over HTTP with its cause and still answers 200", async () => {
    const logger = memoryLogger();
    const failing: PubSub = {
      subscribe: (topic, listener) => new MemoryPubSub().subscribe(topic, listener),
      publish: () => Promise.reject(new Error("pub/sub is down")),
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const app = createApp({ secretKey: "s", logger, pubsub: failing });
    app.register(BoardView);
    try {
      const res = await app.fetch(
        new Request("http://app.test/djust/api/board/post/", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ note: "x" }),
        }),
      );
      assert.equal(res.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(unhandled, []);
      const line = logger.lines.find((l) => l.message.includes('broadcast on "board" failed'));
      assert.ok(line, JSON.stringify(logger.lines));
      assert.equal(line.level, "error");
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await app.close();
    }
  });

  it("refuses subscribe/broadcast on a view no app runs, synchronously", () => {
    const view = new BoardView();
    assert.throws(() => view.broadcast("t", {}), /BoardView is not run by an app/);
  });
});

describe("a template edited in debug mode", () => {
  const dir = mkdtempSync(join(tmpdir(), "djust-reload-"));
  const file = join(dir, "count.html");
  class CountView extends LiveView {
    static override templateName = "count.html";
    count = 0;
    label = "items";
    @eventHandler
    inc() {
      this.count += 1;
    }
  }
  let server: RunningServer;
  const logger = memoryLogger();

  before(async () => {
    writeFileSync(file, "<p>Count: {{ count }}</p>");
    const app = createApp({ secretKey: "s", debug: true, templateDirs: [dir], logger });
    app.live("/", CountView);
    server = await app.listen(0, "127.0.0.1");
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("re-renders connected views in full with the new template", async () => {
    const page = await loadPage(`${server.url}/`);
    const client = await RawClient.connect(server.url, { cookie: page.cookie });
    try {
      assert.equal((await client.join(page, server.url)).payload.status, "ok");
      // A new slot reads `label`, which the event does not change: only a full render has it.
      writeFileSync(file, "<section><h2>Total</h2><b>{{ count }}</b> {{ label }}</section>");
      const later = new Date(Date.now() + 5000);
      utimesSync(file, later, later);
      const reply = await client.event(page, "click", "inc", {});
      assert.equal(eventError(reply), undefined, JSON.stringify(reply.payload));
      const diff = response(reply).diff as Record<string, unknown>;
      assert.deepEqual(diff.s, ["<section><h2>Total</h2><b>", "</b> ", "</section>"]);
      assert.equal(diff["0"], "1");
      assert.equal(diff["1"], "items");
      const again = await client.event(page, "click", "inc", {});
      assert.deepEqual(response(again).diff, { "0": "2" });
    } finally {
      client.close();
    }
  });
});

/** Private state only mount fills and no setup: a restore runs mount again (DESIGN §10). */
class PickerView extends LiveView {
  selected = "";
  _catalog?: { readonly name: string };

  override mount(): void {
    this._catalog = { name: "catalog" };
  }

  override handleParams(): void {
    this.selected = "none";
  }

  @eventHandler
  pick() {
    this.selected = "42";
  }

  override render(a: RenderContext): Rendered {
    return html`<p>${a.selected}</p>`;
  }
}

describe("a restore that runs mount again for private fields", () => {
  it("keeps the snapshot's state: handleParams does not run again at the same URL", async () => {
    const stateBackend = new MemoryStateBackend();
    const first = await LiveViewTestClient.mount(PickerView, { stateBackend, id: "picker" });
    await first.click("pick");
    await first.close();
    const again = await LiveViewTestClient.mount(PickerView, {
      stateBackend,
      id: "picker",
      deadRender: false,
    });
    try {
      assert.equal(again.restored, true);
      assert.equal(again.assigns.selected, "42");
    } finally {
      await again.close();
    }
  });
});
