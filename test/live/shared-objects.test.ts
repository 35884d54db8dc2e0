/**
 * Identity across snapshots: an object a view holds at two places is one object again after a
 * restore (the join after a page load, a reconnect to another node), through the record's
 * `aliases`, with the memory backend and with a real `redis-server`; and so is one a
 * LiveComponent holds at two places, through its stored field's own list.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import {
  eventHandler,
  html,
  LiveComponent,
  liveComponent,
  LiveView,
  type LiveViewClass,
  type Rendered,
} from "../../src/index.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import type { StateBackend, StoredPatch } from "../../src/state/backends/types.js";
import { RedisStateBackend } from "../../src/state/backends/redis.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { describeWithRedis } from "../support/redis.js";

const byId = z.object({ id: z.number().int() });

interface Row {
  id: number;
  qty: number;
}

interface Group {
  name: string;
  rows: Row[];
}

const rowsOf = (n: number): Row[] => Array.from({ length: n }, (_, id) => ({ id, qty: 0 }));

class SharingView extends LiveView {
  rows: Row[] = [];
  selected: Row | null = null;
  groups: Group[] = [];
  pinned: Group[] = [];
  byName = new Map<string, Row>();
  marked = new Set<Row>();
  twice: Row[] = [];

  override mount() {
    this.rows = rowsOf(8);
    this.selected = this.rows[3]!;
    this.groups = [{ name: "g", rows: [this.rows[0]!] }];
    this.pinned = [this.groups[0]!];
    this.byName.set("five", this.rows[5]!);
    this.marked.add(this.rows[6]!);
    this.twice = [this.rows[7]!, this.rows[7]!];
  }

  @eventHandler({ params: byId })
  bump({ id }: { id: number }) {
    this.rows.find((r) => r.id === id)!.qty++;
  }

  @eventHandler
  bumpSelected() {
    this.selected!.qty++;
  }

  @eventHandler
  bumpPinned() {
    this.pinned[0]!.rows[0]!.qty++;
    this.pinned[0]!.name += "!";
  }

  @eventHandler
  bumpFirstTwice() {
    this.twice[0]!.qty++;
  }

  @eventHandler({ params: byId })
  select({ id }: { id: number }) {
    this.selected = this.rows.find((r) => r.id === id)!;
  }

  @eventHandler
  copySelected() {
    this.selected = { ...this.selected! };
  }

  @eventHandler
  prepend() {
    this.rows.unshift({ id: 100, qty: 0 });
  }

  override render(): Rendered {
    const qty = this.rows.map((r) => `${r.id}:${r.qty}`).join(" ");
    return html`<p id="rows">${qty}</p>
      <p id="selected">${this.selected?.id}:${this.selected?.qty}</p>
      <p id="group">${this.groups[0]?.name} ${this.groups[0]?.rows[0]?.qty}</p>
      <p id="maps">${this.byName.get("five")?.qty} ${[...this.marked][0]?.qty}</p>
      <p id="twice">${this.twice.map((r) => r.qty).join(" ")}</p>`;
  }
}

/** Each event's write lands before the next step (writes close together are one). */
const saved = () => new Promise((resolve) => setTimeout(resolve, 300));

/**
 * `client`'s writes landed and its connection closed, its view joined again from the store, as
 * a reconnect (to any node) joins it.
 */
async function reconnect(
  client: LiveViewTestClient,
  View: LiveViewClass,
  stateBackend: StateBackend,
): Promise<LiveViewTestClient> {
  await saved();
  await client.close();
  return LiveViewTestClient.mount(View, { stateBackend, id: client.id, deadRender: false });
}

