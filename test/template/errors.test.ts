import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { renderToString } from "../../src/render/html.js";
import {
  TemplateDoesNotExist,
  TemplateLoader,
  TemplateRenderError,
  TemplateSyntaxError,
} from "../../src/template/index.js";
import { propertyRuns } from "../support/property-runs.js";

const fixtures = fileURLToPath(new URL("../fixtures/templates/", import.meta.url));
const loader = new TemplateLoader({ dirs: [fixtures] });

function syntaxError(source: string, name = "t.html"): TemplateSyntaxError {
  try {
    loader.fromString(source, name);
  } catch (error) {
    assert.ok(
      error instanceof TemplateSyntaxError,
      `expected TemplateSyntaxError, got ${String(error)}`,
    );
    return error;
  }
  assert.fail(`expected ${JSON.stringify(source)} to fail`);
}

const positions: readonly [source: string, line: number, column: number, reason: RegExp][] = [
  ["a\n{% if x %}\nb", 2, 1, /unclosed tag 'if'/],
  ["{% for x in xs %}\n  {% if y %}\n{% endfor %}", 3, 1, /invalid block tag 'endfor' inside 'if'/],
  ["{% block a %}{% for x in y %}", 1, 14, /unclosed tag 'for'/],
  ["line1\n  {% frobnicate x %}", 2, 3, /unknown tag 'frobnicate'/],
  ["{{ x|nope }}", 1, 6, /unknown filter 'nope'/],
  ["ok\n{{ x|upper|default }}", 2, 12, /filter 'default' requires an argument/],
  ["{{ x|upper:1 }}", 1, 6, /filter 'upper' takes no argument/],
  ["{% for x on xs %}{% endfor %}", 1, 10, /'for' statements should use the format 'for x in y'/],
  ["{% for x %}{% endfor %}", 1, 4, /at least four words/],
  ["{% for x, in xs %}{% endfor %}", 1, 8, /invalid argument/],
  ["{{ }}", 1, 1, /empty variable tag/],
  ["{% %}", 1, 1, /empty block tag/],
  ["{% endif %}", 1, 1, /unexpected 'endif'/],
  ["{% if a b %}{% endif %}", 1, 9, /unused 'b'/],
  ["{% if %}{% endif %}", 1, 6, /unexpected end of expression/],
  ["{% if and x %}{% endif %}", 1, 7, /not expecting 'and'/],
  ["{{ a._b }}", 1, 4, /underscores/],
  ["{{ a b }}", 1, 5, /could not parse the remainder: ' b'/],
  ['{{ "abc }}', 1, 4, /unterminated string/],
  ["{% block a %}{% endblock b %}", 1, 26, /mismatched 'endblock'/],
  ["{% block a %}{% endblock %}{% block a %}{% endblock %}", 1, 28, /appears more than once/],
  ["{{ a }}{% extends 'base.html' %}", 1, 8, /first tag/],
  ["{% with %}{% endwith %}", 1, 1, /at least one variable assignment/],
  ["{% include %}", 1, 1, /takes one argument/],
  ["{% cycle foo %}", 1, 10, /no named cycle 'foo'/],
  ["{% autoescape maybe %}{% endautoescape %}", 1, 15, /'on' or 'off'/],
  ["{% verbatim %}abc", 1, 1, /unclosed tag 'verbatim'/],
  ["\t{% comment %}", 1, 2, /unclosed tag 'comment'/],
];

test("syntax errors carry exact line and column", async (t) => {
  for (const [source, line, column, reason] of positions) {
    await t.test(JSON.stringify(source), () => {
      const error = syntaxError(source);
      assert.match(error.reason, reason);
      assert.deepEqual([error.templateName, error.line, error.column], ["t.html", line, column]);
    });
  }
});

test("the message has name:line:column and a caret under the column", () => {
  const error = syntaxError("<p>\n  <b>{{ x|bogus }}</b>\n</p>", "page.html");
  assert.equal(
    error.message,
    "page.html:2:11: unknown filter 'bogus'\n    <b>{{ x|bogus }}</b>\n            ^",
  );
  assert.equal(error.name, "TemplateSyntaxError");
});

test("missing templates name the dirs searched; traversal out of the dirs is refused", () => {
  assert.throws(
    () => loader.get("nope.html"),
    (error: unknown) =>
      error instanceof TemplateDoesNotExist &&
      error instanceof TemplateSyntaxError &&
      error.tried.length === 1 &&
      error.message.includes(fixtures.replace(/\/$/, "")),
  );
  assert.throws(() => loader.get("../template/errors.test.ts"), TemplateDoesNotExist);
  assert.throws(() => loader.get("/etc/passwd"), TemplateDoesNotExist);
  assert.throws(
    () => loader.get("includes_missing.html"),
    (error: unknown) =>
      error instanceof TemplateDoesNotExist &&
      error.templateName === "includes_missing.html" &&
      error.line === 1 &&
      error.column === 1 &&
      error.missingName === "nope.html",
  );
  assert.throws(() => loader.fromString('{% include "../django.test.ts" %}'), TemplateDoesNotExist);
});

