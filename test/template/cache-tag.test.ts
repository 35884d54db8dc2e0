// `{% cache %}`: Django's fragment cache semantics (shared keys, vary-on, timeouts, `using=`),
// its bounds, its errors, and how it meets change tracking and the loop memo.
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderToString } from "../../src/render/html.js";
import { UNCHANGED, type Comprehension } from "../../src/render/tree.js";
import { FragmentCache } from "../../src/template/fragment-cache.js";
import { TemplateLoader, TemplateSyntaxError } from "../../src/template/index.js";

const page = (loader: TemplateLoader, source: string, ctx: Record<string, unknown> = {}) =>
  renderToString(loader.fromString(source).render(ctx));

test("a fragment is shared by name and vary-on text across templates, as in Django", () => {
  const loader = new TemplateLoader({ dirs: [] });
  const a = "{% load cache %}{% cache 500 sidebar user %}A {{ user }} {{ n }}{% endcache %}";
  const b = "{% cache 500 sidebar user %}B {{ user }}{% endcache %}";
  assert.equal(page(loader, a, { user: "ann", n: 1 }), "A ann 1");
  // Same name and vary-on text: the fragment kept by the other template, not a new render.
  assert.equal(page(loader, b, { user: "ann" }), "A ann 1");
  assert.equal(page(loader, a, { user: "ann", n: 2 }), "A ann 1");
  // Another user: another fragment. str() of 1 and "1" is the same text, hence the same key.
  assert.equal(page(loader, b, { user: "bob" }), "B bob");
  assert.equal(page(loader, "{% cache 9 k v %}{{ v }}!{% endcache %}", { v: 1 }), "1!");
  assert.equal(page(loader, "{% cache 9 k v %}other{% endcache %}", { v: "1" }), "1!");
  // Loaders (apps) do not share caches.
  assert.equal(page(new TemplateLoader({ dirs: [] }), b, { user: "ann" }), "B ann");
});

test("timeouts: seconds (a variable, text or number), None keeps until evicted, 0 keeps nothing", (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: 1_000_000 });
  const loader = new TemplateLoader({ dirs: [] });
  const src = (timeout: string, name: string) =>
    `{% cache ${timeout} ${name} %}{{ v }}{% endcache %}`;
  assert.equal(page(loader, src("t", "a"), { t: "2", v: 1 }), "1");
  assert.equal(page(loader, src("None", "b"), { v: 1 }), "1");
  assert.equal(page(loader, src("0", "c"), { v: 1 }), "1");
  assert.equal(page(loader, src("2.9", "d"), { v: 1 }), "1");
  t.mock.timers.tick(1999);
  assert.equal(page(loader, src("t", "a"), { t: 2, v: 2 }), "1", "kept for 2 s");
  assert.equal(page(loader, src("0", "c"), { v: 2 }), "2", "a 0 timeout keeps nothing");
  t.mock.timers.tick(1);
  assert.equal(page(loader, src("t", "a"), { t: 2, v: 3 }), "3", "expired after 2 s");
  assert.equal(page(loader, src("2.9", "d"), { v: 3 }), "3", "int(2.9) is 2 s");
  t.mock.timers.tick(10_000_000);
  assert.equal(page(loader, src("None", "b"), { v: 4 }), "1", "None: no expiry");
});

test("using= picks a named cache; template_fragments is the default when the app has one", () => {
  const loader = new TemplateLoader({
    dirs: [],
    fragmentCaches: { template_fragments: {}, other: { maxEntries: 5 } },
  });
  assert.equal(page(loader, "{% cache 1 f %}foo{% endcache %}"), "foo");
  assert.equal(page(loader, '{% cache 1 f using="default" %}bar{% endcache %}'), "bar");
  assert.equal(page(loader, "{% cache 1 f using=c %}baz{% endcache %}", { c: "other" }), "baz");
  assert.equal(page(loader, "{% cache 1 f using='template_fragments' %}x{% endcache %}"), "foo");
  assert.equal(page(loader, '{% cache 1 f using="default" %}y{% endcache %}'), "bar");
});