describe("objects shared in a view's state, restored (memory backend)", () => {
  it("are one object again at the join after the page load", async () => {
    const view = await LiveViewTestClient.mount(SharingView, {
      stateBackend: new MemoryStateBackend(),
    });
    assert.equal(view.restored, true);
    await view.event("bumpSelected");
    assert.equal(view.element("#rows").text(), "0:0 1:0 2:0 3:1 4:0 5:0 6:0 7:0");
    assert.equal(view.element("#selected").text(), "3:1");
    await view.event("bumpPinned");
    assert.equal(view.element("#group").text(), "g! 1");
    assert.match(view.element("#rows").text(), /^0:1 /);
    await view.event("bump", { id: 5 });
    await view.event("bump", { id: 6 });
    assert.equal(view.element("#maps").text(), "1 1");
    await view.event("bumpFirstTwice");
    assert.equal(view.element("#twice").text(), "1 1");
    await view.close();
  });

  it("are one object again after a reconnect, with sharing made, moved and ended by handlers", async () => {
    const stateBackend = new MemoryStateBackend();
    const first = await LiveViewTestClient.mount(SharingView, { stateBackend });
    await first.event("select", { id: 2 });
    await saved();
    await first.event("prepend"); // the selected row moves to index 3
    const second = await reconnect(first, SharingView, stateBackend);
    assert.equal(second.restored, true);
    await second.event("bumpSelected");
    assert.equal(second.element("#rows").text(), "100:0 0:0 1:0 2:1 3:0 4:0 5:0 6:0 7:0");
    // The sharing a handler ends is not made again.
    await second.event("copySelected");
    const third = await reconnect(second, SharingView, stateBackend);
    await third.event("bumpSelected");
    assert.equal(third.element("#selected").text(), "2:2");
    assert.equal(third.element("#rows").text(), "100:0 0:0 1:0 2:1 3:0 4:0 5:0 6:0 7:0");
    await third.close();
  });
});

/** A view whose handlers only start or end sharing: no field's value changes. */
class DraftView extends LiveView {
  rows: Row[] = [];
  draft: Row | null = null;

  override mount() {
    this.rows = rowsOf(2);
    this.draft = { id: 1, qty: 0 }; // equal to rows[1], not it
  }

  @eventHandler({ params: byId })
  pick({ id }: { id: number }) {
    this.draft = this.rows[id]!;
  }

  @eventHandler
  detach() {
    this.draft = { ...this.draft! };
  }

  @eventHandler
  bumpDraft() {
    this.draft!.qty++;
  }

  @eventHandler
  peek() {
    void this.draft!.qty;
  }

  override render(): Rendered {
    return html`<p id="rows">${this.rows.map((r) => r.qty).join(" ")}</p>`;
  }
}

describe("a handler that only starts or ends sharing (memory backend)", () => {
  it("is written, and the restore after it holds what the view held", async () => {
    /** Counts the incremental writes. */
    class Counting extends MemoryStateBackend {
      patches = 0;
      override patch(key: string, patch: StoredPatch, ttl: number): Promise<boolean> {
        this.patches++;
        return super.patch(key, patch, ttl);
      }
    }
    const stateBackend = new Counting();
    const first = await LiveViewTestClient.mount(DraftView, { stateBackend });
    assert.equal((await first.event("pick", { id: 1 })).diff, null, "no field changed");
    const second = await reconnect(first, DraftView, stateBackend);
    // A step that reads the shared row and changes nothing writes nothing.
    await saved();
    const patches = stateBackend.patches;
    await second.event("peek");
    await saved();
    assert.equal(stateBackend.patches, patches);
    await second.event("bumpDraft");
    assert.equal(second.element("#rows").text(), "0 1", "the draft is the row again");
    assert.equal((await second.event("detach")).diff, null, "no field changed");
    const third = await reconnect(second, DraftView, stateBackend);
    await third.event("bumpDraft");
    assert.equal(third.element("#rows").text(), "0 1", "the draft is a copy again");
    await third.close();
  });

  it("is written when it ends sharing the join restored", async () => {
    const stateBackend = new MemoryStateBackend();
    const first = await LiveViewTestClient.mount(SharingView, { stateBackend });
    assert.equal((await first.event("copySelected")).diff, null, "no field changed");
    const second = await reconnect(first, SharingView, stateBackend);
    await second.event("bumpSelected");
    assert.equal(second.element("#selected").text(), "3:1");
    assert.equal(second.element("#rows").text(), "0:0 1:0 2:0 3:0 4:0 5:0 6:0 7:0");
    await second.close();
  });
});

/** A component holding a row at two places, and handlers that make, move and end the sharing. */
class PickerComponent extends LiveComponent {
  id = "";
  rows: Row[] = rowsOf(4);
  selected: Row | null = null;

  override mount() {
    this.selected = this.rows[3]!;
  }

