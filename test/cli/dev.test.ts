/**
 * `djust dev` without a browser: usage errors, the dev script and event stream on the dev
 * server only (an app started any other way has none of it and keeps error text to itself),
 * template and load errors reported on the stream. The browser side is test/e2e/dev.test.ts.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { createApp, type RunningServer } from "../../src/server/index.js";
import { LiveView } from "../../src/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "bin/djust.js");

const BROKEN_TEMPLATE = "<main>\n  {% if count %}\n</main>\n";

function appSource(templateDir: string): string {
  return `import { createApp } from ${JSON.stringify(join(ROOT, "src/server/index.ts"))};
import { LiveView } from ${JSON.stringify(join(ROOT, "src/index.ts"))};

class FineView extends LiveView {
  static override templateName = "fine.html";
  count = 1;
}
class BrokenView extends LiveView {
  static override templateName = "broken.html";
  count = 1;
}
class FailingView extends LiveView {
  static override templateName = "fine.html";
  override mount() {
    throw new RangeError("no such order");
  }
}
export const app = createApp({ secretKey: "djust-dev-cli-test", templateDirs: [${JSON.stringify(templateDir)}] });
app.live("/", FineView);
app.live("/broken/", BrokenView);
app.live("/failing/", FailingView);
`;
}

/** Reads server-sent events from `url` until `until` accepts one; resolves to that one. */
async function nextEvent(
  url: string,
  until: (event: string, data: string) => boolean,
): Promise<{ event: string; data: string }> {
  const res = await fetch(url);
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended: ${buffer}`);
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined && until(event, data)) return { event, data };
      }
    }
  } finally {
    await reader.cancel();
  }
}

/** Starts `djust dev` in `dir`; resolves to its URL. */
async function startDev(dir: string, app: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [CLI, "dev", "--app", app, "--port", "0", "--host", "127.0.0.1"],
    {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((done, fail) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /at (http:\/\/\S+?)\/? \(/.exec(output);
      if (match) done(match[1] as string);
    });
    child.once("exit", (code) => fail(new Error(`djust dev exited (${code}):\n${output}`)));
  });
  return { url, child };
}

async function stopDev(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once("exit", done));
  child.kill("SIGTERM");
  await exited;
}

describe("djust dev: usage", () => {
  const dev = (args: string[]) =>
    spawnSync(process.execPath, [CLI, "dev", ...args], { cwd: ROOT, encoding: "utf8" });

  it("bad arguments exit 2 with the reason; a missing app exits 1", () => {
    const port = dev(["--port", "70000"]);
    assert.equal(port.status, 2);
    assert.match(
      port.stderr,
      /^djust dev: --port needs an integer from 0 to 65535, got "70000"\n\nUsage: djust dev/,
    );
    const unknown = dev(["--watch"]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^djust dev: unknown argument "--watch"/);
    const missing = dev(["--app", "no-such-app.ts"]);
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, "djust dev: no-such-app.ts does not exist\n");
  });
});

describe("djust dev: the dev server", () => {
  let dir: string;
  let dev: { url: string; child: ChildProcess };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "djust-dev-cli-"));
    mkdirSync(join(dir, "templates"));
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    writeFileSync(join(dir, "templates/fine.html"), "<main><p>Fine {{ count }}</p></main>\n");
    writeFileSync(join(dir, "templates/broken.html"), BROKEN_TEMPLATE);
    writeFileSync(join(dir, "app.ts"), appSource(join(dir, "templates")));
    writeFileSync(join(dir, "bad.ts"), "export const app = ;\n");
    dev = await startDev(dir, "app.ts");
  });

  after(async () => {
    if (dev) await stopDev(dev.child);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("adds its script to the app's pages and serves it", async () => {
    const page = await fetch(`${dev.url}/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<p>Fine 1<\/p>/);
    assert.match(html, /<script defer src="\/djust\/dev\/client\.js"><\/script><\/head>/);
    const script = await fetch(`${dev.url}/djust/dev/client.js`);
    assert.equal(script.status, 200);
    assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.match(await script.text(), /new EventSource\("\/djust\/dev\/events"\)/);
    assert.equal((await fetch(`${dev.url}/djust/dev/other`)).status, 404);
  });

  it("reports a template syntax error on the event stream, not in the page", async () => {
    const reported = nextEvent(`${dev.url}/djust/dev/events`, (event) => event === "overlay");
    const page = await fetch(`${dev.url}/broken/`);
    assert.equal(page.status, 500);
    const html = await page.text();
    assert.doesNotMatch(html, /unclosed/, "the page keeps hiding the error (debug is off)");
    assert.match(html, /\/djust\/dev\/client\.js/);
    const { data } = await reported;
    const error = JSON.parse(data);
    assert.equal(error.title, "Template syntax error");
    assert.equal(error.file, "broken.html");
    assert.equal(error.line, 2);
    assert.equal(error.column, 3);
    assert.match(error.message, /^broken\.html:2:3: unclosed tag 'if'/);
  });

  it("reports a failing mount with the file and line of the throw", async () => {
    // The stream starts with the error shown now (the previous test's): wait for this one.
    const reported = nextEvent(
      `${dev.url}/djust/dev/events`,
      (event, data) => event === "overlay" && !data.includes("Template syntax error"),
    );
    const page = await fetch(`${dev.url}/failing/`);
    assert.equal(page.status, 500);
    assert.doesNotMatch(await page.text(), /no such order/);
    const error = JSON.parse((await reported).data);
    const line =
      appSource("")
        .split("\n")
        .findIndex((l) => l.includes("throw new RangeError")) + 1;
    assert.equal(error.title, "Error mounting FailingView");
    assert.equal(error.message, "RangeError: no such order");
    assert.equal(`${error.file}:${error.line}:${error.column}`, `app.ts:${line}:11`);
    assert.match(error.stack, /^RangeError: no such order\n/);
  });

  it("an app that cannot be loaded: the overlay names the file and line", async () => {
    const broken = await startDev(dir, "bad.ts");
    try {
      const page = await fetch(`${broken.url}/`);
      assert.equal(page.status, 503);
      assert.match(await page.text(), /\/djust\/dev\/client\.js/);
      const { data } = await nextEvent(`${broken.url}/djust/dev/events`, (e) => e === "overlay");
      const error = JSON.parse(data);
      assert.equal(error.title, "Cannot load bad.ts");
      assert.match(error.message, /bad\.ts:1:\d+: ERROR: Unexpected ";"/);
    } finally {
      await stopDev(broken.child);
    }
  });
});

