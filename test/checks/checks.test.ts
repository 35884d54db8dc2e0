// Each check fires on its bad fixture with the exact ID, file and line, and stays silent on the
// fixed one. Fixture projects live in test/fixtures/checks/<name>/ with their own tsconfig.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatText, type CheckResult } from "../../src/checks/index.js";
import { check, fixture, where } from "./helpers.js";

function once(name: string): () => CheckResult {
  let result: CheckResult | undefined;
  return () => (result ??= check(name));
}

describe("seed 000 examples (S3, REST, Redis, DI)", () => {
  const wrong = once("seed-wrong");
  const right = once("seed-right");

  it("flags each service stored in public state (V006 + S001) and the untyped forecast", () => {
    assert.deepEqual(where("seed-wrong", wrong().findings), [
      ["S001", "src/dashboard.ts", 18],
      ["V006", "src/dashboard.ts", 22],
      ["S001", "src/leaderboard.ts", 15],
      ["V006", "src/leaderboard.ts", 15],
      ["S001", "src/s3-browser.ts", 19],
      ["V006", "src/s3-browser.ts", 25],
      ["S002", "src/weather.ts", 16],
      ["S001", "src/weather.ts", 17],
      ["V006", "src/weather.ts", 17],
      ["V008", "src/weather.ts", 20],
    ]);
  });

  it("words V006 like djust and names the type and the fix", () => {
    const v006 = wrong().findings.find((f) => f.id === "V006" && f.file.endsWith("s3-browser.ts"));
    assert.ok(v006);
    assert.equal(v006.severity, "warning");
    assert.equal(v006.view, "S3BrowserView");
    assert.equal(v006.subject, "s3Client");
    assert.match(
      v006.message,
      /S3BrowserView\.s3Client looks like a service instance \(S3Client\) stored in state, in mount\(\)/,
    );
    assert.match(v006.hint, /this\._s3Client or #s3Client/);
    assert.match(v006.hint, /this\._getS3Client\(\)/);
    const s001 = wrong().findings.find((f) => f.id === "S001" && f.file.endsWith("s3-browser.ts"));
    assert.ok(s001);
    assert.equal(s001.severity, "error");
    assert.match(
      s001.message,
      /has type 'S3Client \| null', which is not serializable: it is an instance of class S3Client/,
    );
  });

  it("flags the injected client of the DI example as a service (interface with methods)", () => {
    const v006 = wrong().findings.find((f) => f.id === "V006" && f.view === "DashboardView");
    assert.ok(v006);
    assert.match(v006.message, /\(MetricsClient\)/);
  });

  it("reports V008 as info for the any-typed forecast assigned in mount()", () => {
    const v008 = wrong().findings.find((f) => f.id === "V008");
    assert.ok(v008);
    assert.equal(v008.severity, "info");
    assert.match(
      v008.message,
      /'any' assigned to this\.forecast in mount\(\) is not known to be serializable/,
    );
  });

  it("is silent on the helper-method / private-field versions", () => {
    assert.deepEqual(right().findings, []);
    assert.equal(right().views, 4);
  });
});

describe("state types (S001, S002, S003, V008)", () => {
  const wrong = once("state-wrong");

  it("reports every non-serializable, unprovable or TS-private field at its line", () => {
    assert.deepEqual(where("state-wrong", wrong().findings), [
      ["S001", "src/inherit.ts", 6],
      ["S001", "src/inherit.ts", 12],
      ["S001", "src/inherit.ts", 26], // ListView<Chart>.items
      ["S001", "src/inherit.ts", 26], // ListView<Chart>.selected
      ["S001", "src/inherit.ts", 30], // Error
      ["S001", "src/inherit.ts", 34], // a function next to an unknown: the definite problem wins
      ["S001", "src/state.ts", 25], // Promise
      ["S001", "src/state.ts", 26], // class instance with methods
      ["S001", "src/state.ts", 27], // Map with number keys
      ["S001", "src/state.ts", 28], // WeakMap
      ["S001", "src/state.ts", 29], // symbol
      ["S001", "src/state.ts", 30], // iterator
      ["S001", "src/state.ts", 31], // function nested in an array of objects
      ["S002", "src/state.ts", 32], // unknown
      ["S002", "src/state.ts", 33], // Record<string, any>
      ["S003", "src/state.ts", 34], // private
      ["S003", "src/state.ts", 35], // protected
      ["S002", "src/state.ts", 36], // any
      ["S001", "src/state.ts", 37], // data-only class, not registered
      ["S001", "src/state.ts", 38], // interface with a method
      ["S001", "src/state.ts", 43], // any field assigned a class instance in mount()
      ["V008", "src/state.ts", 43],
      ["V008", "src/state.ts", 44], // unknown assigned in mount()
      ["S001", "src/state.ts", 50], // any field assigned a function in a handler
    ]);
  });

  it("names the culprit inside a nested type", () => {
    const rows = wrong().findings.find((f) => f.subject === "rows");
    assert.ok(rows);
    assert.match(rows.message, /rows\[\]\.fetch is a function/);
    const byId = wrong().findings.find((f) => f.subject === "byId");
    assert.match(byId?.message ?? "", /a Map with non-string keys/);
    const data = wrong().findings.find((f) => f.subject === "data");
    assert.equal(data?.severity, "warning");
    assert.match(data?.message ?? "", /data\[key\] is 'any'/);
  });

  it("checks fields of a generic base view with the subclass's type arguments", () => {
    const inherited = wrong().findings.filter((f) => f.message.includes("inherited from ListView"));
    assert.deepEqual(
      inherited.map((f) => [f.view, f.subject]),
      [
        ["ChartListView", "items"],
        ["ChartListView", "selected"],
      ],
    );
    assert.match(
      inherited[0]?.message ?? "",
      /has type 'Chart\[\]'.*items\[\] is an instance of class Chart/,
    );
  });

  it("explains why TypeScript private fields are state", () => {
    const s003 = wrong().findings.find((f) => f.id === "S003" && f.subject === "secret");
    assert.ok(s003);
    assert.equal(s003.column, 11);
    assert.match(s003.message, /declared 'private' but is public state at runtime/);
    assert.match(s003.hint, /_secret or make it #secret/);
  });

  it("accepts every serializable shape: primitives, Date, Decimal, Set, Map, toJSON, registered classes", () => {
    assert.deepEqual(check("state-right").findings, []);
  });
});

describe("HTTP API checks (A001, A002, A003)", () => {
  it("flags handlers without schema or permission, and duplicate slugs", () => {
    const { findings } = check("api-wrong");
    assert.deepEqual(where("api-wrong", findings), [
      ["A003", "src/views.ts", 6],
      ["A001", "src/views.ts", 12],
      ["A002", "src/views.ts", 12],
      ["A003", "src/views.ts", 27],
      ["A003", "src/views.ts", 32],
      ["A002", "src/views.ts", 37],
      ["A003", "src/views.ts", 40],
    ]);
    const dup = findings.find((f) => f.id === "A003");
    assert.equal(dup?.severity, "error");
    assert.match(
      dup?.message ?? "",
      /API slug 'order' of OrderView is also used by OrderLiveView \(.*views\.ts:27\)/,
    );
  });

  it("is silent with schemas, permissions (handler or view level), apiName and route names", () => {
    assert.deepEqual(check("api-right").findings, []);
  });
});

describe("template checks (T001, T002, T003)", () => {
  it("flags unknown names where they are read, a missing template and a broken one", () => {
    const { findings } = check("templates-wrong");
    assert.deepEqual(where("templates-wrong", findings), [
      ["T002", "src/views.ts", 22],
      ["T003", "templates/broken.html", 2],
      ["T001", "templates/orders.html", 1],
      ["T001", "templates/orders.html", 5],
      ["T001", "templates/orders.html", 7],
      ["T001", "templates/partials/footer.html", 1],
    ]);
    const typo = findings.find((f) => f.subject === "titel");
    assert.equal(typo?.column, 8);
    assert.match(typo?.hint ?? "", /Did you mean 'title'\?/);
  });

  it("knows loop/with/include variables, inherited fields and getContextData() keys", () => {
    assert.deepEqual(check("templates-right").findings, []);
  });
});

describe("djust-ignore and tags", () => {
  it("silences the listed IDs (or, bare, all) on the line and the line above, in code and templates", () => {
    const result = check("ignore");
    assert.deepEqual(where("ignore", result.findings), [
      ["V006", "src/views.ts", 18],
      ["S001", "src/views.ts", 19],
      ["T001", "templates/ignore.html", 3],
    ]);
    assert.equal(result.suppressed, 6);
  });

  it("counts silenced findings in the text summary", () => {
    const result = check("ignore");
    const text = formatText(result.findings, result.suppressed, fixture("ignore"));
    assert.match(text, /^src\/views\.ts:18:3: \(djust\.V006\) IgnoreView\.other looks like/m);
    assert.match(text, /\(1 error, 2 warnings, 0 infos, 6 silenced\)\.\n$/);
  });

  it("reports only the requested checks", () => {
    const result = check("seed-wrong", ["V006", "djust.v008"]);
    assert.deepEqual([...new Set(result.findings.map((f) => f.id))].sort(), ["V006", "V008"]);
  });

  it("rejects an unknown tag", () => {
    assert.throws(() => check("seed-wrong", ["X999"]), /unknown check ID: X999/);
  });
});

describe("binding checks (T004, T005)", () => {
  const wrong = once("bindings-wrong");

  it("flags dj-* bindings naming no handler, in template files, partials, JS commands and html``", () => {
    assert.deepEqual(where("bindings-wrong", wrong().findings), [
      ["T005", "src/views.ts", 10],
      ["T005", "src/views.ts", 16],
      ["T005", "src/views.ts", 21],
      ["T005", "src/views.ts", 34],
      ["T005", "src/views.ts", 39],
      ["T004", "src/views.ts", 45],
      ["T004", "templates/orders.html", 2],
      ["T004", "templates/orders.html", 3],
      ["T004", "templates/orders.html", 4],
      ["T004", "templates/orders.html", 5],
      ["T004", "templates/partials/footer.html", 1],
    ]);
  });

  it("suggests the closest handler name and points at the attribute value", () => {
    const typo = wrong().findings.find((f) => f.subject === "bulkk");
    assert.ok(typo);
    assert.equal(typo.severity, "error");
    assert.equal(typo.column, 19);
    assert.equal(
      typo.message,
      'dj-click="bulkk" names no event handler of OrdersView ' +
        "(handlers: apiOnly, bulk, forgotten, hooked, ship, validate).",
    );
    assert.match(typo.hint, /^Did you mean 'bulk'\? /);
    const html = wrong().findings.find((f) => f.subject === "incremnt");
    assert.equal(html?.view, "CounterView");
    assert.match(html?.hint ?? "", /^Did you mean 'increment'\? /);
    const far = wrong().findings.find((f) => f.subject === "clos");
    assert.match(far?.message ?? "", /^dj-window-keyup="clos" /);
  });

  it("warns about handlers nothing calls, except exposed ones and those a hook pushes", () => {
    const unused = wrong().findings.filter((f) => f.id === "T005");
    assert.deepEqual(
      unused.map((f) => `${f.view}.${f.subject}`),
      [
        "OrdersView.bulk",
        "OrdersView.validate",
        "OrdersView.forgotten",
        "CounterView.increment",
        "CounterView.reset",
      ],
    );
    assert.equal(unused[2]?.severity, "warning");
    assert.equal(
      unused[2]?.message,
      "Handler OrdersView.forgotten() is not called by any dj-* binding of the view's templates " +
        "nor by a hook's pushEvent().",
    );
  });

  it("knows renamed, inherited and hook-called handlers, lv:clear-flash, dj-target and computed bindings", () => {
    assert.deepEqual(check("bindings-right").findings, []);
  });
});

describe("lifecycle (V009)", () => {
  const wrong = once("lifecycle-wrong");
  const right = once("lifecycle-right");

  it("flags each timer, task and presence call in mount(), not one in a nested function", () => {
    assert.deepEqual(where("lifecycle-wrong", wrong().findings), [
      ["V009", "src/clock.ts", 8],
      ["V009", "src/clock.ts", 9],
      ["V009", "src/clock.ts", 10],
    ]);
    const [timer] = wrong().findings;
    assert.ok(timer);
    assert.equal(timer.severity, "warning");
    assert.equal(timer.view, "ClockView");
    assert.equal(timer.subject, "sendAfter");
    assert.equal(
      timer.message,
      "ClockView.mount() calls this.sendAfter(): a page load runs mount without a connection, " +
        "and its join restores the view without running mount again, so this timer only starts " +
        "when the view mounts on its join.",
    );
    assert.equal(
      timer.hint,
      "Call this.sendAfter() in joined(), which runs on every join (restores included).",
    );
  });

  it("is silent on the joined() version and on a class that is not a view", () => {
    assert.deepEqual(right().findings, []);
    assert.equal(right().views, 1);
  });
});
