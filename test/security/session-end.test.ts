/**
 * The end of a session ends the live connections that joined with it (Phoenix's
 * `live_socket_id` disconnect): after a logout from another request — another tab of the same
 * browser — a socket that joined as the user is closed (4401 "session ended"), on WebSocket and
 * long-poll, on whichever node it lives, and whatever reconnects with that cookie is anonymous.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { User } from "../../src/auth/user.js";
import { MemorySessionStore, type SessionStore } from "../../src/auth/session.js";
import { MemoryPubSub } from "../../src/pubsub/memory.js";
import type { PubSub } from "../../src/pubsub/types.js";
import { CLOSE_SESSION_ENDED } from "../../src/live/protocol.js";
import {
  createApp,
  csrfExempt,
  login,
  logout,
  type AppOptions,
  type DjustApp,
  type RunningServer,
} from "../../src/server/index.js";
import { liveTransportOf } from "../../src/server/live.js";
import { eventError, loadPage, memoryLogger, RawClient, response } from "../live/helpers.js";
import { RefundView } from "../live/views.js";
import { LongPollClient } from "../support/longpoll-client.js";
import { findRedisServer, REDIS_MISSING, startRedis } from "../support/redis.js";

const users = new Map<number, User>([
  [9, { id: 9, permissions: ["orders.refund"] }],
  [5, { id: 5, permissions: ["orders.refund"] }],
]);

/** The refusal of a permission-guarded event for an anonymous caller. */
const ANONYMOUS_REFUSAL = {
  error: "unauthenticated",
  message: "Authentication credentials were not provided or are invalid.",
};

/** A running node and its app. */
interface Node {
  readonly app: DjustApp;
  readonly server: RunningServer;
  readonly url: string;
}

/** One node: `/refund/` (a permission-guarded event) and the app's own login and logout. */
async function startNode(options: Partial<AppOptions> = {}): Promise<Node> {
  const app = createApp({
    secretKey: "session-end",
    logger: memoryLogger(),
    loadUser: (id) => users.get(Number(id)) ?? null,
    ...options,
  });
  app.live("/refund/", RefundView);
  // As a login form would, on a request of its own (exempt only to keep the test short).
  app.hono.post(
    "/login/",
    csrfExempt(async (c) => c.json(await login(c, users.get(Number(c.req.query("id")))!))),
  );
  app.hono.post("/logout/", async (c) => c.json(await logout(c)));
  const server = await app.listen(0, "127.0.0.1");
  return { app, server, url: server.url };
}

/** The `name=value` pairs of a response's `Set-Cookie` headers, as a `Cookie` header value. */
function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

/** Logs user `id` in on `base` (from `cookie`'s session, if any): the browser's cookies. */
async function logIn(base: string, id: number, cookie = ""): Promise<string> {
  const res = await fetch(`${base}/login/?id=${id}`, { method: "POST", headers: { cookie } });
  assert.equal(res.status, 200);
  return cookiesOf(res);
}

/** Logs out from another tab of the same browser: its cookies and CSRF token. */
async function logOut(base: string, cookie: string): Promise<void> {
  const csrf = /csrftoken=([^;]+)/.exec(cookie)?.[1] ?? "";
  const res = await fetch(`${base}/logout/`, {
    method: "POST",
    headers: { cookie, "x-csrftoken": decodeURIComponent(csrf), origin: base },
  });
  assert.equal(res.status, 200, await res.clone().text());
}

