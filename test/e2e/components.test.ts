/**
 * End-to-end: LiveComponents through the official Phoenix LiveView client in headless Chromium —
 * clicks inside two components each change only that component's DOM, a `sendUpdate` from the
 * view reaches its component, a component removed from the page is destroyed once the client
 * confirms (`cids_destroyed`, seen server side), and a reconnect in the middle (the server drops
 * every socket) keeps every component's state; a component's table whose rows are edited in
 * place (stored as those edits) shows the same rows after a reconnect; a component that toggles
 * the todo its view gave it changes the view's count, kept over a reconnect; after a render that
 * a component fails, the next step shows what the failed one changed.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { z } from "zod";
import { eventHandler, html, LiveComponent, liveComponent, LiveView } from "../../src/index.js";
import { createApp } from "../../src/server/index.js";
import { liveTransportOf } from "../../src/server/live.js";
import {
  browserSkipReason,
  disconnected,
  errorsOnly,
  servedInChromium,
  shoot,
  until,
} from "../support/browser.js";
import { connected } from "../support/orders-browser.js";
import { Counter, CounterPage, unmounted } from "../live/component-views.js";

const skip = browserSkipReason();
if (skip) process.stderr.write(`# e2e tests skipped: ${skip}\n`);

const templates = fileURLToPath(new URL("../fixtures/templates", import.meta.url));

function count(page: Page, id: string): Promise<string | null> {
  return page.textContent(`#counter-${id} .count`);
}

/** Records DOM mutations inside each counter, to prove a click touched only its own. */
async function watchCounters(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { mutations: Record<string, number> }).mutations = seen;
    for (const el of document.querySelectorAll(".counter")) {
      seen[el.id] = 0;
      new MutationObserver(
        (records) => (seen[el.id] = (seen[el.id] ?? 0) + records.length),
      ).observe(el, { subtree: true, childList: true, characterData: true, attributes: true });
    }
  });
}

function mutations(page: Page): Promise<Record<string, number>> {
  return page.evaluate(
    () => (window as unknown as { mutations: Record<string, number> }).mutations,
  );
}

