/**
 * What `createApp` gives apps beyond views: `app.render` for pages outside a live view, the
 * `pageShell` option, `app.onClose`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { LiveView, html, type Rendered } from "../../src/index.js";
import { createApp, defaultShell } from "../../src/server/index.js";
import { memoryLogger } from "../live/helpers.js";

class HomeView extends LiveView {
  override render(): Rendered {
    return html`<p>home</p>`;
  }
}

describe("createApp extras", () => {
  const dir = mkdtempSync(join(tmpdir(), "djust-app-"));
  writeFileSync(
    join(dir, "hello.html"),
    '<form method="post">{% csrf_token %}<a href="{% url "home" %}">{{ who }}</a></form>',
  );
  after(() => rmSync(dir, { recursive: true, force: true }));

  function app() {
    const made = createApp({
      secretKey: "extras",
      templateDirs: [dir],
      logger: memoryLogger(),
      pageShell: (parts) => defaultShell(parts).replace("</title>\n", "</title>\n<meta name=x>\n"),
    });
    made.live("/", HomeView, { name: "home" });
    made.hono.get("/hello/", (c) => made.render(c.req.raw, "hello.html", { who: "<Ada>" }));
    made.hono.get("/bad/", (c) =>
      made.render(c.req.raw, "hello.html", { who: "x" }, { status: 400 }),
    );
    made.hono.get("/missing/", (c) => made.render(c.req.raw, "nope.html"));
    return made;
  }

  it("renders a template page with the visitor's CSRF token, starting a session when needed", async () => {
    const served = app();
    const res = await served.fetch(new Request("http://app.test/hello/"));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    const cookies = res.headers.getSetCookie();
    const csrf = cookies
      .find((c) => c.startsWith("csrftoken="))
      ?.split(";")[0]
      ?.slice(10);
    assert.ok(csrf, "a new visitor gets a session and a CSRF cookie");
    const body = await res.text();
    assert.ok(body.includes(`name="csrfmiddlewaretoken" value="${csrf}"`), body);
    assert.ok(body.includes('<a href="/">&lt;Ada&gt;</a>'), body);

    const cookie = cookies.map((c) => c.split(";")[0]).join("; ");
    const again = await served.fetch(
      new Request("http://app.test/hello/", { headers: { cookie } }),
    );
    assert.deepEqual(again.headers.getSetCookie(), [], "a known session is kept");
    assert.ok((await again.text()).includes(`value="${csrf}"`));
  });

  it("answers with the status asked for, and fails on a missing template", async () => {
    const served = app();
    assert.equal((await served.fetch(new Request("http://app.test/bad/"))).status, 400);
    assert.equal((await served.fetch(new Request("http://app.test/missing/"))).status, 500);
  });

  it("renders templates in the app's timeZone and locale, with its catalogs", async () => {
    writeFileSync(
      join(dir, "when.html"),
      '{% load i18n %}{{ d|date:"DATETIME_FORMAT" }}|{% trans "Hello" %}|{% get_current_timezone as tz %}{{ tz }}',
    );
    const d = new Date("2008-01-02T03:04:05Z");
    const page = async (options: Parameters<typeof createApp>[0]) => {
      const made = createApp({
        secretKey: "tz",
        templateDirs: [dir],
        logger: memoryLogger(),
        ...options,
      });
      made.hono.get("/when/", (c) => made.render(c.req.raw, "when.html", { d }));
      return (await made.fetch(new Request("http://app.test/when/"))).text();
    };
    assert.equal(await page({}), "Jan. 2, 2008, 3:04 a.m.|Hello|UTC");
    assert.equal(
      await page({
        timeZone: "Europe/Paris",
        locale: "de",
        localeDirs: [fileURLToPath(new URL("../fixtures/locale/", import.meta.url))],
      }),
      "2. Januar 2008 04:04|Hallo|Europe/Paris",
    );
    assert.throws(
      () => createApp({ secretKey: "tz", timeZone: "Mars/Base" }),
      (e: unknown) =>
        e instanceof RangeError &&
        e.message === 'createApp: timeZone must be an IANA time zone name, got "Mars/Base"',
    );
    assert.throws(
      () => createApp({ secretKey: "tz", locale: "<de>" }),
      (e: unknown) =>
        e instanceof RangeError &&
        e.message === 'createApp: locale must be a language code like "de" or "pt-br", got "<de>"',
    );
  });

  it("refuses a snapshot lifetime that is not a whole number of seconds, and warns of one under two heartbeats", () => {
    for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => createApp({ secretKey: "ttl", stateTtlSeconds: value }),
        (e: unknown) =>
          e instanceof RangeError &&
          e.message === `createApp: stateTtlSeconds must be an integer >= 1, got ${value}`,
      );
    }
    const short = memoryLogger();
    createApp({ secretKey: "ttl", stateTtlSeconds: 59, logger: short });
    assert.deepStrictEqual(
      short.lines.map((l) => [l.level, l.message]),
      [
        [
          "warn",
          "createApp: stateTtlSeconds is 59: the official client sends a heartbeat every 30 s, which keeps an idle open view's snapshot alive only if it lives at least two of them",
        ],
      ],
    );
    const enough = memoryLogger();
    createApp({ secretKey: "ttl", stateTtlSeconds: 60, logger: enough });
    assert.deepStrictEqual(enough.lines, []);
  });

  it("puts live pages in the pageShell", async () => {
    const res = await app().fetch(new Request("http://app.test/"));
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /<\/title>\n<meta name=x>\n/);
    assert.match(page, /<p>home<\/p>/);
  });

  it("runs onClose hooks when the app closes", async () => {
    const served = app();
    const closed: string[] = [];
    served.onClose(() => void closed.push("db"));
    await served.close();
    assert.deepEqual(closed, ["db"]);
  });
});
