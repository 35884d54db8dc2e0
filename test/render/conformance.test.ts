// Conformance: for a corpus of html`` templates and state sequences, the real Phoenix client fed
// our join payload and then our diffs must always show exactly our full render of the new state.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diff } from "../../src/render/diff.js";
import type { Rendered } from "../../src/render/tree.js";
import { html, keyed } from "../../src/template/html.js";
import { markSafe } from "../../src/template/safe.js";
import { roundTrip } from "./helpers.js";

interface Case<S> {
  readonly name: string;
  readonly view: (state: S) => Rendered;
  readonly states: readonly S[];
}

function defineCase<S>(c: Case<S>): Case<unknown> {
  return c as Case<unknown>;
}

interface Todo {
  id: number;
  title: string;
  done: boolean;
}

const todoItem = (t: Todo) =>
  keyed(
    t.id,
    html`<li id="todo-${t.id}" class="${t.done ? "done" : ""}">
      <input type="checkbox" ${t.done ? markSafe("checked") : ""} />${t.title}
      ${t.done ? html`<button phx-click="clear" phx-value-id="${t.id}">clear</button>` : ""}
    </li>`,
  );

const card = (title: string, body: Rendered | string) =>
  html`<section class="card">
    <h2>${title}</h2>
    <div class="body">${body}</div>
  </section>`;
const alertBox = (level: string, text: string) =>
  html`<div role="alert" class="${level}">${text}</div>`;

const todos = (...specs: Array<[number, string, boolean?]>): Todo[] =>
  specs.map(([id, title, done]) => ({ id, title, done: done ?? false }));