describe("LiveComponents in Chromium", { skip }, () => {
  const app = createApp({ secretKey: "e2e", templateDirs: [templates], logger: errorsOnly });
  app.live("/", CounterPage).component(Counter);
  const served = servedInChromium(app);

  it("updates each component alone, takes sendUpdate, destroys removed ones, survives a reconnect", async () => {
    unmounted.length = 0;
    const context = await served.browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${served.url}/`);
      await connected(page);
      // The client stamped each component's root with its cid.
      assert.deepEqual(
        await page.$$eval("[data-phx-component]", (els) =>
          els.map((el) => [el.id, el.getAttribute("data-phx-component")]),
        ),
        [
          ["counter-a", "1"],
          ["counter-b", "2"],
          ["counter-c", "3"],
        ],
      );

      await watchCounters(page);
      await page.click("#counter-a button");
      await until(async () => (await count(page, "a")) === "1", "A shows 1");
      await page.click("#counter-a button");
      await until(async () => (await count(page, "a")) === "2", "A shows 2");
      const afterA = await mutations(page);
      assert.ok((afterA["counter-a"] ?? 0) > 0);
      assert.equal(afterA["counter-b"], 0, "B untouched by A's clicks");
      assert.equal(afterA["counter-c"], 0, "C untouched by A's clicks");

      await page.click("#counter-b button");
      await until(async () => (await count(page, "b")) === "1", "B shows 1");
      const afterB = await mutations(page);
      assert.equal(afterB["counter-a"], afterA["counter-a"], "A untouched by B's click");
      assert.equal(afterB["counter-c"], 0, "C untouched by B's click");
      assert.equal(await count(page, "c"), "0");
      await shoot(page, "components-clicked");

      // sendUpdate from the view.
      await page.click("#poke");
      await until(async () => (await count(page, "a")) === "10", "A set to 10 by sendUpdate");
      assert.equal(await count(page, "b"), "1");

      // Removed from the page: the client confirms, the server destroys it.
      await page.click("#drop");
      await page.waitForSelector("#counter-c", { state: "detached" });
      await until(() => unmounted.includes("c"), "the server destroyed C (cids_destroyed)");
      assert.deepEqual(unmounted, ["c"]);
      await shoot(page, "components-removed");

      // The server drops the socket; the client reconnects and rejoins a restored view.
      await disconnected(page, () => liveTransportOf(app.context).disconnectAll());
      await connected(page);
      assert.equal(await count(page, "a"), "10");
      assert.equal(await count(page, "b"), "1");
      assert.equal(await page.$("#counter-c"), null);
      await shoot(page, "components-after-reconnect");

      // And they go on from there.
      await page.click("#counter-b button");
      await until(async () => (await count(page, "b")) === "2", "B shows 2 after the reconnect");
      assert.equal(await count(page, "a"), "10");
      await shoot(page, "components-after-reconnect-click");
    } finally {
      await context.close();
    }
  });
});

/** A component's table of 200 rows, each with a button that adds one to its row. */
class StockTable extends LiveComponent {
  id = "";
  rows = Array.from({ length: 200 }, (_, id) => ({ id, name: `item ${id}`, qty: 0 }));

  @eventHandler({ params: z.object({ id: z.coerce.number().int() }) })
  add({ id }: { id: number }) {
    this.rows[id]!.qty++;
  }

  override render() {
    return html`<table id="stock">
      ${this.rows.map(
        (r) =>
          html`<tr id=${`item-${r.id}`}>
            <td>${r.name}</td>
            <td class="qty">${r.qty}</td>
            <td><button dj-click="add" dj-value-id=${r.id} dj-target=${this.myself}>+1</button></td>
          </tr>`,
      )}
    </table>`;
  }
}

class StockPage extends LiveView {
  override render() {
    return html`<main>${liveComponent(StockTable, { id: "stock" })}</main>`;
  }
}

describe("a LiveComponent's table in Chromium", { skip }, () => {
  const app = createApp({ secretKey: "e2e", logger: errorsOnly });
  app.live("/", StockPage);
  const served = servedInChromium(app);
  const qty = (page: Page, id: number) => page.textContent(`#item-${id} .qty`);

  it("shows rows edited in place, and the same rows after a reconnect", async () => {
    const context = await served.browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${served.url}/`);
      await connected(page);
      for (const [id, times] of [
        [3, 2],
        [150, 1],
      ] as const) {
        for (let i = 1; i <= times; i++) {
          await page.click(`#item-${id} button`);
          await until(async () => (await qty(page, id)) === String(i), `item ${id} shows ${i}`);
        }
      }
      await disconnected(page, () => liveTransportOf(app.context).disconnectAll());
      await connected(page);
      assert.deepEqual(
        [await qty(page, 3), await qty(page, 150), await qty(page, 4)],
        ["2", "1", "0"],
      );
      await page.click("#item-3 button");
      await until(async () => (await qty(page, 3)) === "3", "item 3 shows 3 after the reconnect");
      await page.locator("#item-3").scrollIntoViewIfNeeded();
      await shoot(page, "component-table-after-reconnect");
    } finally {
      await context.close();
    }
  });
});

interface Todo {
  id: number;
  title: string;
  done: boolean;
}

/** Toggles, in place, the todo its view gives it. */
class TodoRow extends LiveComponent {
  id = 0;
  todo: Todo = { id: 0, title: "", done: false };
  @eventHandler
  toggle() {
    this.todo.done = !this.todo.done;
  }
  override render() {
    return html`<li id=${`todo-${this.todo.id}`} class=${this.todo.done ? "done" : ""}>
      <button dj-click="toggle" dj-target=${this.myself}>${this.todo.done ? "✓" : "○"}</button>
      ${this.todo.title}
    </li>`;
  }
}