test("include and extends recursion is detected at compile time", () => {
  assert.throws(
    () => loader.get("loop_a.html"),
    /recursive include: loop_a\.html → loop_b\.html → loop_a\.html/,
  );
  assert.throws(() => loader.get("self_extends.html"), /recursive extends/);
});

test("get() caches; reload: true recompiles when a file's mtime changes", () => {
  const dir = mkdtempSync(join(tmpdir(), "djust-tpl-"));
  try {
    writeFileSync(join(dir, "page.html"), "v1 {% include 'part.html' %}");
    writeFileSync(join(dir, "part.html"), "p1");
    const cached = new TemplateLoader({ dirs: [dir] });
    const reloading = new TemplateLoader({ dirs: [dir], reload: true });
    const first = cached.get("page.html");
    assert.equal(cached.get("page.html"), first);
    assert.equal(renderToString(reloading.get("page.html").render({})), "v1 p1");
    writeFileSync(join(dir, "part.html"), "p2");
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, "part.html"), later, later);
    assert.equal(renderToString(reloading.get("page.html").render({})), "v1 p2");
    assert.equal(renderToString(cached.get("page.html").render({})), "v1 p1");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("url without a urlFor option fails at render time, not compile time", () => {
  const tmpl = loader.fromString('{% url "home" %}');
  assert.throws(() => tmpl.render({}), TemplateRenderError);
});

const FRAGMENTS = [
  "{{",
  "}}",
  "{%",
  "%}",
  "{#",
  "#}",
  "{{ x }}",
  "{{ x.y.0|upper }}",
  "{{ x|default:'a b' }}",
  "{% if a %}",
  "{% elif b == 1 %}",
  "{% else %}",
  "{% endif %}",
  "{% for x in xs %}",
  "{% for k, v in d.items reversed %}",
  "{% empty %}",
  "{% endfor %}",
  "{% with a=b %}",
  "{% endwith %}",
  "{% block c %}",
  "{% endblock %}",
  "{% extends 'base.html' %}",
  "{% include 'partials/greet.html' with name=x only %}",
  "{% include 'missing.html' %}",
  "{% comment %}",
  "{% endcomment %}",
  "{% verbatim %}",
  "{% endverbatim %}",
  "{% cycle 'a' 'b' as c %}",
  "{% cycle c %}",
  "{% firstof a b %}",
  "{% now 'Y' %}",
  "{% url 'x' a %}",
  "{% spaceless %}",
  "{% endspaceless %}",
  "{% autoescape off %}",
  "{% endautoescape %}",
  "{% csrf_token %}",
  "{% load x %}",
  "{{ block.super }}",
  "if",
  "for",
  "in",
  "not",
  "and",
  "or",
  "==",
  "<",
  "|",
  ":",
  '"',
  "'",
  "\\",
  " ",
  "\n",
  "_",
  "x",
  "0",
  "-1.5e3",
  "{% if not a or b in c and d is not None %}",
  "{{ 'x'|date:'Y'|floatformat:'-2' }}",
  "{% with x as %}",
  "{{ _('t') }}",
];

test("the parser throws nothing but TemplateSyntaxError on arbitrary input", () => {
  const input = fc
    .array(
      fc.oneof(
        fc.string({ maxLength: 8 }),
        fc.constantFrom(...FRAGMENTS),
        fc.constantFrom(...FRAGMENTS),
      ),
      {
        maxLength: 25,
      },
    )
    .map((parts) => parts.join(""));
  fc.assert(
    fc.property(input, (source) => {
      let tmpl;
      try {
        tmpl = loader.fromString(source);
      } catch (error) {
        if (error instanceof TemplateSyntaxError) return;
        throw error;
      }
      // Whatever compiles also renders. The expected failures: a url without urlFor, and
      // (as Django raises it when the block renders) {{ block.super }} with no parent block.
      try {
        renderToString(tmpl.render({ a: 1, b: [1, "<"], xs: [1, 2], d: { k: "v" }, x: "s" }));
      } catch (error) {
        if (error instanceof TemplateRenderError) return;
        if (error instanceof TemplateSyntaxError && error.reason.startsWith("{{ block.super }}")) {
          return;
        }
        throw error;
      }
    }),
    propertyRuns(3000),
  );
});

test("absurd nesting is a TemplateSyntaxError, not a stack overflow", () => {
  const deep = "{% if a %}".repeat(5000) + "x" + "{% endif %}".repeat(5000);
  assert.throws(() => loader.fromString(deep), TemplateSyntaxError);
  const nots = `{% if ${"not ".repeat(5000)}a %}x{% endif %}`;
  assert.throws(() => loader.fromString(nots), TemplateSyntaxError);
  const ok = "{% if a %}".repeat(50) + "x" + "{% endif %}".repeat(50);
  assert.equal(renderToString(loader.fromString(ok).render({ a: 1 })), "x");
});
