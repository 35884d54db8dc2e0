/**
 * Headless Chromium for end-to-end tests (playwright-core + the system's `/usr/bin/chromium`).
 * Suites ask {@link browserSkipReason} first, so that without a browser they skip with a clear
 * message instead of failing, then call {@link launchBrowser}.
 * @module
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

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
