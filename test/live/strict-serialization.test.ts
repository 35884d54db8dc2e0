/**
 * Strict serialization refuses a view whose public state cannot be snapshotted on the page
 * GET as on the join: the dead render tracks no change, but its state is checked all the same.
 * A handler's step it refuses loses none of the step's other changes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  eventHandler,
  html,
  LiveComponent,
  liveComponent,
  LiveView,
  type Rendered,
} from "../../src/index.js";
import { restorable } from "../../src/live/snapshot.js";
import { createApp } from "../../src/server/index.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { TemplateLoader } from "../../src/template/index.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { CapturingLogger } from "../support/logger.js";
import { CounterView, LeakyView } from "./views.js";

function app(strictSerialization: boolean, debug = false) {
  const logger = new CapturingLogger();
  const app = createApp({ secretKey: "s", logger, strictSerialization, debug });
  app.live("/leaky/", LeakyView);
  app.live("/counter/", CounterView);
  return { app, logger };
}

const get = (target: ReturnType<typeof app>["app"], path: string) =>
  target.fetch(new Request(`http://localhost${path}`));

describe("strict serialization on the page GET", () => {
  it("answers 500 for a view holding a non-serializable value, naming the field in the log", async () => {
    const { app: strict, logger } = app(true);
    const res = await get(strict, "/leaky/");
    assert.equal(res.status, 500);
    const body = await res.text();
    assert.match(body, /<h1>Server error<\/h1>/);
    assert.doesNotMatch(body, /LeakyView\.client/, "no error text without debug");
    const errors = logger.lines.filter((line) => line.level === "error");
    assert.equal(errors.length, 1, JSON.stringify(logger.lines));
    assert.equal(errors[0]?.message, "dead render of LeakyView failed");
    assert.match(
      String(errors[0]?.meta?.error),
      /non-serializable value: FakeClient in LeakyView\.client/,
    );
    assert.deepEqual(logger.warnings, [], "refused, not snapshotted with a warning");
  });

  it("shows the reason on the error page in debug mode", async () => {
    const { app: strict } = app(true, true);
    const res = await get(strict, "/leaky/");
    assert.equal(res.status, 500);
    assert.match(await res.text(), /FakeClient in LeakyView\.client/);
  });

  it("renders a view whose state is serializable", async () => {
    const { app: strict, logger } = app(true);
    const res = await get(strict, "/counter/");
    assert.equal(res.status, 200);
    assert.match(await res.text(), /data-phx-session="/);
    assert.deepEqual(logger.lines, []);
  });

  it("renders the same view with a warning when not strict", async () => {
    const { app: lenient, logger } = app(false);
    const res = await get(lenient, "/leaky/");
    assert.equal(res.status, 200);
    assert.equal(logger.warnings.length, 1);
    assert.match(logger.warnings[0]?.message ?? "", /LeakyView cannot be snapshotted/);
  });
});

/** A value strict mode refuses. */
class Opaque {
  readonly at = 1;
}

class HoldingView extends LiveView {
  static override templateName = "holding.html";
  n = 0;
  a = 0;
  b: unknown = null;
  @eventHandler
  hold() {
    this.a = 1;
    this.b = new Opaque();
  }
  @eventHandler
  drop() {
    this.b = null;
  }
  @eventHandler
  bump() {
    this.n++;
  }
}

class HoldingComponent extends LiveComponent {
  static override templateName = "holding.html";
  id = "";
  n = 0;
  a = 0;
  b: unknown = null;
  @eventHandler
  hold() {
    this.a = 1;
    this.b = new Opaque();
  }
  @eventHandler
  drop() {
    this.b = null;
  }
  @eventHandler
  bump() {
    this.n++;
  }
}

class HoldingPage extends LiveView {
  override render(): Rendered {
    return html`<main>${liveComponent(HoldingComponent, { id: "h" })}</main>`;
  }
}

describe("strict serialization of a handler's changes", () => {
  for (const [owner, View, target] of [
    ["a view", HoldingView, undefined],
    ["a LiveComponent", HoldingPage, 1],
  ] as const) {
    it(`in ${owner}: a refused step's other changes are shown and stored once the value is gone`, async () => {
      const stateBackend = new MemoryStateBackend();
      const view = await LiveViewTestClient.mount(View, {
        stateBackend,
        durability: "reply",
        strictSerialization: true,
        logger: new CapturingLogger(),
        templates: new TemplateLoader({
          dirs: [],
          templates: { "holding.html": "<div><p>{{ a }}</p><i>{{ n }}</i></div>" },
        }),
      });
      try {
        // Stored once: the writes after it are edits.
        await view.click("bump", {}, { target });
        const refused = await view.click("hold", {}, { target });
        assert.equal(refused.error?.error, "serialization_error");
        await view.click("drop", {}, { target });
        assert.equal(view.element("p").text(), "1");
        assert.equal(view.element("i").text(), "1");
        const stored = restorable(await stateBackend.get(view.id));
        const state = target === undefined ? stored?.state : stored?.components?.list[0]?.state;
        assert.equal(state?.a, 1);
      } finally {
        await view.close();
      }
    });
  }
});

/** A Map with a method of its own: a restore would rebuild a plain Map, without it. */
class Tally extends Map<string, number> {
  total(): number {
    let sum = 0;
    for (const n of this.values()) sum += n;
    return sum;
  }
}

class TallyView extends LiveView {
  tally = new Tally([["a", 1]]);
  @eventHandler
  add() {
    this.tally.set("b", 2);
  }
  override render(): Rendered {
    return html`<p>${this.tally.total()}</p>`;
  }
}

describe("a subclass of Map in a view's state", () => {
  it("is not snapshotted as a plain Map: the join mounts the view again, its methods work", async () => {
    const logger = new CapturingLogger();
    const options = {
      stateBackend: new MemoryStateBackend(),
      durability: "reply",
      logger,
    } as const;
    // The page's render, then the join (a restore from what the page stored, were it stored).
    const view = await LiveViewTestClient.mount(TallyView, options);
    try {
      assert.equal(view.restored, false);
      await view.click("add");
      assert.equal(view.render(), "<p>3</p>");
    } finally {
      await view.close();
    }
    assert.match(
      logger.warnings[0]?.message ?? "",
      /^TallyView cannot be snapshotted and will be mounted again on reconnect: .*Tally \(a subclass of Map, not registered with registerType\(\)\) in TallyView\.tally/,
    );
    // A reconnect mounts it afresh rather than restoring a Map without `total`.
    const again = await LiveViewTestClient.mount(TallyView, {
      ...options,
      id: view.id,
      deadRender: false,
    });
    try {
      assert.equal(again.restored, false);
      assert.equal(again.render(), "<p>1</p>");
    } finally {
      await again.close();
    }
  });

  it("is refused by strict serialization, naming the class", async () => {
    const { app: strict, logger } = app(true);
    strict.live("/tally/", TallyView);
    const res = await get(strict, "/tally/");
    assert.equal(res.status, 500);
    assert.match(
      String(logger.lines.find((line) => line.level === "error")?.meta?.error),
      /non-serializable value: Tally \(a subclass of Map, not registered with registerType\(\)\) in TallyView\.tally/,
    );
  });
});
