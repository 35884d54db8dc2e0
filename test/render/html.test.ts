import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { diff, renderedToWire } from "../../src/render/diff.js";
import { fingerprintOf } from "../../src/render/fingerprint.js";
import { renderToString } from "../../src/render/html.js";
import type { Comprehension, Rendered } from "../../src/render/tree.js";
import { html, isTrustedTree, keyed, trustRendered } from "../../src/template/html.js";
import { markSafe } from "../../src/template/safe.js";
import { node } from "./helpers.js";
import { propertyRuns } from "../support/property-runs.js";

const render = (tree: Rendered) => renderToString(tree);

describe("html``", () => {
  it("uses the call site's strings as statics, cached per call site", () => {
    const make = (x: string) => html`<p>${x}</p>`;
    const a = make("a");
    const b = make("b");
    assert.deepEqual(a.statics, ["<p>", "</p>"]);
    assert.equal(a.statics, b.statics);
    assert.equal(a.fingerprint, fingerprintOf(["<p>", "</p>"]));
    assert.deepEqual(a.dynamics, ["a"]);
    const other = html`<p>${"a"}</p>`;
    assert.equal(other.fingerprint, a.fingerprint, "equal strings, equal fingerprint");
    assert.notEqual(html`<i>${"a"}</i>`.fingerprint, a.fingerprint);
  });

  it("escapes text and attribute values", () => {
    const evil = `<script>alert('x' & "y")</script>`;
    assert.equal(
      render(html`<a title="${evil}">${evil}</a>`),
      `<a title="&lt;script&gt;alert(&#x27;x&#x27; &amp; &quot;y&quot;)&lt;/script&gt;">` +
        `&lt;script&gt;alert(&#x27;x&#x27; &amp; &quot;y&quot;)&lt;/script&gt;</a>`,
    );
  });

  it("renders null, undefined and false as nothing; numbers and true as text", () => {
    assert.equal(
      render(html`[${null}|${undefined}|${false}|${0}|${true}|${12.5}|${10n}]`),
      "[|||0|true|12.5|10]",
    );
  });

  it("passes SafeString through unescaped", () => {
    assert.equal(render(html`<div>${markSafe("<b>ok</b>")}</div>`), "<div><b>ok</b></div>");
  });

  it("refuses functions, whose text would be their source code", () => {
    const secret = () => "api-key-123";
    assert.throws(() => html`<p>${secret}</p>`, TypeError);
  });

  it("escapes objects through String()", () => {
    const obj = { toString: () => "<x>" };
    assert.equal(render(html`${obj}`), "&lt;x&gt;");
  });

  it("nests trees as trees", () => {
    const inner = html`<b>${"<"}</b>`;
    const outer = html`<div>${inner}</div>`;
    assert.equal(outer.dynamics[0], inner);
    assert.equal(render(outer), "<div><b>&lt;</b></div>");
  });

  it("turns a list of trees from one call site into a comprehension", () => {
    const items = ["a", "b"];
    // prettier-ignore
    const tree = html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`;
    const list = tree.dynamics[0] as Comprehension;
    assert.equal(list.type, "comprehension");
    assert.deepEqual(list.statics, ["<li>", "</li>"]);
    assert.deepEqual(
      list.entries.map((e) => e.dynamics),
      [["a"], ["b"]],
    );
    assert.equal(list.entries[0]?.key, undefined);
    assert.equal(render(tree), "<ul><li>a</li><li>b</li></ul>");
    assert.deepEqual(renderedToWire(tree).s, ["<ul>", "</ul>"]);
  });

  it("gives keyed rows their key, as a string, without touching the original tree", () => {
    const row = html`<li>${"x"}</li>`;
    const k = keyed(7, row);
    assert.notEqual(k, row);
    // prettier-ignore
    const tree = html`<ul>${[k, html.keyed("b", html`<li>${"y"}</li>`)]}</ul>`;
    const list = tree.dynamics[0] as Comprehension;
    assert.deepEqual(
      list.entries.map((e) => e.key),
      ["7", "b"],
    );
    // prettier-ignore
    const plain = html`<ul>${[row]}</ul>`.dynamics[0] as Comprehension;
    assert.equal(plain.entries[0]?.key, undefined);
  });

  it("refuses duplicate keys in one list", () => {
    const row = (k: number) => keyed(k, html`<li>${k}</li>`);
    assert.throws(
      () =>
        html`<ul>
          ${[row(1), row(2), row(1)]}
        </ul>`,
      /duplicate key "1"/,
    );
  });

  it("refuses a list with a duplicate key whatever the keys' order, and accepts distinct keys", () => {
    // Keys in increasing order skip the set of seen keys; the others go through it.
    const list = (keys: readonly (string | number)[]) =>
      html`<ul>
        ${keys.map((k) => keyed(k, html`<li>${k}</li>`))}
      </ul>`;
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom("a", "b", "ab", "ba", "10", "9", ""), fc.nat(12)), {
          maxLength: 8,
        }),
        (keys) => {
          const distinct = new Set(keys.map(String)).size === keys.length;
          if (distinct) assert.doesNotThrow(() => list(keys));
          else assert.throws(() => list(keys), /duplicate key/);
        },
      ),
      propertyRuns(500),
    );
    assert.doesNotThrow(() => list(Array.from({ length: 1000 }, (_, i) => i)));
    assert.throws(() => list([8, 9, 10, 9]), /duplicate key "9"/);
    assert.throws(() => list(["9", 10, "10"]), /duplicate key "10"/);
  });

  it("concatenates escaped text for lists of plain values, and empty lists render nothing", () => {
    assert.equal(
      render(html`<p>${["<a>", 1, null, false, ["&", "b"]]}</p>`),
      "<p>&lt;a&gt;1&amp;b</p>",
    );
    // prettier-ignore
    const empty = html`<ul>${[]}</ul>`;
    assert.deepEqual(empty.dynamics, [""]);
  });

  it("lists mixing call sites become one-slot rows and still render in order", () => {
    // prettier-ignore
    const tree = html`<ul>${[html`<li>${1}</li>`, html`<li class="x">${2}</li>`, "<t>"]}</ul>`;
    const list = tree.dynamics[0] as Comprehension;
    assert.equal(list.type, "comprehension");
    assert.deepEqual(list.statics, ["", ""]);
    assert.equal(list.entries.length, 3);
    assert.equal(render(tree), '<ul><li>1</li><li class="x">2</li>&lt;t&gt;</ul>');
  });

  it("refuses objects that only look like trees (e.g. JSON from a client)", () => {
    const forged = JSON.parse(
      '{"type":"rendered","statics":["<img src=x onerror=alert(1)>"],"fingerprint":1,"dynamics":[]}',
    ) as unknown;
    assert.throws(() => html`<div>${forged}</div>`, TypeError);
    assert.throws(
      () =>
        html`<ul>
          ${[forged]}
        </ul>`,
      TypeError,
    );
    assert.throws(() => keyed(1, forged as Rendered), TypeError);
    assert.equal(isTrustedTree(forged), false);
  });

  it("accepts trees from other producers once trusted", () => {
    const foreign = node(["<em>", "</em>"], "ok");
    assert.throws(() => html`<div>${foreign}</div>`, TypeError);
    const trustedTree = trustRendered(foreign);
    assert.equal(trustedTree, foreign);
    assert.equal(render(html`<div>${foreign}</div>`), "<div><em>ok</em></div>");
  });

  it("diffs re-renders of one template down to the changed slot", () => {
    const view = (n: number, items: string[]) =>
      html`<h1>${n}</h1>
        <ul>
          ${items.map((i) => keyed(i, html`<li>${i}</li>`))}
        </ul>`;
    const first = view(1, ["a", "b"]);
    assert.equal(diff(first, view(1, ["a", "b"])).diff, null);
    assert.deepEqual(diff(first, view(2, ["b", "a"])).diff, {
      0: "2",
      1: { k: { 0: 1, 1: 0, kc: 2, km: true } },
    });
  });
});
