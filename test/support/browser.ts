/**
 * Headless Chromium for end-to-end tests (playwright-core + the system's `/usr/bin/chromium`).
 * Suites ask {@link browserSkipReason} first, so that without a browser they skip with a clear
 * message instead of failing, then call {@link launchBrowser}.
 * @module
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import type { DjustApp, Logger, RunningServer } from "../../src/server/index.js";

/** Where the Debian `chromium` package installs the browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Why e2e tests are skipped on this machine, or `undefined` when a browser is available. */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return `no Chromium at ${CHROMIUM_PATH} (install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH)`;
}

/** Launches headless Chromium. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Records every value the page's `<progress>` elements take in `window.__progress` (an init
 * script: `page.addInitScript(recordProgress)`), so a test can tell progress was shown between
 * 0 and 100 however fast the upload went.
 */
export function recordProgress(): void {
  const w = window as unknown as { __progress: number[] };
  w.__progress = [];
  new MutationObserver((records) => {
    for (const r of records) {
      const el = r.target as Element;
      if (el.tagName === "PROGRESS") w.__progress.push(Number(el.getAttribute("value")));
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["value"] });
}

/**
 * Runs `disconnect` (e.g. the server closing every live socket) and resolves once the page's
 * main view has lost its connection. The page watches its own class changes from before the
 * call, so a rejoin faster than a poll of the selector is not missed; waiting for the view to be
 * connected again is the caller's next step.
 */
export async function disconnected(page: Page, disconnect: () => Promise<unknown>): Promise<void> {
  await page.evaluate(() => {
    const main = document.querySelector("[data-phx-main]");
    if (!main) throw new Error("the page has no main live view");
    const flag = window as unknown as { djustConnectionLost?: boolean };
    flag.djustConnectionLost = false;
    new MutationObserver((_records, observer) => {
      if (main.classList.contains("phx-connected")) return;
      flag.djustConnectionLost = true;
      observer.disconnect();
    }).observe(main, { attributes: true, attributeFilter: ["class"] });
  });
  await disconnect();
  await page.waitForFunction(
    () => (window as unknown as { djustConnectionLost?: boolean }).djustConnectionLost === true,
  );
}

/** A logger for browser suites: only errors are printed (they explain a failing page). */
export const errorsOnly: Logger = {
  info() {},
  warn() {},
  error: (message, meta) => console.error(message, meta),
};

/**
 * For one `describe` block: `app` listening on loopback and a Chromium, started before its tests
 * and closed after them.
 */
export function servedInChromium(app: DjustApp): {
  readonly url: string;
  readonly browser: Browser;
} {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  before(async () => {
    server = await app.listen(0, "127.0.0.1");
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    get url() {
      if (!server) throw new Error("servedInChromium: the app is not listening yet");
      return server.url;
    },
    get browser() {
      if (!browser) throw new Error("servedInChromium: Chromium is not running yet");
      return browser;
    },
  };
}

/**
 * Saves what `page` looks like as `<name>.png` in the directory `SCREENSHOTS` names, when it is
 * set (`SCREENSHOTS=/tmp/dir` on a test run); `fullPage` for the whole page, not the viewport.
 */
export async function shoot(
  page: Page,
  name: string,
  options: { readonly fullPage?: boolean } = {},
): Promise<void> {
  const dir = process.env.SCREENSHOTS;
  if (dir) await page.screenshot({ path: join(dir, `${name}.png`), ...options });
}

/** Waits until `check` holds (polled every 20 ms, for up to 10 s), else fails naming `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`timed out waiting until ${what}`);
}