class TodoPage extends LiveView {
  todos: Todo[] = ["milk", "bread", "eggs"].map((title, i) => ({ id: i + 1, title, done: false }));
  override render() {
    const left = this.todos.filter((t) => !t.done).length;
    return html`<main>
      <p id="left">${left} left</p>
      <ul>${this.todos.map((todo) => liveComponent(TodoRow, { id: todo.id, todo }))}</ul>
    </main>`;
  }
}

describe("a component that edits the object its view gave it, in Chromium", { skip }, () => {
  const app = createApp({ secretKey: "e2e", logger: errorsOnly });
  app.live("/", TodoPage);
  const served = servedInChromium(app);

  it("shows the view's count change, and the same page after a reconnect", async () => {
    const context = await served.browser.newContext();
    const page = await context.newPage();
    const shown = async () => [
      await page.textContent("#left"),
      ...(await page.locator("li button").allTextContents()),
    ];
    try {
      await page.goto(`${served.url}/`);
      await connected(page);
      assert.deepEqual(await shown(), ["3 left", "○", "○", "○"]);
      await page.click("#todo-2 button");
      await until(async () => (await page.textContent("#left")) === "2 left", "2 left");
      assert.deepEqual(await shown(), ["2 left", "○", "✓", "○"]);
      await disconnected(page, () => liveTransportOf(app.context).disconnectAll());
      await connected(page);
      assert.deepEqual(await shown(), ["2 left", "○", "✓", "○"]);
      await page.click("#todo-3 button");
      await until(async () => (await page.textContent("#left")) === "1 left", "1 left");
      assert.deepEqual(await shown(), ["1 left", "○", "✓", "✓"]);
      await shoot(page, "components-given-todo-toggled");
    } finally {
      await context.close();
    }
  });
});

/** Fails the render that places it while its label is empty. */
class Label extends LiveComponent {
  id = "";
  text = "";
  override update(assigns: { text?: unknown }) {
    if (assigns.text === "") throw new Error("Label needs a text");
    this.text = String(assigns.text);
  }
  override render() {
    return html`<span class="label">${this.text}</span>`;
  }
}

/** Shows the view's count and places {@link Label}: it renders in a pass that Label then fails. */
class Tally extends LiveComponent {
  id = "";
  n = 0;
  text = "";
  override update(assigns: { n?: unknown; text?: unknown }) {
    this.n = Number(assigns.n);
    this.text = String(assigns.text);
  }
  override render() {
    return html`<p id="tally"><b class="n">${this.n}</b> ${liveComponent(Label, { id: "l", text: this.text })}</p>`;
  }
}

class TallyPage extends LiveView {
  n = 0;
  text = "ready";
  @eventHandler
  save_blank() {
    this.n++;
    this.text = "";
  }
  @eventHandler
  name_it() {
    this.text = "named";
  }
  override render() {
    return html`<main>${liveComponent(Tally, { id: "t", n: this.n, text: this.text })}<button id="blank" dj-click="save_blank">Save blank</button><button id="name" dj-click="name_it">Name it</button></main>`;
  }
}

describe("A render that fails, in Chromium", { skip }, () => {
  const app = createApp({ secretKey: "e2e", logger: errorsOnly });
  app.live("/", TallyPage);
  const served = servedInChromium(app);

  it("shows an error notice, then the next step shows what the failed one changed", async () => {
    const context = await served.browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${served.url}/`);
      await connected(page);
      assert.equal(await page.textContent("#tally"), "0 ready");
      // The count renders, then the label's update fails the pass: nothing reaches the page.
      await page.click("#blank");
      const notice = page.locator(".djust-error-notice");
      await notice.waitFor();
      assert.equal(await notice.getAttribute("data-error"), "handler_error");
      assert.equal(await page.textContent("#tally"), "0 ready");
      // The next step changes the label alone; the count the failed step changed comes with it.
      await page.click("#name");
      await until(
        async () => (await page.textContent("#tally")) === "1 named",
        "the count and the label after the failed step",
      );
      await shoot(page, "components-after-failed-render");
    } finally {
      await context.close();
    }
  });
});