const corpus: Array<Case<unknown>> = [
  defineCase<{ count: number; show: boolean; msg: string }>({
    name: "if toggling and a counter",
    view: (s) =>
      html`<div>
        <span>${s.count}</span>${s.show ? html`<p class="msg">${s.msg}</p>` : ""}${
          s.show ? "" : html`<em>hidden</em>`
        }
      </div>`,
    states: [
      { count: 0, show: false, msg: "hi" },
      { count: 1, show: true, msg: "hi" },
      { count: 1, show: true, msg: "hello" },
      { count: 2, show: false, msg: "hello" },
      { count: 2, show: false, msg: "hello" },
      { count: 3, show: true, msg: "back" },
    ],
  }),
  defineCase<{ kind: "a" | "b" | "none"; n: number }>({
    name: "if/elif/else switching between templates (fingerprint changes)",
    view: (s) =>
      html`<main>
        ${
          s.kind === "a"
            ? html`<p>A ${s.n}</p>`
            : s.kind === "b"
              ? html`<ul>
                  <li>B</li>
                  <li>${s.n}</li>
                </ul>`
              : "nothing"
        }
      </main>`,
    states: [
      { kind: "none", n: 0 },
      { kind: "a", n: 1 },
      { kind: "a", n: 2 },
      { kind: "b", n: 2 },
      { kind: "b", n: 3 },
      { kind: "a", n: 3 },
      { kind: "none", n: 3 },
    ],
  }),
  defineCase<Todo[]>({
    name: "keyed list growing, shrinking, reordering, rows changing",
    view: (items) =>
      html`<h1>${items.length} todos</h1>
        <ul>
          ${items.map(todoItem)}
        </ul>
        ${items.length === 0 ? html`<p>Nothing to do</p>` : ""}`,
    states: [
      [],
      todos([1, "milk"]),
      todos([1, "milk"], [2, "eggs"], [3, "bread"]),
      todos([3, "bread"], [1, "milk"], [2, "eggs"]),
      todos([3, "bread"], [2, "eggs", true]),
      todos([4, "jam"], [2, "eggs", true], [5, "tea"], [3, "bread"]),
      todos([5, "tea"], [4, "jam", true], [3, "bread"], [2, "eggs", false]),
      todos([2, "eggs"]),
      [],
      todos([9, "again"], [8, "and again"]),
    ],
  }),
  defineCase<string[]>({
    name: "unkeyed list growing, shrinking, reordering",
    view: (items) =>
      html`<ol>
        ${items.map((i) => html`<li>${i}</li>`)}
      </ol>`,
    states: [["a"], ["a", "b", "c"], ["c", "b", "a"], ["c"], [], ["x", "y"], ["y", "x", "z", "w"]],
  }),
  defineCase<Array<{ id: string; cells: string[] }>>({
    name: "nested loops (keyed rows of unkeyed cells)",
    view: (rows) =>
      html`<table>
        ${rows.map((r) =>
          keyed(
            r.id,
            html`<tr data-id="${r.id}">
              ${r.cells.map((c) => html`<td>${c}</td>`)}
            </tr>`,
          ),
        )}
      </table>`,
    states: [
      [{ id: "r1", cells: ["1", "2"] }],
      [
        { id: "r1", cells: ["1", "2", "3"] },
        { id: "r2", cells: [] },
      ],
      [
        { id: "r2", cells: ["x"] },
        { id: "r1", cells: ["1", "3"] },
      ],
      [
        { id: "r3", cells: ["n"] },
        { id: "r2", cells: ["x"] },
        { id: "r1", cells: [] },
      ],
      [{ id: "r1", cells: ["only"] }],
    ],
  }),
  defineCase<{ name: string; attr: string }>({
    name: "escaping of <>&'\" in text and attributes",
    view: (s) => html`<p title="${s.attr}" data-x="${s.attr}">Hello ${s.name}!</p>`,
    states: [
      { name: "<b>bold</b>", attr: `"quoted" & 'single'` },
      { name: "Tom & Jerry's <script>", attr: "a>b<c" },
      { name: "plain", attr: "plain" },
      { name: "&amp; stays escaped", attr: "&lt;" },
    ],
  }),
  defineCase<{ panels: Array<{ title: string; level?: string; text: string }> }>({
    name: "nested components, inside and outside loops",
    view: (s) =>
      html`<div class="page">
        ${card("Summary", `${s.panels.length} panels`)}${s.panels.map((p) =>
          keyed(p.title, card(p.title, p.level ? alertBox(p.level, p.text) : p.text)),
        )}
      </div>`,
    states: [
      { panels: [] },
      { panels: [{ title: "One", text: "plain" }] },
      {
        panels: [
          { title: "One", level: "warn", text: "now an alert" },
          { title: "Two", level: "info", text: "<i>" },
        ],
      },
      {
        panels: [
          { title: "Two", level: "error", text: "moved & changed" },
          { title: "One", text: "plain again" },
        ],
      },
      { panels: [{ title: "Two", level: "error", text: "moved & changed" }] },
    ],
  }),
  defineCase<Array<string | number>>({
    name: "lists mixing call sites and text",
    view: (items) =>
      html`<div>
        ${items.map((i) => (typeof i === "number" ? html`<b>${i}</b>` : i === "" ? html`<hr />` : i))}
      </div>`,
    states: [["a", 1], [1, "a", ""], ["", "", 2], ["<x>"], [3, 4], []],
  }),
  defineCase<{ rows: number[]; flag: boolean }>({
    name: "rows that switch template inside a keyed loop",
    view: (s) =>
      html`<ul>
        ${s.rows.map((n) =>
          keyed(
            n,
            html`<li>
              ${s.flag && n % 2 === 0 ? html`<strong>${n}</strong>` : html`<span>${n}</span>`}
            </li>`,
          ),
        )}
      </ul>`,
    states: [
      { rows: [1, 2, 3, 4], flag: false },
      { rows: [1, 2, 3, 4], flag: true },
      { rows: [4, 3, 2, 1], flag: true },
      { rows: [4, 2], flag: false },
      { rows: [2, 4, 6], flag: true },
    ],
  }),
];

describe("conformance with the phoenix_live_view client", () => {
  for (const c of corpus) {
    it(c.name, () => {
      const trees = c.states.map((s) => c.view(s));
      const payloads = roundTrip(trees);
      // Re-rendering the same state must send nothing.
      for (const state of c.states) {
        assert.equal(diff(c.view(state), c.view(state)).diff, null);
      }
      // And a changed state must send something (the corpus has no no-op transitions except
      // where two consecutive states are equal).
      for (let i = 1; i < c.states.length; i++) {
        const same = JSON.stringify(c.states[i]) === JSON.stringify(c.states[i - 1]);
        assert.equal(payloads[i] === null, same, `step ${i}`);
      }
    });
  }

  it("sends much less than the full render for a one-row change in a long keyed list", () => {
    const many = todos(
      ...Array.from({ length: 200 }, (_, i): [number, string] => [i, `item ${i}`]),
    );
    const view = (items: Todo[]) =>
      html`<ul>
        ${items.map(todoItem)}
      </ul>`;
    const changed = many.map((t) => (t.id === 100 ? { ...t, title: "changed" } : t));
    const [join, update] = roundTrip([view(many), view(changed)]);
    assert.deepEqual(update, { 0: { k: { 100: { 3: "changed" }, kc: 200 } } });
    assert.ok(JSON.stringify(update).length * 50 < JSON.stringify(join).length);
  });
});
