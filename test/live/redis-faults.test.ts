/**
 * Redis faults against a real `redis-server` (DESIGN §7): stalled (SIGSTOP), killed and
 * restarted, unreachable at startup. Every operation that needs Redis — page load, WebSocket
 * upgrade and join, event (the connection's rate-limit bucket and the write-through snapshot),
 * API call, broadcast, health — answers within the timeout with `service_unavailable` (never a
 * hang, never `handler_error` or an authentication failure), and everything recovers by itself.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createApp, type AppOptions, type DjustApp, type Logger } from "../../src/server/index.js";
import { MemorySessionStore } from "../../src/auth/session.js";
import { MemoryRateLimitStore } from "../../src/ratelimit/bucket.js";
import { RedisStateBackend } from "../../src/state/backends/redis.js";
import { longPollRequest } from "../support/longpoll-client.js";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import {
  ANSWER_WITHIN_MS,
  apiCall,
  faultsApp,
  timed,
  TIMEOUT_MS,
  UNAVAILABLE,
} from "../support/redis-faults.js";
import { eventError, loadPage, memoryLogger, RawClient, response } from "./helpers.js";
import { CounterView } from "./views.js";

const skip = findRedisServer() ? undefined : REDIS_MISSING;

/** The line that ends an outage of the state store after `failed` failed saves. */
const savedAgain = (failed: number) =>
  `snapshots are saved again after ${failed} failed ${failed === 1 ? "save" : "saves"}; ` +
  "an open view whose save failed is saved with its next change, or at a heartbeat once " +
  "half its snapshot's lifetime has passed";

