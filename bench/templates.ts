/**
 * Template benchmark: full render of one orders table (100 and 1,000 rows) with the djust DTL
 * front end (TemplateLoader + renderToString), nunjucks (autoescape) and liquidjs
 * (outputEscape: "escape"); then the change-tracked re-render + diff when one row of 1,000
 * changes, against a full render. Run: `npx tsx bench/templates.ts`.
 */
import nunjucks from "nunjucks";
import { Liquid } from "liquidjs";
import { diff, renderedToWire } from "../src/render/diff.js";
import { renderToString } from "../src/render/html.js";
import { TemplateLoader } from "../src/template/index.js";
import { measure, report } from "./support.js";

interface Row {
  id: number;
  customer: string;
  email: string;
  total: number;
  status: string;
  paid: boolean;
}

function rows(n: number): Row[] {
  const out: Row[] = [];
  for (let i = 1; i <= n; i++) {
    out.push({
      id: i,
      // Every tenth name needs escaping, so escaping cost is part of the measurement.
      customer: i % 10 === 0 ? `O'Brien & <Sons> #${i}` : `Customer ${i}`,
      email: `user${i}@example.com`,
      total: Math.round(i * 137.5) / 10,
      status: ["pending", "paid", "shipped"][i % 3] as string,
      paid: i % 2 === 0,
    });
  }
  return out;
}

const body = (counter: string, upper: string) => `<table class="orders">
  <thead><tr><th>#</th><th>Customer</th><th>Email</th><th>Total</th><th>Status</th></tr></thead>
  <tbody>
  {% for row in rows %}
    <tr id="order-{{ row.id }}" class="{% if row.paid %}paid{% else %}due{% endif %}">
      <td>{{ ${counter} }}</td><td>{{ row.customer }}</td><td><a href="mailto:{{ row.email }}">{{ row.email }}</a></td>
      <td>{{ row.total }}</td><td>{{ row.status|${upper} }}</td>
    </tr>
  {% endfor %}
  </tbody>
</table>`;

const djustSource = body("forloop.counter", "upper");
const nunjucksSource = body("loop.index", "upper");
const liquidSource = body("forloop.index", " upcase").replace("|", " |");

// The engine comparison renders the same rows again and again; loop memoization would turn that
// into a cache hit, so it is measured with the memo off (a cold render, as for a first page load).
const djust = new TemplateLoader({ dirs: [], loopMemo: false }).fromString(
  djustSource,
  "orders.html",
);
const djustLive = new TemplateLoader({ dirs: [] }).fromString(djustSource, "orders.html");
const env = new nunjucks.Environment(null, { autoescape: true });
const nunjucksTemplate = nunjucks.compile(nunjucksSource, env);
const liquid = new Liquid({ outputEscape: "escape" });
const liquidTemplate = liquid.parse(liquidSource);

