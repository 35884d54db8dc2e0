// The tags added for Django parity: output (what the differential test cannot cover, such as
// catalogs of this repository) and change tracking (each slot reads exactly its inputs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { renderToString } from "../../src/render/html.js";
import { UNCHANGED, type Rendered } from "../../src/render/tree.js";
import {
  TemplateLoader,
  TemplateRenderError,
  TemplateSyntaxError,
} from "../../src/template/index.js";

const localeDirs = [fileURLToPath(new URL("../fixtures/locale/", import.meta.url))];
const loader = new TemplateLoader({ dirs: [], localeDirs, language: "de" });
const render = (t: string, ctx: Record<string, unknown> = {}) =>
  renderToString(loader.fromString(t).render(ctx));

test("translations come from .po catalogs, with context and plural forms", () => {
  assert.equal(
    render('{% trans "Hello" %}|{% translate "May" context "month name" %}'),
    "Hallo|Mai",
  );
  const plural =
    "{% blocktrans count counter=xs|length %}one item{% plural %}{{ counter }} items{% endblocktrans %}";
  assert.equal(render(plural, { xs: [1] }), "ein Ding");
  assert.equal(render(plural, { xs: [1, 2, 3] }), "3 Dinge");
  assert.equal(
    render("{% blocktrans %}Hi {{ name }}{% endblocktrans %}", { name: "<b>" }),
    "Servus &lt;b&gt;",
  );
  assert.equal(render('{% language "en" %}{% trans "Hello" %}{% endlanguage %}'), "Hello");
  assert.equal(render("{% get_current_language as L %}{{ L }}"), "de");
});

test("widthratio, regroup, ifchanged, filter, resetcycle, templatetag, lorem, static", () => {
  assert.equal(render("{% widthratio v 200 100 %}", { v: 175 }), "88");
  assert.equal(
    render(
      "{% regroup xs by c as g %}{% for x in g %}{{ x.grouper }}:{{ x.list|length }};{% endfor %}",
      { xs: [{ c: "a" }, { c: "a" }, { c: "b" }] },
    ),
    "a:2;b:1;",
  );
  assert.equal(
    render("{% for x in xs %}{% ifchanged %}{{ x }}{% endifchanged %}{% endfor %}", {
      xs: [1, 1, 2],
    }),
    "12",
  );
  assert.equal(render("{% filter upper %}a{{ s }}{% endfilter %}", { s: "<b>" }), "A&LT;B&GT;");
  assert.equal(
    render("{% for x in xs %}{% cycle 'a' 'b' %}{% resetcycle %}{% endfor %}", { xs: [1, 2] }),
    "aa",
  );
  assert.equal(render("{% templatetag openblock %}{% lorem 3 w %}"), "{%lorem ipsum dolor");
  assert.equal(render('{% static "a b.css" %}'), "/static/a%20b.css");
});

test("change tracking: the new tags' slots read exactly their inputs", () => {
  const t = loader.fromString(
    "{% widthratio v m 100 %}|{% blocktrans with name=who %}Hi {{ name }}{% endblocktrans %}|" +
      "{% regroup xs by c as g %}{{ g|length }}",
  );
  assert.deepEqual([...t.dependencies].sort(), ["m", "v", "who", "xs"]);
  const ctx = { v: 1, m: 2, who: "A", xs: [] };
  const full = t.render(ctx);
  assert.equal(renderToString(full), "50|Servus A|0");
  const partial = t.render({ ...ctx, who: "B" }, new Set(["who"]));
  assert.equal(partial.dynamics[0], UNCHANGED);
  assert.notEqual(partial.dynamics[1], UNCHANGED);
  assert.equal((partial.dynamics[2] as Rendered | typeof UNCHANGED) === UNCHANGED, true);
});