describe("an app not started by djust dev", () => {
  let server: RunningServer;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "djust-prod-"));
    writeFileSync(join(dir, "broken.html"), BROKEN_TEMPLATE);
    writeFileSync(join(dir, "fine.html"), "<main><p>Fine</p></main>\n");
    class BrokenView extends LiveView {
      static override templateName = "broken.html";
    }
    class FineView extends LiveView {
      static override templateName = "fine.html";
    }
    const app = createApp({ secretKey: "djust-prod-test", templateDirs: [dir] });
    app.live("/", FineView);
    app.live("/broken/", BrokenView);
    server = await app.listen(0, "127.0.0.1");
    app.onClose(() => rmSync(dir, { recursive: true, force: true }));
  });

  after(() => server?.close());

  it("has no dev script, dev endpoints or error text", async () => {
    const fine = await fetch(`${server.url}/`);
    assert.equal(fine.status, 200);
    const text = await fine.text();
    assert.match(text, /<p>Fine<\/p>/);
    assert.doesNotMatch(text, /djust\/dev|EventSource/);
    const page = await fetch(`${server.url}/broken/`);
    assert.equal(page.status, 500);
    const html = await page.text();
    assert.doesNotMatch(html, /djust\/dev|EventSource|unclosed/);
    for (const path of ["/djust/dev/client.js", "/djust/dev/events"]) {
      assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
    }
  });
});
