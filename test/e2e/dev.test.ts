/**
 * End-to-end: `djust dev` on a temporary copy of a small app, driven in Chromium through the
 * official client. Editing the view's TypeScript file, its template and its stylesheet changes
 * the page without a reload and the counter keeps its value; a template syntax error and a
 * failing handler show an overlay with the file and line, which goes away once the file is
 * fixed. Screenshots go to .tmp/screenshots/.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { browserSkipReason, launchBrowser } from "../support/browser.js";

const skip = browserSkipReason();
const ROOT = resolve(import.meta.dirname, "../..");
const SCREENSHOTS = join(ROOT, ".tmp", "screenshots");
/** Generous: a restart under load loads the app through tsx again. */
const WAIT = { timeout: 90_000 };

const APP = `import { readFileSync } from "node:fs";
import { createApp } from ${JSON.stringify(join(ROOT, "src/server/index.ts"))};
import { CounterView } from "./views.ts";

export const app = createApp({
  secretKey: "djust-dev-test-secret",
  templateDirs: [new URL("./templates", import.meta.url).pathname],
  pageShell: (p) => \`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="csrf-token" content="\${p.csrfToken}"><title>\${p.title}</title>
<link rel="stylesheet" href="/app.css"><script defer src="\${p.clientScript}"></script>
</head><body>\${p.container}</body></html>\`,
});
app.live("/", CounterView);
app.hono.get("/app.css", (c) =>
  c.body(readFileSync(new URL("./public/app.css", import.meta.url), "utf8"), 200, {
    "content-type": "text/css; charset=utf-8",
  }),
);
`;

const VIEWS = `import { LiveView, eventHandler } from ${JSON.stringify(join(ROOT, "src/index.ts"))};

export class CounterView extends LiveView {
  static override templateName = "counter.html";
  count = 0;

  override getContextData() {
    return { label: "Clicks" };
  }

  @eventHandler
  increment() {
    this.count += 1;
  }
}
`;

const TEMPLATE = `<main>
  <h1>Counter</h1>
  <p id="count">{{ label }}: {{ count }}</p>
  <button id="inc" dj-click="increment">+1</button>
</main>
`;

const CSS = "h1 { color: rgb(0, 0, 0); }\n";

interface Dev {
  readonly dir: string;
  readonly url: string;
  readonly process: ChildProcess;
  /** How many restarts with changes djust dev has reported. */
  restarts(): number;
  /** Resolves once djust dev has reported `count` restarts. */
  restarted(count: number): Promise<void>;
}

const RESTARTED = "djust dev: restarted with the changes\n";

/** Starts `djust dev` in `dir` and resolves once it prints its address. */
async function startDev(dir: string): Promise<Dev> {
  const child = spawn(
    process.execPath,
    [join(ROOT, "bin/djust.js"), "dev", "--app", "app.ts", "--port", "0", "--host", "127.0.0.1"],
    {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_ENV: "development" },
    },
  );
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((done, fail) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /at (http:\/\/\S+?)\/? \(/.exec(output);
      if (match) done(match[1] as string);
    });
    child.once("exit", (code) => fail(new Error(`djust dev exited (${code}):\n${output}`)));
  });
  const restarts = () => output.split(RESTARTED).length - 1;
  const restarted = (count: number) =>
    new Promise<void>((done) => {
      const check = () => {
        if (restarts() < count) return;
        child.stdout.off("data", check);
        done();
      };
      child.stdout.on("data", check);
      check();
    });
  return { dir, url, process: child, restarts, restarted };
}

const edit = (dev: Dev, file: string, from: string, to: string) => {
  const path = join(dev.dir, file);
  const text = readFileSync(path, "utf8");
  assert.ok(text.includes(from), `${file} has ${from}`);
  writeFileSync(path, text.replace(from, to));
};

const connected = (page: Page) => page.waitForSelector("[data-phx-main].phx-connected", WAIT);
const countText = (page: Page) => page.textContent("#count");
const waitForText = (page: Page, selector: string, text: string) =>
  page.waitForFunction(
    ([s, t]) => document.querySelector(s as string)?.textContent?.trim() === t,
    [selector, text],
    WAIT,
  );

