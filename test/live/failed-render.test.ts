/**
 * A step whose render fails (the template throws): the client gets nothing of it, and the next
 * render that succeeds sends all that the failed one would have, flash included.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { eventHandler, html, LiveComponent, liveComponent, LiveView } from "../../src/index.js";
import type { Rendered } from "../../src/render/tree.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { TemplateLoader } from "../../src/template/loader.js";

class Saving extends LiveView {
  static override templateName = "page.html";
  n = 0;
  broken = false;

  @eventHandler
  save() {
    this.putFlash("info", "Saved");
    this.n++;
    this.broken = true;
  }

  @eventHandler
  mend() {
    this.broken = false;
  }
}

test("a render that fails keeps its step's flash and fields for the next render", async () => {
  const templates = new TemplateLoader({
    dirs: [],
    templates: {
      // `{% url %}` fails the render while `broken` (the loader resolves no route names).
      "page.html": `<p>{{ flash.info }}</p><i>{{ n }}</i>{% if broken %}{% url "missing" %}{% endif %}`,
    },
  });
  const client = await LiveViewTestClient.mount(Saving, { templates });
  try {
    assert.equal(client.render(), "<p></p><i>0</i>");
    await assert.rejects(client.event("save"), {
      name: "TemplateRenderError",
      message: /^page\.html:1:53: \{% url "missing" %\}: /,
    });
    // The client still shows the last render it got.
    assert.equal(client.render(), "<p></p><i>0</i>");
    const { diff } = await client.event("mend");
    assert.deepEqual(diff, { "0": "Saved", "1": "1" });
    assert.equal(client.render(), "<p>Saved</p><i>1</i>");
  } finally {
    await client.close();
  }
});

/** Fails the render that places it while `broken`. */
class Fussy extends LiveComponent {
  id = "";
  override update(assigns: { broken?: unknown }) {
    if (assigns.broken === true) throw new Error("Fussy refuses");
  }
  override render() {
    return html`<em></em>`;
  }
}

/** A stream and a temporary assign, beside a component that fails the pass after the view rendered. */
class Feed extends LiveView {
  static override temporaryAssigns = { notes: [] as string[] };
  notes: string[] = [];
  broken = false;

  override mount(): void {
    this.stream("feed", [{ id: 1, text: "first" }]);
  }

  @eventHandler
  post() {
    this.streamInsert("feed", { id: 2, text: "second" });
    this.notes = ["posted"];
    this.broken = true;
  }

  @eventHandler
  mend() {
    this.broken = false;
  }

  override render(): Rendered {
    return html`<ul dj-update="stream">${this.streams.feed?.map(
      (id, item: { text: string }) => html`<li id=${id}>${item.text}</li>`,
    )}</ul><p>${this.notes.join()}</p>${liveComponent(Fussy, { id: "f", broken: this.broken })}`;
  }
}

test("a pass that fails after the view rendered keeps the view's stream inserts and temporary assigns", async () => {
  const client = await LiveViewTestClient.mount(Feed, { components: [Fussy] });
  try {
    await assert.rejects(client.event("post"), { message: "Fussy refuses" });
    const { diff } = await client.event("mend");
    const text = JSON.stringify(diff);
    assert.match(text, /second/, text);
    assert.match(text, /posted/, text);
  } finally {
    await client.close();
  }
});

class Badge extends LiveComponent {
  static override templateName = "badge.html";
  id = "";
  label = "";
}

/** Places a component, then fails its own template while `broken`. */
class Placing extends LiveView {
  static override templateName = "page.html";
  label = "a";
  broken = false;
  @eventHandler({ params: "any" })
  set(params: { label: string; broken: boolean }) {
    this.label = params.label;
    this.broken = params.broken;
  }
}

test("a view's template that fails after placing a component leaves the next render free to place it", async () => {
  const templates = new TemplateLoader({
    dirs: [],
    templates: {
      "page.html": `<main>{% live_component "badge" id="b" label=label %}{% if broken %}{% url "missing" %}{% endif %}</main>`,
      "badge.html": `<span>{{ label }}</span>`,
    },
  });
  const client = await LiveViewTestClient.mount(Placing, { templates, components: [Badge] });
  try {
    await assert.rejects(client.event("set", { label: "x", broken: true }), {
      name: "TemplateRenderError",
    });
    for (const label of ["y", "z"]) {
      await client.event("set", { label, broken: false });
      assert.equal(client.render(), `<main><span>${label}</span></main>`);
    }
  } finally {
    await client.close();
  }
});

/** Assigns `count`, then refuses it when it is over 9. */
class Capped extends LiveComponent {
  id = "";
  count = 0;
  override update(assigns: { count?: unknown }) {
    if (typeof assigns.count !== "number") return;
    this.count = assigns.count;
    if (assigns.count > 9) throw new Error("count too large");
  }
  override render() {
    return html`<p>${this.count}</p>`;
  }
}

