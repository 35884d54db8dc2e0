/**
 * The orders example app served on a free port with headless Chromium beside it, for the
 * end-to-end suites: call {@link ordersInBrowser} inside a `describe`, it registers the
 * `before`/`after` hooks and hands back what the tests use.
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  createOrdersApp,
  type OrdersApp,
  type OrdersAppOptions,
} from "../../examples/orders/app.js";
import type { Logger } from "../../src/logger.js";
import type { RunningServer } from "../../src/server/index.js";
import { launchBrowser } from "./browser.js";

/** Errors reach the test output; the app's warnings do not. */
const quiet: Logger = { info() {}, warn() {}, error: (m, meta) => console.error(m, meta) };

/** A running orders app and a browser. */
export interface OrdersInBrowser {
  readonly orders: OrdersApp;
  readonly server: RunningServer;
  /** A page in a fresh browser context (its own cookies), with `init` scripts run first. */
  newPage(...init: (() => void)[]): Promise<Page>;
}

/** Waits until the page's live view has joined. */
export async function connected(page: Page): Promise<void> {
  await page.waitForSelector("[data-phx-main].phx-connected", { timeout: 10_000 });
}

/**
 * Starts the app (with `options` beside the test database and logger) and the browser before
 * the suite and closes both after it.
 */
export function ordersInBrowser(options: OrdersAppOptions = {}): OrdersInBrowser {
  let dir = "";
  let orders: OrdersApp | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "djust-e2e-"));
    orders = createOrdersApp({ ...options, dbPath: join(dir, "orders.sqlite"), logger: quiet });
    server = await orders.app.listen(0, "127.0.0.1");
    browser = await launchBrowser();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started (use it inside a test)`);
    return value;
  };
  return {
    get orders() {
      return started(orders, "the orders app");
    },
    get server() {
      return started(server, "the server");
    },
    async newPage(...init) {
      const context = await started(browser, "the browser").newContext();
      contexts.push(context);
      for (const script of init) await context.addInitScript(script);
      const page = await context.newPage();
      page.on("pageerror", (error) => console.error("pageerror:", error));
      return page;
    },
  };
}

/**
 * Sends event `event` with `value` from the page through the official client, as a button
 * bound to it would (`liveSocket.execJS` with a `push` command): for events whose button the
 * page does not show to this user, to prove the server refuses them on its own.
 */
export async function pushEvent(
  page: Page,
  event: string,
  value: Record<string, string>,
): Promise<void> {
  await page.evaluate(
    ([name, values]) => {
      const { liveSocket } = window as unknown as {
        liveSocket: { execJS(el: Element, js: string, type?: string): void };
      };
      const main = document.querySelector("[data-phx-main]")!;
      liveSocket.execJS(main, JSON.stringify([["push", { event: name, value: values }]]), "click");
    },
    [event, value] as const,
  );
}