  @eventHandler({ params: byId })
  select({ id }: { id: number }) {
    this.selected = this.rows.find((r) => r.id === id)!;
  }

  @eventHandler
  bumpSelected() {
    this.selected!.qty++;
  }

  @eventHandler
  copySelected() {
    this.selected = { ...this.selected! };
  }

  @eventHandler
  prepend() {
    this.rows.unshift({ id: 100, qty: 0 });
  }

  override render(): Rendered {
    return html`<div>
      <p id="rows">${this.rows.map((r) => `${r.id}:${r.qty}`).join(" ")}</p>
      <p id="selected">${this.selected?.id}:${this.selected?.qty}</p>
    </div>`;
  }
}

class PickerView extends LiveView {
  override render(): Rendered {
    return html`<main>${liveComponent(PickerComponent, { id: "p" })}</main>`;
  }
}

describe("objects shared in a LiveComponent's state, restored (memory backend)", () => {
  const to = { target: 1 };

  it("are one object again at the join after the page load", async () => {
    const view = await LiveViewTestClient.mount(PickerView, {
      stateBackend: new MemoryStateBackend(),
    });
    assert.equal(view.restored, true);
    await view.event("bumpSelected", {}, to);
    assert.equal(view.element("#rows").text(), "0:0 1:0 2:0 3:1");
    assert.equal(view.element("#selected").text(), "3:1");
    await view.close();
  });

  it("are one object again after reconnects, with sharing made, moved and ended by handlers", async () => {
    const stateBackend = new MemoryStateBackend();
    // Each step written on its own: after the first, as edits of the component's field.
    const first = await LiveViewTestClient.mount(PickerView, { stateBackend, durability: "reply" });
    await first.event("bumpSelected", {}, to);
    await first.event("select", { id: 1 }, to);
    await first.event("prepend", {}, to); // the selected row moves to index 2
    // Row 3 kept the one its first selection added.
    assert.equal(first.element("#rows").text(), "100:0 0:0 1:0 2:0 3:1");
    const second = await reconnect(first, PickerView, stateBackend);
    await second.event("bumpSelected", {}, to);
    assert.equal(second.element("#rows").text(), "100:0 0:0 1:1 2:0 3:1");
    // The sharing a handler ends is not made again.
    assert.equal((await second.event("copySelected", {}, to)).diff, null);
    const third = await reconnect(second, PickerView, stateBackend);
    await third.event("bumpSelected", {}, to);
    assert.equal(third.element("#selected").text(), "1:2");
    assert.equal(third.element("#rows").text(), "100:0 0:0 1:1 2:0 3:1");
    await third.close();
  });
});

describe("a LiveComponent's step that only ends sharing (memory backend)", () => {
  it("is written, though nothing renders", async () => {
    const stateBackend = new MemoryStateBackend();
    const first = await LiveViewTestClient.mount(PickerView, {
      stateBackend,
      durability: "reply",
    });
    // Written once (whole), then the selected row is copied: equal values, nothing renders.
    await first.event("bumpSelected", {}, { target: 1 });
    assert.equal((await first.event("copySelected", {}, { target: 1 })).diff, null);
    const second = await reconnect(first, PickerView, stateBackend);
    await second.event("bumpSelected", {}, { target: 1 });
    assert.equal(second.element("#selected").text(), "3:2");
    assert.equal(second.element("#rows").text(), "0:0 1:0 2:0 3:1", "the copy is not the row");
    await second.close();
  });
});

await describeWithRedis("objects shared in a view's state, with Redis", ({ url }) => {
  it("are one object again after a reconnect to a node reading the same Redis", async () => {
    const write = new RedisStateBackend({ url, prefix: "alias:" });
    const read = new RedisStateBackend({ url, prefix: "alias:", compress: true });
    const first = await LiveViewTestClient.mount(SharingView, { stateBackend: write });
    await first.event("select", { id: 4 });
    const second = await reconnect(first, SharingView, read);
    await second.event("bumpSelected");
    await second.event("bumpPinned");
    assert.equal(second.element("#rows").text(), "0:1 1:0 2:0 3:0 4:1 5:0 6:0 7:0");
    await second.close();
    await write.close();
    await read.close();
  });
});