class Sending extends LiveView {
  static override templateName = "page.html";
  n = 0;
  @eventHandler({ params: "any" })
  send(params: { count: number }) {
    this.sendUpdate(Capped, "c", { count: params.count });
  }
  @eventHandler
  other() {
    this.n++;
  }
}

test("a component's update that assigns, then throws, is shown by the next render", async () => {
  const templates = new TemplateLoader({
    dirs: [],
    templates: { "page.html": `<main>{{ n }}{% live_component "capped" id="c" %}</main>` },
  });
  const client = await LiveViewTestClient.mount(Sending, { templates, components: [Capped] });
  try {
    await assert.rejects(client.event("send", { count: 10 }), { message: "count too large" });
    // The view's next render does not place the component again (its slot reads nothing that
    // changed): the component renders all the same, with what its update assigned.
    await client.event("other");
    assert.equal(client.render(), "<main>1<p>10</p></main>");
  } finally {
    await client.close();
  }
});

class Titled extends Saving {
  override mount() {
    this.pageTitle = "Start";
  }
  override save() {
    super.save();
    this.pageTitle = "Saved";
  }
}

test("a page title set by a step whose render fails is sent with the next render", async () => {
  const templates = new TemplateLoader({
    dirs: [],
    templates: { "page.html": `<i>{{ n }}</i>{% if broken %}{% url "missing" %}{% endif %}` },
  });
  const client = await LiveViewTestClient.mount(Titled, { templates });
  try {
    assert.equal(client.title, "Start");
    await assert.rejects(client.event("save"), { name: "TemplateRenderError" });
    const { diff } = await client.event("mend");
    assert.deepEqual(diff, { "0": "1", t: "Saved" });
    assert.equal(client.title, "Saved");
  } finally {
    await client.close();
  }
});

/** Refuses an empty label in its update. */
class Named extends LiveComponent {
  id = "";
  label = "";
  tags: string[] = [];
  override update(assigns: { label?: unknown }) {
    this.label = String(assigns.label);
    if (this.label === "") throw new Error("Named needs a label");
  }
  @eventHandler({ params: "any" })
  tag(params: { tag: string }) {
    this.tags.push(params.tag);
  }
  override render() {
    return html`<p>${this.label}${this.tags.join()}</p>`;
  }
}

class Adding extends LiveView {
  label: string | null = null;
  @eventHandler({ params: "any" })
  set(params: { label: string }) {
    this.label = params.label;
  }
  override render() {
    return html`<main>${this.label === null ? "" : liveComponent(Named, { id: "n", label: this.label })}</main>`;
  }
}

test("a component whose first update fails shows and tracks its state from its next placement", async () => {
  const client = await LiveViewTestClient.mount(Adding);
  try {
    await assert.rejects(client.event("set", { label: "" }), { message: "Named needs a label" });
    await client.event("set", { label: "ok" });
    assert.equal(client.render(), "<main><p>ok</p></main>");
    // Tracked all the same: an edit in place shows.
    await client.event("tag", { tag: "new" }, { target: 1 });
    assert.equal(client.render(), "<main><p>oknew</p></main>");
  } finally {
    await client.close();
  }
});

/** Sorts its rows in place as it renders (`getContextData`), beside {@link Fussy}. */
class SortedRows extends LiveView {
  static override templateName = "sorted.html";
  rows = [{ n: 1 }, { n: 2 }, { n: 3 }];
  desc = false;
  broken = false;
  override getContextData() {
    this.rows.sort((p, q) => (this.desc ? q.n - p.n : p.n - q.n));
    return {};
  }
  @eventHandler
  flipAndBreak() {
    this.desc = true;
    this.broken = true;
  }
  @eventHandler
  mend() {
    this.broken = false;
  }
}

test("what the view's render wrote of its state, in a render a component then failed, shows at the next render", async () => {
  const templates = new TemplateLoader({
    dirs: [],
    templates: {
      "sorted.html": `<p>{% for r in rows %}{{ r.n }}{% endfor %}</p>{% live_component "fussy" id="f" broken=broken %}`,
    },
  });
  const client = await LiveViewTestClient.mount(SortedRows, { templates, components: [Fussy] });
  try {
    assert.equal(client.render(), "<p>123</p><em></em>");
    // The render sorts the rows, then Fussy's update fails the pass: the client gets nothing.
    await assert.rejects(client.event("flipAndBreak"), { message: "Fussy refuses" });
    assert.equal(client.render(), "<p>123</p><em></em>");
    await client.event("mend");
    assert.equal(client.render(), "<p>321</p><em></em>");
  } finally {
    await client.close();
  }
});
