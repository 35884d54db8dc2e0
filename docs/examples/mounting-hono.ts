// djust inside a Hono app served by @hono/node-server, behind middleware that reads the body.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { counterApp } from "./mounting-app.js";

export function startServer(port = 0) {
  const app = counterApp();
  const site = new Hono();
  const audit: string[] = [];
  site.use("*", async (c, next) => {
    // Reading the body through Hono (c.req.json(), text()…) keeps it for djust.
    if (c.req.header("content-type") === "application/json") {
      audit.push(`${c.req.path} ${JSON.stringify(await c.req.json())}`);
    }
    await next();
  });
  site.get("/health", (c) => c.text("ok"));
  site.route("/", app.hono); // pages, /djust/static/, /djust/api/, long-poll

  const server = serve({ fetch: site.fetch, port });
  // Other listeners may take other upgrade paths: djust leaves them alone.
  server.on("upgrade", app.upgradeHandler);
  return { server, app, audit };
}
