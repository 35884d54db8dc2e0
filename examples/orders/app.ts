/**
 * The orders example app: live pages on SQLite, a login form, pub/sub between tabs.
 * `createOrdersApp()` is what `main.ts` serves and what the end-to-end tests drive.
 * @module
 */
import { AvatarView } from "./views/avatar.js";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { User } from "../../src/index.js";
import {
  createApp,
  defaultShell,
  liveSession,
  login,
  logout,
  safeRedirect,
  type DjustApp,
  type Logger,
  type PubSub,
  type StateBackend,
} from "../../src/server/index.js";
import { OrdersDb } from "./db.js";
import { CounterView } from "./views/counter.js";
import { NewOrderView } from "./views/new-order.js";
import { NotificationsView } from "./views/notifications.js";
import { OrderCard } from "./views/order-card.js";
import { OrderView } from "./views/order.js";
import { OrdersView } from "./views/orders.js";
import { SyncView } from "./views/sync.js";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Options of {@link createOrdersApp}. */
export interface OrdersAppOptions {
  /** SQLite file. Default env `DB_PATH`, else `.tmp/orders.sqlite`. */
  readonly dbPath?: string;
  /** Where the avatar page stores images (default `.tmp/avatars`). */
  readonly avatarDir?: string;
  readonly secretKey?: string;
  readonly debug?: boolean;
  readonly logger?: Logger;
  readonly stateBackend?: StateBackend;
  readonly pubsub?: PubSub;
  /** How often an order's page re-reads the order (`sendAfter`). Default 5000 ms. */
  readonly orderRefreshMs?: number;
  /** How long the customer history takes to load (`assignAsync`). Default 300 ms. */
  readonly historyDelayMs?: number;
  /** Presence timeout of the app (`presenceTimeoutMs`). */
  readonly presenceTimeoutMs?: number;
}

/** The app and its database. */
export interface OrdersApp {
  readonly app: DjustApp;
  readonly db: OrdersDb;
}

/** Builds the example app. */
export function createOrdersApp(options: OrdersAppOptions = {}): OrdersApp {
  const db = new OrdersDb(options.dbPath ?? process.env.DB_PATH ?? ".tmp/orders.sqlite");
  const app = createApp({
    ...(options.secretKey && { secretKey: options.secretKey }),
    templateDirs: [here("./templates")],
    debug: options.debug ?? process.env.NODE_ENV !== "production",
    ...(options.logger && { logger: options.logger }),
    ...(options.stateBackend && { stateBackend: options.stateBackend }),
    ...(options.pubsub && { pubsub: options.pubsub }),
    ...(options.presenceTimeoutMs && { presenceTimeoutMs: options.presenceTimeoutMs }),
    pageShell: (parts) =>
      defaultShell(parts).replace(
        "</title>\n",
        `</title>\n<link rel="icon" href="/favicon.svg" type="image/svg+xml">\n<link rel="stylesheet" href="/assets/app.css">\n`,
      ),
    loadUser: (id): User | null => {
      const row = db.user(Number(id));
      return row
        ? ({ id: row.id, username: row.username, permissions: row.permissions } as User)
        : null;
    },
  });
  const services = { db };
  const avatarDir = options.avatarDir ?? ".tmp/avatars";
  const timing = {
    refreshMs: options.orderRefreshMs ?? 5000,
    historyDelayMs: options.historyDelayMs ?? 300,
  };
  app
    .live("/", liveSession(OrdersView, services), { name: "orders" })
    .live("/orders/new/", liveSession(NewOrderView, services), { name: "new_order" })
    .live("/orders/:id/", liveSession(OrderView, { ...services, timing }), { name: "order" })
    .live("/counter/", CounterView, { name: "counter" })
    .live("/sync/", liveSession(SyncView, services), { name: "sync" })
    .live("/avatar/", liveSession(AvatarView, { avatars: { dir: avatarDir } }), {
      name: "avatar",
    });

  // The stored avatars. A name is one the avatar page made (its entry's uuid and extension):
  // nothing else of the directory, and no path, is served.
  app.hono.get("/avatars/:name", async (c) => {
    const match = /^[0-9a-f-]{36}\.(png|jpe?g)$/.exec(c.req.param("name"));
    if (!match) return c.notFound();
    const bytes = await readFile(join(avatarDir, match[0])).catch(() => null);
    if (!bytes) return c.notFound();
    const type = match[1] === "png" ? "image/png" : "image/jpeg";
    return new Response(bytes, { headers: { "content-type": type } });
  });

  // The order page's card, a LiveComponent: {% live_component "order-card" %}.
  app.component(OrderCard);

  // The sticky panel every page's layout places with {% live_render "notifications" %}.
  app.register(NotificationsView);

  const css = readFileSync(here("./app.css"), "utf8");
  app.hono.get("/assets/app.css", () => {
    return new Response(css, {
      headers: { "content-type": "text/css; charset=utf-8", "cache-control": "max-age=300" },
    });
  });

  // The tab icon; /favicon.ico too, which browsers ask for on pages without the link.
  const icon = readFileSync(here("./favicon.svg"), "utf8");
  for (const path of ["/favicon.svg", "/favicon.ico"]) {
    app.hono.get(path, () => {
      return new Response(icon, {
        headers: { "content-type": "image/svg+xml", "cache-control": "max-age=86400" },
      });
    });
  }

  // A plain (dead) HTML login form, CSRF-protected by the app's middleware.
  const loginPage = (
    request: Request,
    status: number,
    values: { error?: string; username?: string; next?: string },
  ) =>
    app.render(
      request,
      "login.html",
      { error: values.error ?? "", username: values.username ?? "", next: values.next ?? "/" },
      { status },
    );
  app.hono.get("/login/", (c) =>
    loginPage(c.req.raw, 200, { next: safeRedirect(c.req.query("next")) }),
  );
  app.hono.post("/login/", async (c) => {
    const body = await c.req.parseBody();
    const username = typeof body.username === "string" ? body.username : "";
    const password = typeof body.password === "string" ? body.password : "";
    const user = db.authenticate(username, password);
    if (!user) {
      return loginPage(c.req.raw, 400, {
        error: "Wrong username or password.",
        username,
        next: safeRedirect(body.next),
      });
    }
    await login(c, { id: user.id, permissions: user.permissions });
    return c.redirect(safeRedirect(body.next), 302);
  });
  app.hono.post("/logout/", async (c) => {
    await logout(c);
    return c.redirect("/", 302);
  });
  app.onClose(() => db.close());
  return { app, db };
}
