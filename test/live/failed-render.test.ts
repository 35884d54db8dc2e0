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