test("unpacking raises on a wrong-length item; regroup's missing key is None; dates follow the language", () => {
  const en = new TemplateLoader({ dirs: [] });
  const r = (t: string, ctx: Record<string, unknown> = {}) =>
    renderToString(en.fromString(t).render(ctx));
  assert.equal(
    r("{% for a, b in xs %}{{ a }}{{ b }};{% endfor %}", { xs: [[1, 2], "xy"] }),
    "12;xy;",
  );
  assert.throws(() => r("{% for a, b in xs %}{% endfor %}", { xs: [[1, 2, 3]] }), /Need 2 values/);
  assert.throws(() => r("{% for a, b in xs %}{% endfor %}", { xs: [1] }), /got 1/);
  assert.equal(
    r("{% regroup xs by c as g %}{% for x in g %}{{ x.grouper }};{% endfor %}", { xs: [{}] }),
    "None;",
  );
  const when = new Date("2008-01-02T03:04:05Z");
  assert.equal(
    r('{% language "de" %}{{ d|date }} {{ d|date:"D N" }}{% endlanguage %} {{ d|date }}', {
      d: when,
    }),
    "2. Januar 2008 Mi Jan. Jan. 2, 2008",
  );
  const fr = new TemplateLoader({ dirs: [], language: "fr", timeZone: "Europe/Paris" });
  assert.equal(
    renderToString(fr.fromString("{{ d|date:'DATETIME_FORMAT' }}").render({ d: when })),
    "2 janvier 2008 04:04",
  );
});

test("lorem and random draw from a replaceable source, with Python's sampling", async () => {
  const { setRandomSource } = await import("../../src/template/random.js");
  let next = 0;
  const previous = setRandomSource((n) => next++ % n);
  try {
    assert.equal(render("{{ xs|random }}", { xs: ["a", "b"] }), "a");
    assert.match(render("{% lorem 2 w random %}"), /^\w+ \w+$/);
  } finally {
    setRandomSource(previous);
  }
});

test("include/extends of a variable template name: compiled when rendered, re-evaluated on any change", () => {
  const l = new TemplateLoader({
    dirs: [],
    templates: {
      a: "[a {{ x }}]",
      b: "[b {{ y }}]",
      base: "<{% block m %}base{% endblock %}>",
      child: "{% extends parent %}{% block m %}{{ x }}{% endblock %}",
    },
  });
  const t = l.fromString("{{ x }}{% include name %}");
  assert.equal(renderToString(t.render({ name: "a", x: 1 })), "1[a 1]");
  assert.equal(renderToString(t.render({ name: "b", x: 1, y: 2 })), "1[b 2]");
  // The included template's reads are unknown at compile time: any change re-evaluates it.
  const partial = t.render({ name: "b", x: 1, y: 3 }, new Set(["y"])) as Rendered;
  assert.notEqual(partial.dynamics[1], UNCHANGED);
  assert.equal(partial.dynamics[0], UNCHANGED);
  assert.equal(renderToString(l.get("child").render({ parent: "base", x: 7 })), "<7>");
  assert.throws(() => t.render({ name: "nope" }), /does not exist/);
});

test("language filters need {% load i18n %}; language info tags", () => {
  const en = new TemplateLoader({ dirs: [] });
  const r = (t: string) => renderToString(en.fromString(t).render({}));
  assert.equal(
    r(
      '{% load i18n %}{{ "hu"|language_name }} {{ "hu"|language_name_local }} {{ "fa"|language_bidi }}',
    ),
    "Hungarian Magyar True",
  );
  assert.throws(() => r('{{ "hu"|language_name }}'), /load i18n/);
});

