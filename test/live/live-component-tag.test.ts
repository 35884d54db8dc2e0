/**
 * `{% live_component %}`: the component a template places by name, the assigns it gets from
 * the tag (literals included), and the errors of a wrong placement, each with its message.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { LiveComponent, LiveView } from "../../src/index.js";
import { LiveViewTestClient } from "../../src/testing/index.js";
import { TemplateLoader } from "../../src/template/loader.js";

class Badge extends LiveComponent {
  static override templateName = "badge.html";
  id = "";
  label = "";
  size = 0;
}

class Page extends LiveView {
  static override templateName = "page.html";
  name = "from-state";
}

function mount(page: string) {
  const templates = new TemplateLoader({
    dirs: [],
    templates: { "page.html": page, "badge.html": "<span>{{ label }} {{ size }}</span>" },
  });
  return LiveViewTestClient.mount(Page, { templates, components: [Badge] });
}

test("gives a component the strings a tag writes as literals, as plain strings its state can store", async () => {
  const client = await mount(
    `<main>{% live_component "badge" id="solo" label="<b>Sale</b>" size=3 %}{% live_component "badge" id=name label=name|upper %}</main>`,
  );
  try {
    const solo = client.component(Badge, "solo");
    assert.equal(solo?.label, "<b>Sale</b>");
    assert.equal(typeof solo?.label, "string");
    assert.equal(solo?.size, 3);
    assert.equal(client.component(Badge, "from-state")?.label, "FROM-STATE");
    // Plain strings: escaped where the component prints them.
    assert.equal(
      client.render(),
      "<main><span>&lt;b&gt;Sale&lt;/b&gt; 3</span><span>FROM-STATE 0</span></main>",
    );
  } finally {
    await client.close();
  }
});

class Post extends LiveComponent {
  static override templateName = "post.html";
  id = "";
  body = "";
}

class PostPage extends LiveView {
  static override templateName = "page.html";
  html = "<em>hi</em>";
}

test("gives a component a safe string as its plain text, which its template marks safe again", async () => {
  const templates = new TemplateLoader({
    dirs: [],
    templates: {
      "page.html": `{% live_component "post" id="p" body=html|safe %}`,
      "post.html": "<div>{{ body|safe }} {{ body }}</div>",
    },
  });
  const client = await LiveViewTestClient.mount(PostPage, { templates, components: [Post] });
  try {
    assert.equal(typeof client.component(Post, "p")?.body, "string");
    assert.equal(client.render(), "<div><em>hi</em> &lt;em&gt;hi&lt;/em&gt;</div>");
  } finally {
    await client.close();
  }
});

for (const [what, tag, message] of [
  [
    "a name that is not a string",
    `{% live_component 7 id="x" %}`,
    'page.html:1:7: {% live_component %}: the first argument is the component\'s name: {% live_component "card" id=… %}',
  ],
  [
    "a name no class is registered under",
    `{% live_component "card" id="x" %}`,
    'page.html:1:7: {% live_component %}: no component is registered as "card" (register its class with app.component(Class))',
  ],
  [
    "no id",
    `{% live_component "badge" label="x" %}`,
    "page.html:1:7: {% live_component %}: Badge: a component needs an id (a non-empty string or a number) in its assigns",
  ],
  [
    "an empty id",
    `{% live_component "badge" id="" %}`,
    "page.html:1:7: {% live_component %}: Badge: a component needs an id (a non-empty string or a number) in its assigns",
  ],
] as const) {
  test(`refuses ${what} with the tag's place and the reason`, async () => {
    await assert.rejects(mount(`<main>${tag}</main>`), (error: Error) => {
      assert.equal(error.name, "TemplateRenderError");
      assert.equal(error.message.split("\n")[0], message);
      return true;
    });
  });
}
