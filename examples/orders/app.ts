/**
 * The orders example app: live pages on SQLite, a login form, pub/sub between tabs.
 * `createOrdersApp()` is what `main.ts` serves and what the end-to-end tests drive.
 * @module
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getCookie } from "../../src/auth/cookies.js";
import { login, logout, sessionCookies } from "../../src/auth/http.js";
import { SESSION_COOKIE } from "../../src/auth/session.js";
import type { User } from "../../src/auth/user.js";
import { liveTransportOf } from "../../src/server/live.js";
import { defaultShell } from "../../src/live/page.js";
import type { Logger } from "../../src/logger.js";
import type { PubSub } from "../../src/pubsub/types.js";
import { renderToString } from "../../src/render/html.js";
import { createApp, liveSession, type DjustApp } from "../../src/server/index.js";
import type { StateBackend } from "../../src/state/backends/types.js";
import { TemplateLoader } from "../../src/template/loader.js";
import { OrdersDb } from "./db.js";
import { CounterView } from "./views/counter.js";
import { NewOrderView } from "./views/new-order.js";
import { OrdersView } from "./views/orders.js";
import { SyncView } from "./views/sync.js";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Options of {@link createOrdersApp}. */
export interface OrdersAppOptions {
  /** SQLite file. Default env `DB_PATH`, else `.tmp/orders.sqlite`. */
  readonly dbPath?: string;
  readonly secretKey?: string;
  readonly debug?: boolean;
  readonly logger?: Logger;
  readonly stateBackend?: StateBackend;
  readonly pubsub?: PubSub;
}

/** The app and its database. */
export interface OrdersApp {
  readonly app: DjustApp;
  readonly db: OrdersDb;
}

function safeNext(next: unknown): string {
  // Only same-site paths: `//evil.example` or `https://…` would be an open redirect.
  return typeof next === "string" && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

/** Builds the example app. */
export function createOrdersApp(options: OrdersAppOptions = {}): OrdersApp {
  const db = new OrdersDb(options.dbPath ?? process.env.DB_PATH ?? ".tmp/orders.sqlite");
  const app = createApp({
    secretKey: options.secretKey ?? process.env.DJUST_SECRET_KEY ?? "orders-example-dev-key",
    templateDirs: [here("./templates")],
    debug: options.debug ?? process.env.NODE_ENV !== "production",
    ...(options.logger && { logger: options.logger }),
    ...(options.stateBackend && { stateBackend: options.stateBackend }),
    ...(options.pubsub && { pubsub: options.pubsub }),
    loadUser: (id): User | null => {
      const row = db.user(Number(id));
      return row
        ? ({ id: row.id, username: row.username, permissions: row.permissions } as User)
        : null;
    },
  });
  const services = { db };
  app
    .live("/", liveSession(OrdersView, services), { name: "orders" })
    .live("/orders/new/", liveSession(NewOrderView, services), { name: "new_order" })
    .live("/counter/", CounterView, { name: "counter" })
    .live("/sync/", liveSession(SyncView, services), { name: "sync" });

  const css = readFileSync(here("./app.css"), "utf8");
  app.hono.get("/assets/app.css", () => {
    return new Response(css, {
      headers: { "content-type": "text/css; charset=utf-8", "cache-control": "max-age=300" },
    });
  });
  liveTransportOf(app.context).setPageShell((parts) =>
    defaultShell(parts).replace(
      "</title>\n",
      `</title>\n<link rel="stylesheet" href="/assets/app.css">\n`,
    ),
  );

  // A plain (dead) HTML login form, CSRF-protected by the app's middleware.
  const pages = new TemplateLoader({ dirs: [here("./templates")] });
  const loginPage = async (
    request: Request,
    status: number,
    values: { error?: string; username?: string; next?: string },
  ) => {
    const sessions = app.context.sessions;
    let session = await sessions.load(getCookie(request, SESSION_COOKIE));
    const headers = new Headers({ "content-type": "text/html; charset=utf-8" });
    if (!session) {
      session = await sessions.create(null);
      const secure = new URL(request.url).protocol === "https:";
      for (const cookie of sessionCookies(sessions, session, secure)) {
        headers.append("set-cookie", cookie);
      }
    }
    const html = renderToString(
      pages.get("login.html").render({
        csrf_token: session.record.csrfToken,
        error: values.error ?? "",
        username: values.username ?? "",
        next: values.next ?? "/",
      }),
    );
    return new Response(html, { status, headers });
  };
  app.hono.get("/login/", (c) =>
    loginPage(c.req.raw, 200, { next: safeNext(c.req.query("next")) }),
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
        next: safeNext(body.next),
      });
    }
    await login(c, { id: user.id, permissions: user.permissions });
    return c.redirect(safeNext(body.next), 302);
  });
  app.hono.post("/logout/", async (c) => {
    await logout(c);
    return c.redirect("/", 302);
  });
  app.context.onClose.push(() => db.close());
  return { app, db };
}