test("registerTag: simple and inclusion tags, takesContext, as; change tracking from the arguments", async () => {
  const { registerTag, markSafe } = await import("../../src/index.js");
  registerTag("greet", {
    fn: (name: unknown, kw?: { punct?: string }) => `Hi <${String(name)}>${kw?.punct ?? ""}`,
    pure: true,
  });
  registerTag("bold", { fn: (s: unknown) => markSafe(`<b>${String(s)}</b>`), pure: true });
  registerTag("whoami", {
    fn: (ctx: { user?: string }) => ctx.user,
    takesContext: true,
    reads: ["user"],
  });
  registerTag("card", { fn: (title: unknown) => ({ title }), template: "card.html", pure: true });
  assert.throws(() => registerTag("bad", { fn: () => 1, takesContext: true }), /reads/);
  const l = new TemplateLoader({
    dirs: [],
    templates: { "card.html": "<div>{{ title }}{{ user }}</div>" },
  });
  const t = l.fromString(
    '{% greet name punct="!" %}|{% bold name %}|{% whoami %}|{% card name|upper %}|{% greet other as g %}{{ g }}',
  );
  const ctx = { name: "ann", other: "bob", user: "u1" };
  assert.equal(
    renderToString(t.render(ctx)),
    "Hi &lt;ann&gt;!|<b>ann</b>|u1|<div>ANN</div>|Hi &lt;bob&gt;",
  );
  const partial = t.render({ ...ctx, user: "u2" }, new Set(["user"])) as Rendered;
  assert.deepEqual(
    partial.dynamics.map((d) => d === UNCHANGED),
    [true, true, false, true, true],
  );
  assert.equal(l.fromString("{% greet %}").dependencies.size, 0);
  assert.deepEqual([...t.dependencies].sort(), ["name", "other", "user"]);
  // In a loop, a pure custom tag over the row keeps the loop memo (rows are reused).
  const loop = l.fromString("{% for x in xs %}{% greet x.n %}{% endfor %}");
  const xs = [{ n: "a" }, { n: "b" }];
  const first = loop.render({ xs }) as Rendered;
  const second = loop.render({ xs }, new Set(["xs"])) as Rendered;
  const entries = (r: Rendered) =>
    (r.dynamics[0] as unknown as { entries: readonly unknown[] }).entries;
  assert.equal(entries(second)[0], entries(first)[0]);
});

test("get_language_info(_list), get_available_languages; unknown codes raise with the position", () => {
  const en = new TemplateLoader({ dirs: [] });
  const r = (t: string, ctx: Record<string, unknown> = {}) =>
    renderToString(en.fromString(t).render(ctx));
  assert.equal(
    r(
      '{% load i18n %}{% get_language_info for "de-at" as l %}{{ l.code }} {{ l.name }} {{ l.name_local }} {{ l.bidi }}',
    ),
    "de German Deutsch False",
  );
  assert.equal(
    r(
      "{% load i18n %}{% get_language_info_list for codes as ls %}{% for l in ls %}{{ l.code }}:{{ l.bidi }};{% endfor %}",
      { codes: ["it", ["fa", "Persian"]] },
    ),
    "it:False;fa:True;",
  );
  // In German, the names are German (Django's catalogs), as name_translated shows them.
  assert.equal(
    render(
      '{% load i18n %}{% get_language_info for "fr" as l %}{{ l.name_translated }}|{% get_available_languages as ls %}{% for c, n in ls %}{% if c == "fr" %}{{ n }}{% endif %}{% endfor %}',
    ),
    "Französisch|Französisch",
  );
  assert.equal(
    r("{% get_available_languages as ls %}{{ ls|length }} {{ ls.0.0 }} {{ ls.0.1 }}"),
    "96 af Afrikaans",
  );
  const error = (() => {
    try {
      r("\n {% get_language_info for code as l %}", { code: "xx" });
    } catch (e) {
      return e as TemplateRenderError;
    }
    return undefined;
  })();
  assert.ok(error instanceof TemplateRenderError);
  assert.match(error.message, /^t?.*:2:2: Unknown language code xx\./);
  assert.throws(
    () => en.fromString("{% get_language_info 'de' as l %}"),
    (e: unknown) =>
      e instanceof TemplateSyntaxError && /requires 'for string as variable'/.test(e.reason),
  );
});

test("{% debug %} shows the context only with the loader's debug option", () => {
  const ctx = { a: 1, s: "<x>" };
  assert.equal(render("[{% debug %}]", ctx), "[]");
  const dbg = new TemplateLoader({ dirs: [], debug: true });
  assert.equal(
    renderToString(dbg.fromString("{% with b=2 %}{% debug %}{% endwith %}").render(ctx)),
    "{&#x27;b&#x27;: 2}{&#x27;a&#x27;: 1, &#x27;s&#x27;: &#x27;&lt;x&gt;&#x27;}" +
      "{&#x27;True&#x27;: True, &#x27;False&#x27;: False, &#x27;None&#x27;: None}\n\n",
  );
  // It shows every name, so any change re-renders it.
  const t = dbg.fromString("{% debug %}");
  assert.notEqual((t.render(ctx, new Set(["a"])) as Rendered).dynamics[0], UNCHANGED);
});

