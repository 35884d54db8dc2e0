/**
 * The page GET of a view whose `mount` or render throws: a `DjustError` of a client's kind
 * (`NotFound`, `ValidationError`, `PermissionDenied`) answers its status with its message, which
 * is written for users, and logs nothing; anything else answers 500, logged, with its text only
 * in debug.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  html,
  LiveView,
  NotFound,
  ValidationError,
  type Params,
  type Rendered,
} from "../../src/index.js";
import { createApp } from "../../src/server/index.js";
import { memoryLogger } from "./helpers.js";

class OrderView extends LiveView {
  id = 0;
  override mount(_request: unknown, params: Params) {
    const id = Number(params.id);
    if (!Number.isInteger(id)) throw new ValidationError("An order number is a whole number.");
    if (id !== 1) throw new NotFound(`There is no order #${id}.`);
    this.id = id;
  }
  override render(): Rendered {
    return html`<p>#${this.id}</p>`;
  }
}

/** Finds out in its render that there is nothing to show. */
class GoneView extends LiveView {
  override render(): Rendered {
    throw new NotFound("This page was removed.");
  }
}

class CrashView extends LiveView {
  override mount() {
    throw new Error("database is down at /srv/app/db.ts:12");
  }
  override render(): Rendered {
    return html`<p></p>`;
  }
}

function app(debug = false) {
  const logger = memoryLogger();
  const app = createApp({ secretKey: "s", logger, debug });
  app.live("/orders/:id/", OrderView);
  app.live("/gone/", GoneView);
  app.live("/crash/", CrashView);
  const get = async (path: string) => {
    const res = await app.fetch(new Request(`http://localhost${path}`));
    return { status: res.status, body: await res.text() };
  };
  return { get, logger };
}

describe("the page of a view that throws", () => {
  it("answers NotFound from mount with 404 and its message, logging nothing", async () => {
    const { get, logger } = app();
    const { status, body } = await get("/orders/9999/");
    assert.equal(status, 404);
    assert.match(body, /<title>404 Not found<\/title>/);
    assert.match(body, /<h1>Not found<\/h1><pre>There is no order #9999\.<\/pre>/);
    assert.deepEqual(logger.lines, []);
  });

  it("answers a ValidationError from mount with 400 and its message", async () => {
    const { get, logger } = app();
    const { status, body } = await get("/orders/abc/");
    assert.equal(status, 400);
    assert.match(body, /<h1>Bad request<\/h1><pre>An order number is a whole number\.<\/pre>/);
    assert.deepEqual(logger.lines, []);
  });

  it("answers NotFound from the render with 404", async () => {
    const { get, logger } = app();
    const { status, body } = await get("/gone/");
    assert.equal(status, 404);
    assert.match(body, /<pre>This page was removed\.<\/pre>/);
    assert.deepEqual(logger.lines, []);
  });

  it("answers any other error with 500, logged, its text shown only in debug", async () => {
    const { get, logger } = app();
    const { status, body } = await get("/crash/");
    assert.equal(status, 500);
    assert.match(body, /<h1>Server error<\/h1>/);
    assert.doesNotMatch(body, /database is down/);
    assert.deepEqual(
      logger.lines.map((l) => [l.level, l.message]),
      [["error", "dead render of CrashView failed"]],
    );
    const debug = await app(true).get("/crash/");
    assert.equal(debug.status, 500);
    assert.match(debug.body, /database is down/);
  });

  it("renders the order that exists", async () => {
    const { get } = app();
    const { status, body } = await get("/orders/1/");
    assert.equal(status, 200);
    assert.match(body, /<p>#1<\/p>/);
  });
});