describe("Redis faults (real redis-server)", { skip }, () => {
  let redis: TestRedis;

  before(async () => {
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
  });

  after(async () => {
    redis?.resume();
    await redis?.stop();
  });

  /** An app with only its snapshots in Redis: events pass their (memory) rate limit and run. */
  function snapshotsInRedis(logger: Logger, options: Partial<AppOptions> = {}): DjustApp {
    return createApp({
      secretKey: "fault-secret",
      logger,
      redis: redis.url,
      redisTimeoutMs: TIMEOUT_MS,
      rateLimitStore: new MemoryRateLimitStore(),
      sessionStore: new MemorySessionStore(),
      ...options,
    });
  }

  it("stalled (SIGSTOP): every operation answers 503 service_unavailable within the timeout, then recovers", async () => {
    const logger = memoryLogger();
    const app = faultsApp(redis.url, logger);
    const server = await app.listen(0, "127.0.0.1");
    const clients: RawClient[] = [];
    try {
      const login = await app.sessions.login({ id: 7 });
      // Before the stall: a joined counter, and a page (no session) to join during it.
      const page = await loadPage(`${server.url}/`);
      assert.equal(page.status, 200);
      const live = await RawClient.connect(server.url, { cookie: page.cookie });
      clients.push(live);
      assert.equal((await live.join(page, server.url)).payload.status, "ok");
      assert.equal(response(await live.event(page, "click", "inc", {})).diff !== undefined, true);
      const later = await loadPage(`${server.url}/`);
      const second = await RawClient.connect(server.url, { cookie: later.cookie });
      clients.push(second);

      redis.pause();
      try {
        // Page load of a signed-in user: the session lives in Redis.
        const pageLoad = await timed(() =>
          fetch(`${server.url}/`, { headers: { cookie: login.cookie } }),
        );
        assert.equal(pageLoad.value.status, 503);
        assert.equal(pageLoad.value.headers.get("retry-after"), "1");
        assert.match(await pageLoad.value.text(), /Service temporarily unavailable/);
        assert.ok(pageLoad.ms < ANSWER_WITHIN_MS, `page load took ${pageLoad.ms} ms`);

        // Join: the snapshot cannot be read; refused, not mounted afresh (that would roll back).
        const join = await timed(() => second.join(later, server.url));
        assert.equal(join.value.payload.status, "error");
        assert.deepEqual(join.value.payload.response, UNAVAILABLE);
        assert.ok(join.ms < ANSWER_WITHIN_MS, `join took ${join.ms} ms`);

        // Event: its connection bucket (and its write-through snapshot) is in Redis.
        const event = await timed(() => live.event(page, "click", "inc", {}));
        assert.equal(event.value.payload.status, "ok");
        assert.deepEqual(eventError(event.value), UNAVAILABLE);
        assert.ok(event.ms < ANSWER_WITHIN_MS, `event took ${event.ms} ms`);

        // API calls: a signed-in one (its session is in Redis: not "Authentication failed"),
        // an anonymous rate-limited one, and one that broadcasts (logged; the call answers).
        for (const [who, name] of [
          [login, "signed in"],
          [null, "rate-limited"],
        ] as const) {
          const api = await timed(() => apiCall(server.url, who, "bump"));
          assert.equal(api.value.status, 503, name);
          assert.equal(api.value.headers.get("retry-after"), "1");
          assert.deepEqual(await api.value.json(), UNAVAILABLE);
          assert.ok(api.ms < ANSWER_WITHIN_MS, `${name} API call took ${api.ms} ms`);
        }
        const broadcast = await timed(() => apiCall(server.url, null, "announce", { text: "hi" }));
        assert.equal(broadcast.value.status, 200);
        assert.ok(broadcast.ms < ANSWER_WITHIN_MS, `broadcast took ${broadcast.ms} ms`);
        assert.ok(
          logger.lines.some((l) => l.message === 'OpenView: broadcast on "room" failed'),
          "the lost broadcast is logged",
        );

        // WebSocket upgrade of a signed-in user: refused with 503 at once.
        const upgrade = await timed(() =>
          RawClient.connect(server.url, { cookie: login.cookie }).then(
            () => "open",
            (error: Error) => error.message,
          ),
        );
        assert.match(upgrade.value, /Unexpected server response: 503/);
        assert.ok(upgrade.ms < ANSWER_WITHIN_MS, `upgrade took ${upgrade.ms} ms`);

        const health = await timed(() => fetch(`${server.url}/djust/health`));
        assert.equal(health.value.status, 503);
        assert.deepEqual(await health.value.json(), {
          status: "unavailable",
          redis: "unavailable",
        });
      } finally {
        redis.resume();
      }

      // One clear line for the outage, with the cause, not "Error".
      const outage = logger.lines.filter(
        (l) => l.level === "error" && l.message.startsWith("djust: Redis"),
      );
      assert.equal(outage.length, 1, JSON.stringify(logger.lines));
      assert.match(
        outage[0]!.message,
        /^djust: Redis \w+ failed: .+; answering 503 until Redis is back$/,
      );

      // Recovery without a restart: the same operations succeed again.
      let health = await fetch(`${server.url}/djust/health`);
      for (let i = 0; i < 50 && health.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        health = await fetch(`${server.url}/djust/health`);
      }
      assert.deepEqual(await health.json(), { status: "ok", redis: "ok" });
      assert.equal(
        (await fetch(`${server.url}/`, { headers: { cookie: login.cookie } })).status,
        200,
      );
      const retried = await second.join(later, server.url);
      assert.equal(retried.payload.status, "ok", JSON.stringify(retried.payload));
      const next = await live.event(page, "click", "inc", {});
      assert.equal(eventError(next), undefined);
      // The event refused during the stall (its bucket could not be read) did not run: 2.
      assert.deepEqual(response(next).diff, { "1": "2", r: { value: 2 } });
      assert.equal((await apiCall(server.url, login, "bump")).status, 200);
      assert.ok(logger.lines.some((l) => l.message === "djust: Redis connection restored"));
    } finally {
      for (const client of clients) client.close();
      await server.close();
    }
  });

  it("killed and restarted: fails fast while down, recovers by itself", async () => {
    const logger = memoryLogger();
    const app = faultsApp(redis.url, logger);
    const server = await app.listen(0, "127.0.0.1");
    try {
      const login = await app.sessions.login({ id: 8 });
      assert.equal(
        (await fetch(`${server.url}/`, { headers: { cookie: login.cookie } })).status,
        200,
      );
      await redis.kill();
      const down = await timed(() =>
        fetch(`${server.url}/`, { headers: { cookie: login.cookie } }),
      );
      assert.equal(down.value.status, 503);
      assert.ok(down.ms < ANSWER_WITHIN_MS, `page load took ${down.ms} ms`);
      assert.equal((await apiCall(server.url, login, "bump")).status, 503);
      await redis.restart();
      // The restarted server is empty (no persistence here): the old session is gone, so the
      // page answers 200 as to a new visitor; what matters is that it answers without a restart.
      let status = 0;
      for (let i = 0; i < 60 && status !== 200; i++) {
        // A new sign-in each time: the restarted Redis holds no sessions.
        const fresh = await app.sessions.login({ id: 8 }).catch(() => login);
        status = (await apiCall(server.url, fresh, "bump")).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 200, "API calls work again");
      const page = await loadPage(`${server.url}/`);
      assert.equal(page.status, 200);
      const client = await RawClient.connect(server.url, { cookie: page.cookie });
      try {
        assert.equal((await client.join(page, server.url)).payload.status, "ok");
        assert.equal(eventError(await client.event(page, "click", "inc", {})), undefined);
      } finally {
        client.close();
      }
      const errors = logger.lines.filter((l) =>
        l.message.startsWith("djust: Redis connection error"),
      );
      assert.equal(errors.length, 1, "one line for the outage");
      assert.ok(logger.lines.some((l) => l.message === "djust: Redis connection restored"));
    } finally {
      await server.close();
    }
  });

  it("unreachable at startup: logs one clear line at listen, answers 503, closes promptly", async () => {
    const dead = await startRedis();
    if ("skip" in dead) throw new Error(dead.skip);
    await dead.kill();
    const logger = memoryLogger();
    const app = faultsApp(dead.url, logger);
    const server = await app.listen(0, "127.0.0.1");
    try {
      for (let i = 0; i < 50 && logger.lines.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(
        logger.lines.map((l) => l.message),
        [
          `djust: Redis connection error: connect ECONNREFUSED 127.0.0.1:${dead.port} (reconnecting)`,
        ],
      );
      const health = await fetch(`${server.url}/djust/health`);
      assert.equal(health.status, 503);
      const login = await app.sessions.login({ id: 9 }).then(
        () => "stored",
        (error: Error) => error.name,
      );
      assert.equal(login, "ServiceUnavailable");
    } finally {
      const closing = await timed(() => server.close());
      assert.ok(closing.ms < ANSWER_WITHIN_MS, `close took ${closing.ms} ms`);
    }
  });

  it("write-through: a snapshot that cannot be stored turns the reply into service_unavailable; the change is stored once Redis is back", async () => {
    const logger = memoryLogger();
    const app = snapshotsInRedis(logger);
    app.live("/", CounterView);
    const server = await app.listen(0, "127.0.0.1");
    const page = await loadPage(`${server.url}/`);
    const client = await RawClient.connect(server.url, { cookie: page.cookie });
    try {
      assert.equal((await client.join(page, server.url)).payload.status, "ok");
      redis.pause();
      let reply;
      try {
        reply = await timed(() => client.event(page, "click", "inc", {}));
      } finally {
        redis.resume();
      }
      assert.ok(reply.ms < ANSWER_WITHIN_MS, `event took ${reply.ms} ms`);
      assert.deepEqual(eventError(reply.value), UNAVAILABLE);
      assert.ok(
        logger.lines.some(
          (l) =>
            l.message ===
            `saving a snapshot of CounterView failed: no answer within ${TIMEOUT_MS} ms; ` +
              "further failures are not logged until a snapshot is saved again",
        ),
        JSON.stringify(logger.lines),
      );
      // The next event stores both changes: another node restores 2.
      assert.equal(eventError(await client.event(page, "click", "inc", {})), undefined);
      assert.ok(
        logger.lines.some((l) => l.message === savedAgain(1)),
        JSON.stringify(logger.lines),
      );
      const backend = new RedisStateBackend({ url: redis.url });
      assert.equal((await backend.get(page.id))?.state.count, 2);
      await backend.close();
    } finally {
      client.close();
      await server.close();
    }
  });

  it("an outage is logged once however many views fail to save, and its end once", async () => {
    const logger = memoryLogger();
    // Heartbeats renew a snapshot written more than 1 s before.
    const app = snapshotsInRedis(logger, { stateTtlSeconds: 2 });
    app.live("/", CounterView);
    const server = await app.listen(0, "127.0.0.1");
    const clients: RawClient[] = [];
    const heartbeats = () =>
      Promise.all(clients.map((c) => c.push("phoenix", "heartbeat", {}, null)));
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const failures = () =>
      logger.lines.filter((l) => l.message.startsWith("saving a snapshot of CounterView failed"));
    try {
      for (let i = 0; i < 3; i++) {
        const page = await loadPage(`${server.url}/`);
        const client = await RawClient.connect(server.url, { cookie: page.cookie });
        clients.push(client);
        assert.equal((await client.join(page, server.url)).payload.status, "ok");
      }
      await sleep(1_100);
      redis.pause();
      try {
        // Two heartbeats of three connections: six renewals, each failing after the timeout.
        for (let round = 0; round < 2; round++) {
          await heartbeats();
          await sleep(TIMEOUT_MS + 300);
        }
      } finally {
        redis.resume();
      }
      assert.deepEqual(
        failures().map((l) => l.message),
        [
          `saving a snapshot of CounterView failed: no answer within ${TIMEOUT_MS} ms; ` +
            "further failures are not logged until a snapshot is saved again",
        ],
      );
      await heartbeats();
      await sleep(300);
      assert.deepEqual(
        logger.lines.filter((l) => l.message.startsWith("snapshots are saved again")),
        [{ level: "info", message: savedAgain(6) }],
      );
      assert.equal(failures().length, 1);
    } finally {
      for (const client of clients) client.close();
      await server.close();
    }
  });

  it("close() with Redis stalled returns within shutdownTimeoutMs", async () => {
    const logger = memoryLogger();
    const app = faultsApp(redis.url, logger, 2000);
    const server = await app.listen(0, "127.0.0.1");
    const page = await loadPage(`${server.url}/`);
    const client = await RawClient.connect(server.url, { cookie: page.cookie });
    try {
      const joined = await client.join(page, server.url);
      assert.equal(joined.payload.status, "ok", JSON.stringify(logger.lines));
      redis.pause();
      const closing = await timed(() => server.close());
      assert.ok(closing.ms < 2000 + ANSWER_WITHIN_MS, `close took ${closing.ms} ms`);
    } finally {
      redis.resume();
      client.close();
    }
  });

  it("long-poll relayed to the session's node while Redis is stalled: 503 with status 500 within the timeout; relayed again once Redis is back", async () => {
    const [owner, other] = await Promise.all(
      [memoryLogger(), memoryLogger()].map((logger) =>
        faultsApp(redis.url, logger).listen(0, "127.0.0.1"),
      ),
    );
    try {
      const page = await loadPage(`${owner!.url}/`);
      const opened = await longPollRequest(`${owner!.url}/djust/live/longpoll?vsn=2.0.0`, {
        method: "GET",
        cookie: page.cookie,
      });
      assert.equal(opened.body.status, 410);
      const at = (token: string) =>
        `${other!.url}/djust/live/longpoll?vsn=2.0.0&token=${encodeURIComponent(token)}`;
      const topic = `lv:${page.id}`;
      const frame = (ref: string, event: string, payload: unknown) =>
        JSON.stringify(["1", ref, topic, event, payload]);
      const click = (ref: string) =>
        frame(ref, "event", { type: "click", event: "inc", value: {} });
      const send = (body: string) =>
        longPollRequest(at(opened.body.token!), { method: "POST", cookie: page.cookie, body });
      const join = frame("1", "phx_join", {
        url: `${owner!.url}/`,
        params: { _csrf_token: page.csrf },
        session: page.token,
      });
      assert.deepEqual((await send(`${join}\n${click("2")}`)).body, { status: 200 });

      redis.pause();
      let stalled;
      try {
        stalled = await timed(() => send(click("3")));
      } finally {
        redis.resume();
      }
      // The client reads the status in the body: 500 makes it reconnect with backoff.
      assert.deepEqual(stalled.value, { status: 503, body: { status: 500, ...UNAVAILABLE } });
      assert.ok(stalled.ms < ANSWER_WITHIN_MS, `the relayed POST took ${stalled.ms} ms`);

      // Redis back: the other node relays again; the refused click never reached the view.
      let health = await fetch(`${other!.url}/djust/health`);
      for (let i = 0; i < 50 && health.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        health = await fetch(`${other!.url}/djust/health`);
      }
      assert.equal(health.status, 200);
      assert.deepEqual((await send(click("4"))).body, { status: 200 });
      const polled = await longPollRequest(at(opened.body.token!), {
        method: "GET",
        cookie: page.cookie,
      });
      const replies = (polled.body.messages ?? []).map((m) => JSON.parse(m) as unknown[]);
      assert.deepEqual(
        replies.map((r) => [r[1], (r[4] as { status: string }).status]),
        [
          ["1", "ok"],
          ["2", "ok"],
          ["4", "ok"],
        ],
      );
      const diffs = replies.map((r) => (r[4] as { response: { diff?: unknown } }).response.diff);
      assert.deepEqual(diffs.slice(1), [
        { "1": "1", r: { value: 1 } },
        { "1": "2", r: { value: 2 } },
      ]);
    } finally {
      await Promise.all([owner!.close(), other!.close()]);
    }
  });
});