test("lorem with a variable count; legacy `with x as y and ...`; block.super without a parent", () => {
  const en = new TemplateLoader({ dirs: [] });
  const r = (t: string, ctx: Record<string, unknown> = {}) =>
    renderToString(en.fromString(t).render(ctx));
  assert.equal(r("{% lorem n w %}", { n: 3 }), "lorem ipsum dolor");
  assert.equal(r("{% lorem n w %}", { n: "2" }), "lorem ipsum");
  // Not an integer (Django's int() fails): one.
  assert.equal(r("{% lorem n w %}", { n: "two" }), "lorem");
  assert.equal(r("{% lorem missing w %}"), "lorem");
  assert.equal(
    r("{% blocktrans with a as x and b as y %}{{ x }}+{{ y }}{% endblocktrans %}", {
      a: 1,
      b: 2,
    }),
    "1+2",
  );
  assert.equal(r("{% with a as x and b as y %}{{ x }}{{ y }}{% endwith %}", { a: 1, b: 2 }), "12");
  assert.throws(
    () => en.fromString("{% with a as x or b as y %}{% endwith %}"),
    (e: unknown) => e instanceof TemplateSyntaxError && e.reason === "expected 'and', got 'or'",
  );
  assert.throws(
    () => r("{% block a %}\n{{ block.super }}{% endblock %}"),
    (e: unknown) =>
      e instanceof TemplateSyntaxError &&
      e.line === 2 &&
      /block.super.*extends nothing/.test(e.reason),
  );
  assert.throws(
    () => en.fromString('{% translate "Yes" context noop %}'),
    (e: unknown) =>
      e instanceof TemplateSyntaxError &&
      e.reason === "Invalid argument 'noop' provided to the 'translate' tag for the context option",
  );
});

test("extends/include of a filtered literal name; `1.2.3` is a lookup; openers without closers are text", () => {
  const l = new TemplateLoader({
    dirs: [],
    templates: { base: "<{% block m %}{% endblock %}>", part: "[{{ x }}]" },
  });
  const r = (t: string, ctx: Record<string, unknown> = {}) =>
    renderToString(l.fromString(t).render(ctx));
  assert.equal(
    r("{% extends ' base '|cut:' ' %}{% block m %}{{ x }}{% endblock %}", { x: 1 }),
    "<1>",
  );
  assert.equal(r("{% include 'PART'|lower %}", { x: 2 }), "[2]");
  assert.equal(r("{{ 1.2.3 }}|{{ 1.5 }}", { "1": { "2": ["a", "b", "c", "d"] } }), "d|1.5");
  assert.equal(r("a {{ b %} c\n{% if x\n%} {# y"), "a {{ b %} c\n{% if x\n%} {# y");
  assert.equal(r("{{ x \n}}{{ x }}", { x: 1 }), "{{ x \n}}1");
});

test("tz and l10n: utc/timezone/localtime fix a date's zone; localize, unlocalize, {% localize off %}, floatformat separators", () => {
  const when = new Date("2008-01-02T03:04:05Z");
  const r = (t: string, options: { language?: string; timeZone?: string } = {}) =>
    renderToString(
      new TemplateLoader({ dirs: [], ...options })
        .fromString(t)
        .render({ when, f: 3.5, big: 1234567, s: "x" }),
    );
  assert.equal(
    r(
      '{% load tz %}{% timezone "Asia/Kolkata" %}{{ when|date:"H:i" }} {{ when|utc|date:"H:i e" }} {{ when|timezone:"Europe/Paris"|date:"H:i T" }}{% endtimezone %} {{ when|localtime|date:"H:i" }}',
      { timeZone: "America/New_York" },
    ),
    "08:34 03:04 UTC 04:04 CET 22:04",
  );
  assert.equal(r('{% load tz %}[{{ s|utc }}][{{ when|timezone:"No/Such" }}]'), "[][]");
  assert.equal(
    r(
      "{% load l10n %}{{ f }} {{ when }}|{% localize off %}{{ f }} {{ when }}{% endlocalize %}|{{ f|unlocalize }}|{{ when|localize }}",
      { language: "de" },
    ),
    "3,5 2. Januar 2008 03:04|3.5 Jan. 2, 2008, 3:04 vorm.|3.5|2. Januar 2008 03:04",
  );
  assert.equal(
    r('{{ big|floatformat:"2g" }} {{ big|floatformat:"2u" }} {{ big|floatformat:"g" }}', {
      language: "de",
    }),
    "1.234.567,00 1234567.00 1.234.567",
  );
  // `{% now %}` runs in the loader's zone (CET or CEST depending on the season).
  assert.match(r('{% now "e" %}', { timeZone: "Europe/Paris" }), /^CES?T$/);
});

