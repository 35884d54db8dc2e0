/**
 * Headless Chromium for end-to-end tests (playwright-core + the system's `/usr/bin/chromium`).
 * Suites ask {@link browserSkipReason} first, so that without a browser they skip with a clear
 * message instead of failing, then call {@link launchBrowser}.
 * @module
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

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
