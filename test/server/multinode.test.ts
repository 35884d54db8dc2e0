/**
 * Two app nodes as two real processes (test/fixtures/multinode-app.ts) configured by nothing but
 * `REDIS_URL` and a shared `DJUST_SECRET_KEY`: that one switch must put sessions, rate limits,
 * view snapshots and pub/sub in Redis, so a browser can move between nodes freely.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient } from "redis";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import { loadPage, RawClient, response } from "../live/helpers.js";
import { startNode, stopNode, type AppNode } from "../support/nodes.js";

const ROOT = resolve(import.meta.dirname, "../..");
const APP = resolve(ROOT, "test/fixtures/multinode-app.ts");

const skip = findRedisServer() ? undefined : REDIS_MISSING;

/** The `name=value` pairs of a response's `Set-Cookie` headers, as a `Cookie` header value. */
function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

describe("two app processes sharing Redis through REDIS_URL alone", { skip }, () => {
  let redis: TestRedis | undefined;
  let node1: AppNode | undefined;
  let node2: AppNode | undefined;

  /** Appended to assertion messages: what the nodes wrote to stderr. */
  const logs = () =>
    [node1, node2]
      .map((n) => (n ? `\n--- ${n.name} stderr ---\n${n.stderr || "(empty)"}` : ""))
      .join("");

  before(async () => {
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
    const env = { REDIS_URL: started.url, DJUST_SECRET_KEY: "multinode-shared-secret" };
    [node1, node2] = await Promise.all([
      startNode("node 1", APP, env),
      startNode("node 2", APP, env),
    ]);
  });

  after(async () => {
    await Promise.all([stopNode(node1), stopNode(node2)]);
    await redis?.stop();
  });

  /** Logs user `id` in on `node` (POST /login/): the session cookie and CSRF token it got. */
  async function logIn(node: AppNode, id: number): Promise<{ cookie: string; csrfToken: string }> {
    const res = await fetch(`${node.url}/login/?id=${id}`, { method: "POST" });
    assert.equal(res.status, 200, `login on ${node.name}${logs()}`);
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const cookie = cookiesOf(res);
    assert.match(cookie, /djust_session=/, `session cookie from ${node.name}`);
    return { cookie, csrfToken };
  }

  function call(
    node: AppNode,
    path: string,
    login: { cookie: string; csrfToken?: string },
  ): Promise<Response> {
    const headers: Record<string, string> = { cookie: login.cookie };
    if (login.csrfToken !== undefined) headers["x-csrftoken"] = login.csrfToken;
    return fetch(`${node.url}/djust/api/${path}`, { method: "POST", headers });
  }

  it("(a) a login made on node 1 (session cookie + CSRF) is valid on node 2", async () => {
    const login = await logIn(node1!, 7);
    const res = await call(node2!, "who-am-i/me/", login);
    assert.equal(res.status, 200, `API call on node 2 with node 1's session${logs()}`);
    assert.deepEqual(await res.json(), { result: 7, assigns: {} });
    // The CSRF token is checked there too, not just the cookie.
    const refused = await call(node2!, "who-am-i/me/", { cookie: login.cookie });
    assert.equal(refused.status, 403, logs());
    assert.equal(((await refused.json()) as { error: string }).error, "csrf_failed");
  });

  it("(b) a page rendered on node 1 joins on node 2 with its state, mount not run again", async () => {
    const page = await loadPage(`${node1!.url}/`);
    assert.equal(page.status, 200, `GET / on node 1${logs()}`);
    const onNode2 = await RawClient.connect(node2!.url, { cookie: page.cookie });
    try {
      const reply = await onNode2.join(page, node2!.url);
      assert.equal(reply.payload.status, "ok", `join on node 2: ${JSON.stringify(reply)}${logs()}`);
      const rendered = response(reply).rendered as Record<string, unknown>;
      assert.equal(rendered["0"], "0", JSON.stringify(rendered));
      // The dead render's snapshot was restored: node 2 did not mount it.
      assert.equal(rendered["1"], String(node1!.pid), JSON.stringify(rendered));
    } finally {
      onNode2.close();
    }
  });

  it("(b) state changed by events on node 1 is there when the browser rejoins on node 2", async () => {
    const page = await loadPage(`${node1!.url}/`);
    const onNode1 = await RawClient.connect(node1!.url, { cookie: page.cookie });
    const joined = await onNode1.join(page, node1!.url);
    assert.equal(joined.payload.status, "ok", `join on node 1${logs()}`);
    for (let i = 0; i < 2; i++) {
      const reply = await onNode1.event(page, "click", "inc", {});
      assert.equal(reply.payload.status, "ok", JSON.stringify(reply));
    }
    onNode1.close();
    await onNode1.closed();

    // Node 1 saves the snapshot when the socket closes: wait until Redis has it. (Joining node 2
    // earlier would restore the dead render's snapshot and save that back on leaving.)
    const probe = createClient({ url: redis!.url });
    await probe.connect();
    let saved: unknown;
    try {
      for (let i = 0; i < 100; i++) {
        // One hash per view, one field per top-level state field.
        const text = await probe.hGet(`djust:view:${page.id}`, "s:count");
        saved = text === null ? null : JSON.parse(text);
        if (saved === 2) break;
        await new Promise((r) => setTimeout(r, 30));
      }
    } finally {
      await probe.close();
    }
    assert.equal(saved, 2, `node 1's snapshot in Redis${logs()}`);

    const onNode2 = await RawClient.connect(node2!.url, { cookie: page.cookie });
    let rendered: Record<string, unknown>;
    try {
      const reply = await onNode2.join(page, node2!.url);
      assert.equal(reply.payload.status, "ok", `join on node 2: ${JSON.stringify(reply)}${logs()}`);
      rendered = response(reply).rendered as Record<string, unknown>;
    } finally {
      onNode2.close();
    }
    assert.equal(rendered["0"], "2", `count after two clicks on node 1${logs()}`);
    assert.equal(rendered["1"], String(node1!.pid), "mounted once, on node 1");
  });

  it("(c) a caller's burst spent on node 1 is not refilled on node 2", async () => {
    const login = await logIn(node1!, 8);
    const started = Date.now();
    for (let i = 0; i < 3; i++) {
      const res = await call(node1!, "limited/hit/", login);
      assert.equal(res.status, 200, `call ${i + 1} of the burst on node 1${logs()}`);
    }
    const refused = await call(node2!, "limited/hit/", login);
    const elapsedSeconds = (Date.now() - started) / 1000;
    assert.equal(refused.status, 429, `node 2 after node 1 spent the burst${logs()}`);
    const body = (await refused.json()) as { error: string };
    assert.equal(body.error, "rate_limited");
    // One token comes back after 1000 s minus the time since the first call spent it.
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(
      Number.isInteger(retryAfter) &&
        retryAfter <= 1000 &&
        retryAfter >= Math.ceil(1000 - elapsedSeconds),
      `Retry-After ${refused.headers.get("retry-after")} after ${elapsedSeconds} s`,
    );
  });
});