test("querystring: request.GET or a given query dict, changed by keyword arguments (Django 5.2)", () => {
  const en = new TemplateLoader({ dirs: [] });
  const r = (t: string, ctx: Record<string, unknown> = {}) =>
    renderToString(en.fromString(t).render(ctx));
  const request = { GET: new URLSearchParams("a=1&b=2&b=x y") };
  assert.equal(r("{% querystring %}", { request }), "?a=1&amp;b=2&amp;b=x+y");
  assert.equal(r("{% querystring page=3 a=None %}", { request }), "?b=2&amp;b=x+y&amp;page=3");
  assert.equal(
    r("{% querystring qd tag=tags %}", { qd: {}, tags: ["a&b", "c"] }),
    "?tag=a%26b&amp;tag=c",
  );
  assert.equal(r("[{% querystring qd %}]", { qd: new Map() }), "[]");
  assert.equal(r("[{% querystring qd a=None %}]", { qd: { a: "1" } }), "[?]");
  assert.equal(
    r("{% querystring page=2 as q %}<a href='{{ q }}'>", { request }),
    "<a href='?a=1&amp;b=2&amp;b=x+y&amp;page=2'>",
  );
  // Only `request` (and the arguments) are read: change tracking holds.
  assert.deepEqual([...en.fromString("{% querystring page=n %}").dependencies].sort(), [
    "n",
    "request",
  ]);
  assert.throws(
    () => r("\n{% querystring %}"),
    (e: unknown) =>
      e instanceof TemplateRenderError &&
      e.location.line === 2 &&
      /no query dict given and the context has no request.GET/.test(e.message),
  );
  assert.throws(
    () => en.fromString("{% querystring a b %}"),
    (e: unknown) => e instanceof TemplateSyntaxError && /at most one positional/.test(e.reason),
  );
});

test("{% language %} and {% timezone %} of a variable: the body compiled per value when rendering", () => {
  const en = new TemplateLoader({ dirs: [] });
  const when = new Date("2008-01-02T03:04:05Z");
  const t = en.fromString(
    '{% load tz %}{% language lang %}{{ when|date }}{% endlanguage %}|{% timezone zone %}{{ when|date:"H:i e" }}{% endtimezone %}|{{ other }}',
  );
  const ctx = { when, lang: "de", zone: "Asia/Kolkata", other: 1 };
  assert.equal(renderToString(t.render(ctx)), "2. Januar 2008|08:34 IST|1");
  assert.equal(
    renderToString(t.render({ ...ctx, lang: "fr", zone: null })),
    "2 janvier 2008|03:04 UTC|1",
  );
  assert.deepEqual([...t.dependencies].sort(), ["lang", "other", "when", "zone"]);
  const partial = t.render({ ...ctx, other: 2 }, new Set(["other"])) as Rendered;
  assert.deepEqual(
    partial.dynamics.map((d) => d === UNCHANGED),
    [true, true, false],
  );
  assert.throws(
    () => t.render({ ...ctx, zone: "Mars/Base" }),
    (e: unknown) =>
      e instanceof TemplateRenderError && /unknown time zone 'Mars\/Base'/.test(e.message),
  );
  assert.throws(
    () => en.fromString("{% timezone 'Mars/Base' %}{% endtimezone %}"),
    (e: unknown) =>
      e instanceof TemplateSyntaxError && e.reason === "'timezone': unknown time zone 'Mars/Base'",
  );
});
