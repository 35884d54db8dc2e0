// Checks the harness itself against hand-written payloads, so the conformance tests rest on the
// client's behaviour rather than on our own encoder.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClientTree, stripClientAttributes } from "../support/phoenix-client.js";

describe("ClientTree (real phoenix_live_view client)", () => {
  it("renders statics, slots, nested trees and keyed comprehensions", () => {
    const client = new ClientTree("v1", {
      s: ["<ul>", "</ul>"],
      0: {
        s: ["<li>", "", "</li>"],
        k: { 0: { 0: "a", 1: { s: 0, 0: "!" } }, 1: { 0: "b", 1: "" }, kc: 2 },
      },
      p: { 0: ["<b>", "</b>"] },
    });
    assert.equal(client.html(), "<ul><li>a<b>!</b></li><li>b</li></ul>");
  });

  it("merges objects without s and replaces objects with s", () => {
    const client = new ClientTree("v1", {
      s: ["<div>", "", "</div>"],
      0: { s: ["<b>", "|", "</b>"], 0: "x", 1: "y" },
      1: "z",
    });
    client.merge({ 0: { 1: "Y" } });
    assert.equal(client.html(), "<div><b>x|Y</b>z</div>");
    client.merge({ 0: { s: ["<i>", "</i>"], 0: "new" } });
    assert.equal(client.html(), "<div><i>new</i>z</div>");
  });

  it("applies keyed moves (km), moved-and-changed entries and kc truncation", () => {
    const client = new ClientTree("v1", {
      s: ["", ""],
      0: { s: ["<li>", "</li>"], k: { 0: { 0: "a" }, 1: { 0: "b" }, 2: { 0: "c" }, kc: 3 } },
    });
    client.merge({ 0: { k: { 0: 2, 1: [0, { 0: "A" }], kc: 2, km: true } } });
    assert.equal(client.html(), "<li>c</li><li>A</li>");
  });

  it("would expose a wrong diff: a missing kc empties the list", () => {
    const client = new ClientTree("v1", {
      s: ["", ""],
      0: { s: ["<li>", "</li>"], k: { 0: { 0: "a" }, kc: 1 } },
    });
    client.merge({ 0: { k: { 0: { 0: "b" } } } });
    // The client keeps only entries below `kc`; without it the list is emptied.
    assert.equal(client.html(), "");
  });

  it("splits off title, events and reply like the client", () => {
    const client = new ClientTree("v1", { s: ["<p>", "</p>"], 0: "x" });
    client.merge({ 0: "y", t: "Title", e: [["ping", { n: 1 }]], r: { ok: true } });
    assert.equal(client.title, "Title");
    assert.deepEqual(client.events, [["ping", { n: 1 }]]);
    assert.deepEqual(client.reply, { ok: true });
    assert.equal(client.html(), "<p>y</p>");
    assert.equal(client.patchHtml(), "<p>y</p>");
  });

  it("normalises only the attributes the client injects for roots and components", () => {
    const client = new ClientTree("v1", {
      s: ["", ""],
      0: { s: ['<div id="a">', "</div>"], 0: "x", r: 1 },
    });
    assert.match(client.patchHtml(), /data-phx-id="m1-v1"/);
    assert.equal(client.html(), '<div id="a">x</div>');
    assert.equal(
      stripClientAttributes(
        '<p data-phx-id="m1-v" data-phx-skip data-phx-component="1" data-phx-view="v" data-x="1">',
      ),
      '<p data-x="1">',
    );
  });
});