describe("djust dev", { skip }, () => {
  let dev: Dev;
  let browser: Browser;
  let page: Page;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "djust-dev-"));
    mkdirSync(join(dir, "templates"));
    mkdirSync(join(dir, "public"));
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    writeFileSync(join(dir, "app.ts"), APP);
    writeFileSync(join(dir, "views.ts"), VIEWS);
    writeFileSync(join(dir, "templates/counter.html"), TEMPLATE);
    writeFileSync(join(dir, "public/app.css"), CSS);
    dev = await startDev(dir);
    browser = await launchBrowser();
    page = await browser.newPage();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    if (dev && dev.process.exitCode === null) {
      const exited = new Promise((done) => dev.process.once("exit", done));
      dev.process.kill("SIGTERM");
      await exited;
    }
    if (dev) rmSync(dev.dir, { recursive: true, force: true });
  });

  it("reloads view code, template and stylesheet in place; the counter keeps its value", async () => {
    await page.goto(`${dev.url}/`);
    await connected(page);
    for (let i = 1; i <= 3; i++) {
      await page.click("#inc");
      await waitForText(page, "#count", `Clicks: ${i}`);
    }
    // Gone if the page is loaded again: proves the changes arrive without a reload.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const marker = () => page.evaluate(() => (window as unknown as { marker?: number }).marker);

    // The view's TypeScript: a new label and a handler that counts by ten.
    edit(dev, "views.ts", 'label: "Clicks"', 'label: "Taps"');
    edit(dev, "views.ts", "this.count += 1;", "this.count += 10;");
    await waitForText(page, "#count", "Taps: 3");
    await connected(page);
    await page.click("#inc");
    await waitForText(page, "#count", "Taps: 13");
    assert.equal(await marker(), 42);

    // The template.
    edit(dev, "templates/counter.html", "<h1>Counter</h1>", "<h1>Tally</h1>");
    await waitForText(page, "h1", "Tally");
    await connected(page);
    assert.equal(await countText(page), "Taps: 13");
    assert.equal(await marker(), 42);

    // The stylesheet: swapped in place.
    edit(dev, "public/app.css", "rgb(0, 0, 0)", "rgb(200, 30, 30)");
    await page.waitForFunction(
      () => getComputedStyle(document.querySelector("h1")!).color === "rgb(200, 30, 30)",
      undefined,
      WAIT,
    );
    assert.equal(await countText(page), "Taps: 13");
    assert.equal(await marker(), 42);
    await page.screenshot({ path: join(SCREENSHOTS, "dev-reloaded.png") });
    assert.equal(await page.$("#djust-dev-overlay"), null);

    // Another asset under public/ (client JavaScript): the page is loaded again.
    writeFileSync(join(dev.dir, "public/extra.js"), "console.log('extra');\n");
    await page.waitForFunction(
      () => (window as unknown as { marker?: number }).marker === undefined,
      undefined,
      WAIT,
    );
    await connected(page);
  });

  it("shows a template syntax error with its line, and hides it once fixed", async () => {
    edit(dev, "templates/counter.html", "<h1>Tally</h1>", "<h1>Tally</h1>\n  {% if count %}");
    const overlay = await page.waitForSelector("#djust-dev-overlay", WAIT);
    assert.equal(
      await page.textContent("#djust-dev-overlay .djust-dev-location"),
      "counter.html:3:3",
    );
    assert.match((await overlay.textContent()) ?? "", /Template syntax error/);
    assert.match((await overlay.textContent()) ?? "", /\{% if count %\}/);
    await page.screenshot({ path: join(SCREENSHOTS, "dev-template-error.png") });

    edit(dev, "templates/counter.html", "<h1>Tally</h1>\n  {% if count %}", "<h1>Tally</h1>");
    await page.waitForSelector("#djust-dev-overlay", { ...WAIT, state: "detached" });
    await connected(page);
    await waitForText(page, "h1", "Tally");
  });

  it("shows a failing handler's file and line, and hides it once fixed", async () => {
    const line = VIEWS.split("\n").findIndex((l) => l.includes("this.count += 1;")) + 1;
    const restarts = dev.restarts();
    edit(dev, "views.ts", "this.count += 10;", 'throw new Error("out of range");');
    await dev.restarted(restarts + 1);
    await connected(page);
    // A click the client sent before it noticed the restart is lost: click until one reaches
    // the new handler.
    const overlay = page.locator("#djust-dev-overlay");
    while (!(await overlay.isVisible())) {
      await page.click("#inc").catch(() => undefined);
      await overlay.waitFor({ timeout: 2_000 }).catch(() => undefined);
    }
    assert.equal(await overlay.locator(".djust-dev-location").textContent(), `views.ts:${line}:11`);
    assert.match((await overlay.textContent()) ?? "", /Error in handler increment of CounterView/);
    assert.match((await overlay.textContent()) ?? "", /Error: out of range/);
    await page.screenshot({ path: join(SCREENSHOTS, "dev-handler-error.png") });

    edit(dev, "views.ts", 'throw new Error("out of range");', "this.count += 1;");
    await overlay.waitFor({ ...WAIT, state: "detached" });
  });
});