// The three engines must produce the same page (modulo the spelling of the escaped quote).
function checkSame(ctx: { rows: Row[] }): void {
  const norm = (s: string) => s.replace(/&#39;|&#x27;/g, "'");
  const a = norm(renderToString(djust.render(ctx)));
  const b = norm(nunjucksTemplate.render(ctx));
  const c = norm(liquid.renderSync(liquidTemplate, ctx) as string);
  if (a !== b || a !== c)
    throw new Error("engines disagree on the output; the comparison would be unfair");
}

const results: string[] = [];
const breakdown: string[] = [];
for (const n of [100, 1000]) {
  const ctx = { rows: rows(n) };
  checkSame(ctx);
  // A fresh array of fresh rows per call would measure allocation; a fresh context object
  // around the same rows is what a view re-render looks like.
  const dj = measure(`djust (${n} rows)`, () => renderToString(djust.render({ rows: ctx.rows })));
  const nj = measure(`nunjucks (${n} rows)`, () => nunjucksTemplate.render({ rows: ctx.rows }));
  const lq = measure(`liquidjs (${n} rows)`, () =>
    liquid.renderSync(liquidTemplate, { rows: ctx.rows }),
  );
  report(`Full render, ${n} rows`, [dj, nj, lq], dj);
  const tree = djust.render({ rows: ctx.rows });
  const treeOnly = measure(`  djust tree only (${n} rows)`, () => djust.render({ rows: ctx.rows }));
  const serialize = measure(`  renderToString only (${n} rows)`, () => renderToString(tree));
  report(`Where the djust time goes, ${n} rows`, [treeOnly, serialize], nj);
  breakdown.push(
    `| ${n} | ${treeOnly.meanUs.toFixed(0)} | ${serialize.meanUs.toFixed(0)} | ${nj.meanUs.toFixed(0)} |`,
  );
  results.push(
    `| ${n} | ${Math.round(dj.opsPerSecond)} | ${Math.round(nj.opsPerSecond)} | ${Math.round(lq.opsPerSecond)} | ` +
      `${(nj.meanUs / dj.meanUs).toFixed(2)}× | ${(lq.meanUs / dj.meanUs).toFixed(2)}× |`,
  );
}

// ---------------------------------------------------------------------------------------------
// One row of 1,000 changes.

const state = { rows: rows(1000) };
const changed = new Set(["rows"]);
let tree = djustLive.render(state);
const fullPayload = JSON.stringify(renderedToWire(tree)).length;
let tick = 0;
const mutateOne = () => {
  // In-place mutation of one row, as a handler doing `this.rows[i].status = ...` would.
  const row = state.rows[(tick * 37) % 1000] as Row;
  row.status = row.status === "refunded" ? "paid" : "refunded";
  tick++;
};

mutateOne();
const one = diff(tree, djustLive.render(state, changed));
tree = one.tree;
const onePayload = one.diff === null ? 0 : JSON.stringify(one.diff).length;
const oneDiffText = JSON.stringify(one.diff);

const full = measure("full render, cold (render + renderToString)", () =>
  renderToString(djust.render({ rows: state.rows })),
);
const update = measure("one row changed: render(changed) + diff", () => {
  mutateOne();
  const r = diff(tree, djustLive.render(state, changed));
  tree = r.tree;
  return r.diff;
});
const updateRenderOnly = measure("one row changed: render(changed) only", () => {
  mutateOne();
  return djustLive.render(state, changed);
});
tree = diff(tree, djustLive.render(state, changed)).tree;
const reloaded = measure("rows reloaded as equal new objects: render(changed) + diff", () => {
  state.rows = state.rows.map((r) => ({ ...r }));
  const r = diff(tree, djustLive.render(state, changed));
  tree = r.tree;
  return r.diff;
});
const everyRow = measure("every row's total changed: render(changed) + diff", () => {
  state.rows = state.rows.map((r) => ({ ...r, total: r.total + 1 }));
  const r = diff(tree, djustLive.render(state, changed));
  tree = r.tree;
  return r.diff;
});
const unrelated = measure("unrelated assign changed: render(changed) + diff", () => {
  const r = diff(tree, djustLive.render(state, new Set(["other"])));
  tree = r.tree;
  return r.diff;
});
report(
  "Change tracking, 1,000 rows",
  [full, update, updateRenderOnly, reloaded, everyRow, unrelated],
  full,
);
console.log(`\n  one-row diff payload: ${onePayload} bytes (${oneDiffText})`);
console.log(`  full render payload (renderedToWire): ${fullPayload} bytes`);
console.log(
  `  one-row update cost: ${((update.meanUs / full.meanUs) * 100).toFixed(1)}% of a full render ` +
    `(template part ${((updateRenderOnly.meanUs / full.meanUs) * 100).toFixed(1)}%, the rest is diff)`,
);

console.log("\nMarkdown rows (full render, renders/s):");
console.log("| rows | djust | nunjucks | liquidjs | djust vs nunjucks | djust vs liquidjs |");
console.log("|---|---|---|---|---|---|");
for (const line of results) console.log(line);
console.log("\nMarkdown rows (µs per render):");
console.log("| rows | djust tree | renderToString | nunjucks |");
console.log("|---|---|---|---|");
for (const line of breakdown) console.log(line);