test("errors: fewer than two arguments when parsing; a bad timeout or cache name when rendering", () => {
  const loader = new TemplateLoader({ dirs: [] });
  for (const [source, ctx, message] of [
    [
      "x\n {% cache %}{% endcache %}",
      {},
      "<string>:2:2: 'cache' tag requires at least 2 arguments.",
    ],
    ["{% cache 1 %}{% endcache %}", {}, "<string>:1:1: 'cache' tag requires at least 2 arguments."],
    ["{% cache 1 a %}", {}, "<string>:1:1: unclosed tag 'cache': expected 'endcache'"],
    ["{% cache foo bar %}{% endcache %}", {}, `"cache" tag got a non-integer timeout value: ''`],
    ["{% cache foo bar %}{% endcache %}", { foo: "fail" }, `non-integer timeout value: 'fail'`],
    ["{% cache foo bar %}{% endcache %}", { foo: [] }, `non-integer timeout value: []`],
    ["{% cache foo bar %}{% endcache %}", { foo: "1.5" }, `non-integer timeout value: '1.5'`],
    [
      '{% cache 1 b using="nope" %}{% endcache %}',
      {},
      "Invalid cache name specified for cache tag: 'nope'",
    ],
    [
      "{% cache 1 b using=n %}{% endcache %}",
      { n: 3 },
      "Invalid cache name specified for cache tag: 3",
    ],
  ] as const) {
    assert.throws(
      () => page(loader, source, ctx),
      (e: unknown) => e instanceof TemplateSyntaxError && e.message.includes(message),
      source,
    );
  }
  // Whitespace and underscores are fine in an int() text, as in Python.
  assert.equal(page(loader, "{% cache t n %}ok{% endcache %}", { t: " 1_0 " }), "ok");
});

test("a fragment cache is bounded in entries and characters, least recently used first", () => {
  const cache = new FragmentCache({ maxEntries: 2, maxChars: 20 });
  cache.set("a", "1", null);
  cache.set("b", "2", null);
  assert.equal(cache.get("a"), "1"); // a is now the most recently used
  cache.set("c", "3", null);
  assert.deepEqual(
    [cache.get("a"), cache.get("b"), cache.get("c"), cache.size],
    ["1", undefined, "3", 2],
  );
  cache.set("d", "x".repeat(16), null); // 17 chars: 4 kept + 17 > 20, so a (least recently used) goes; c stays
  assert.deepEqual(
    [cache.get("a"), cache.get("c"), cache.get("d")?.length, cache.size],
    [undefined, "3", 16, 2],
  );
  cache.set("e", "x".repeat(20), null); // larger than the whole cache: rendered, not kept
  assert.deepEqual([cache.get("e"), cache.get("d")?.length], [undefined, 16]);
  cache.set("d", "y", 0); // a zero timeout drops what was kept
  assert.deepEqual([cache.get("d"), cache.size], [undefined, 1]);

  const loader = new TemplateLoader({ dirs: [], fragmentCaches: { default: { maxEntries: 1 } } });
  const src = "{% cache None f k %}{{ k }}{{ v }}{% endcache %}";
  assert.equal(page(loader, src, { k: 1, v: "a" }), "1a");
  assert.equal(page(loader, src, { k: 2, v: "a" }), "2a");
  assert.equal(page(loader, src, { k: 1, v: "b" }), "1b", "k=1 was evicted by k=2");
});

test("change tracking: the slot is evaluated only when a name it reads changed; the cache answers", () => {
  const loader = new TemplateLoader({ dirs: [] });
  const tmpl = loader.fromString(
    "{{ title }}|{% cache 60 side user %}{{ user }}:{{ count }}{% endcache %}",
  );
  const ctx = { title: "T", user: "ann", count: 1 };
  assert.deepEqual(tmpl.render(ctx).dynamics, ["T", "ann:1"]);
  assert.deepEqual(tmpl.render({ ...ctx, title: "U" }, new Set(["title"])).dynamics, [
    "U",
    UNCHANGED,
  ]);
  // A name read in the body changed: evaluated, and the cache still holds the fragment.
  assert.deepEqual(tmpl.render({ ...ctx, count: 2 }, new Set(["count"])).dynamics, [
    UNCHANGED,
    "ann:1",
  ]);
  // A vary-on value changed: another fragment.
  assert.deepEqual(tmpl.render({ ...ctx, user: "bob", count: 2 }, new Set(["user"])).dynamics, [
    UNCHANGED,
    "bob:2",
  ]);
  assert.deepEqual([...tmpl.dependencies].sort(), ["count", "title", "user"]);
});

test("the loop memo reuses rows holding a cached fragment while their fields are unchanged", () => {
  const loader = new TemplateLoader({ dirs: [] });
  const tmpl = loader.fromString(
    "{% for r in rows %}{% cache None row r.id %}{{ r.name }}{% endcache %};{% endfor %}",
  );
  const rows = [
    { id: 1, name: "a" },
    { id: 2, name: "b" },
  ];
  const first = (tmpl.render({ rows }).dynamics[0] as Comprehension).entries;
  assert.deepEqual(
    first.map((e) => e.dynamics),
    [["a"], ["b"]],
  );
  (rows[1] as { name: string }).name = "B";
  const next = (tmpl.render({ rows }, new Set(["rows"])).dynamics[0] as Comprehension).entries;
  assert.equal(next[0], first[0], "the unchanged row is reused");
  // The changed row is evaluated; its fragment (key "row", 2) is still cached.
  assert.deepEqual(next[1]?.dynamics, ["b"]);
  assert.equal(renderToString(tmpl.render({ rows: [{ id: 3, name: "c" }] })), "c;");
});