/** Resolves with the socket's close code and reason, or rejects after `ms`. */
function closeOf(client: RawClient, ms = 3000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the socket is still open after ${ms} ms`)),
      ms,
    );
    client.ws.once("close", (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
  });
}

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * What a browser whose session ended finds on reconnecting with the cookie it had: the old
 * page's view is not restored (`stale`, so the client loads the page again), and the page
 * loaded again is anonymous — its permission-guarded event is refused.
 */
async function expectAnonymousRejoin(base: string, cookie: string, oldPage: PageLike) {
  const client = await RawClient.connect(base, { cookie });
  try {
    const rejoin = await client.join(oldPage, base, { url: `${base}/refund/` });
    assert.equal(rejoin.payload.status, "error");
    assert.deepEqual(response(rejoin), {
      reason: "stale",
      error: "unauthenticated",
      message: "The session changed.",
    });
    const page = await loadPage(`${base}/refund/`, cookie);
    assert.equal(page.status, 200);
    const joined = await client.join(page, base, { url: `${base}/refund/` });
    assert.equal(joined.payload.status, "ok", JSON.stringify(joined.payload));
    const refused = await client.event(page, "click", "refund", {});
    assert.equal(refused.payload.status, "ok");
    assert.deepEqual(eventError(refused), ANONYMOUS_REFUSAL);
    assert.doesNotMatch(JSON.stringify(response(refused)), /refunded/);
  } finally {
    client.close();
  }
}

type PageLike = Awaited<ReturnType<typeof loadPage>>;

/** A page of `/refund/` loaded by a logged-in browser and joined on a WebSocket. */
async function joinedAs(base: string, cookie: string) {
  const page = await loadPage(`${base}/refund/`, cookie);
  const client = await RawClient.connect(base, { cookie: page.cookie });
  const reply = await client.join(page, base, { url: `${base}/refund/` });
  assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
  return { page, client };
}

describe("a session's end disconnects its live connections", () => {
  let node: Node;
  let base: string;

  before(async () => {
    node = await startNode();
    base = node.url;
  });
  after(() => node.server.close());

  it("WebSocket: a logout from another tab closes the socket (4401), and the rejoin is anonymous", async () => {
    const cookie = await logIn(base, 9);
    const { page, client } = await joinedAs(base, cookie);
    const allowed = await client.event(page, "click", "refund", {});
    assert.equal(eventError(allowed), undefined, "the user may refund while logged in");
    const closed = closeOf(client);
    await logOut(base, cookie);
    assert.deepEqual(await closed, { code: CLOSE_SESSION_ENDED, reason: "session ended" });
    await expectAnonymousRejoin(base, cookie, page);
  });

  it("WebSocket: logging in as another user (session rotation) closes the sockets of the old session only", async () => {
    const alice = await logIn(base, 9);
    const other = await logIn(base, 9);
    const { client } = await joinedAs(base, alice);
    const { client: bystander } = await joinedAs(base, other);
    const closed = closeOf(client);
    // The same browser logs in as user 5: its session (user 9's) is rotated away.
    await logIn(base, 5, alice);
    assert.equal((await closed).code, CLOSE_SESSION_ENDED);
    const beat = await bystander.push("phoenix", "heartbeat", {}, null);
    assert.equal(beat.payload.status, "ok", "another session's socket stays open");
    bystander.close();
  });

  it("a closed connection leaves nothing behind in the node's session index", async () => {
    // A node of its own: the other tests' sockets close at their own pace.
    const own = await startNode();
    try {
      const connections = liveTransportOf(own.app.context).host.sessionConnections;
      const sessions = () => connections.size;
      const { client } = await joinedAs(own.url, await logIn(own.url, 9));
      assert.equal(sessions(), 1);
      client.close();
      await client.closed();
      for (let i = 0; i < 50 && sessions() !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(sessions(), 0);
    } finally {
      await own.server.close();
    }
  });

  it("long-poll: a logout ends the session at once (410 to the waiting poll), and the rejoin is anonymous", async () => {
    const cookie = await logIn(base, 9);
    const page = await loadPage(`${base}/refund/`, cookie);
    const poller = new LongPollClient([base], page.cookie);
    await poller.open();
    try {
      const joined = await poller.join({ ...page }, base);
      assert.equal(joined.payload.status, "ok", JSON.stringify(joined.payload));
      await logOut(base, cookie);
      // The poll waiting on the server (10 s window) is answered as soon as the session ends.
      assert.deepEqual(await within(poller.whenEnded(), 3000, "long-poll end"), { kind: "gone" });
    } finally {
      poller.stop();
    }
    const again = new LongPollClient([base], page.cookie);
    await again.open();
    try {
      const rejoin = await again.push(`lv:${page.id}`, "phx_join", {
        url: `${base}/refund/`,
        params: { _csrf_token: page.csrf, _mounts: 0 },
        session: page.token,
        static: null,
      });
      assert.equal(response(rejoin).message, "The session changed.");
      const fresh = await loadPage(`${base}/refund/`, page.cookie);
      const rejoined = await again.push(
        `lv:${fresh.id}`,
        "phx_join",
        {
          url: `${base}/refund/`,
          params: { _csrf_token: fresh.csrf, _mounts: 0 },
          session: fresh.token,
          static: null,
        },
        "2",
      );
      assert.equal(rejoined.payload.status, "ok", JSON.stringify(rejoined.payload));
      const refused = await again.push(
        `lv:${fresh.id}`,
        "event",
        { type: "click", event: "refund", value: {} },
        "2",
      );
      assert.deepEqual(eventError(refused), ANONYMOUS_REFUSAL);
    } finally {
      again.stop();
    }
  });
});

/** Two nodes with shared sessions and pub/sub: a logout on node 1 reaches node 2's sockets. */
function twoNodes(
  name: string,
  skip: string | undefined,
  shared: () => Promise<{ options: Partial<AppOptions>; stop?: () => Promise<void> }>,
): void {
  describe(name, { skip }, () => {
    let node1: Node;
    let node2: Node;
    let stop: (() => Promise<void>) | undefined;

    before(async () => {
      const made = await shared();
      stop = made.stop;
      [node1, node2] = await Promise.all([startNode(made.options), startNode(made.options)]);
    });
    after(async () => {
      await Promise.all([node1?.server.close(), node2?.server.close()]);
      await stop?.();
    });

    it("a logout on node 1 closes the socket on node 2, whose rejoin is anonymous", async () => {
      const cookie = await logIn(node1.url, 9);
      const { page, client } = await joinedAs(node2.url, cookie);
      const closed = closeOf(client);
      await logOut(node1.url, cookie);
      assert.deepEqual(await closed, { code: CLOSE_SESSION_ENDED, reason: "session ended" });
      await expectAnonymousRejoin(node2.url, cookie, page);
    });
  });
}

twoNodes("two nodes sharing a MemoryPubSub and a session store", undefined, () => {
  const pubsub: PubSub = new MemoryPubSub();
  const sessionStore: SessionStore = new MemorySessionStore();
  return Promise.resolve({ options: { pubsub, sessionStore } });
});

twoNodes(
  "two nodes sharing a real Redis (redis-server spawned here)",
  findRedisServer() ? undefined : REDIS_MISSING,
  async () => {
    const redis = await startRedis();
    if ("skip" in redis) throw new Error(redis.skip);
    return { options: { redis: redis.url }, stop: () => redis.stop() };
  },
);
