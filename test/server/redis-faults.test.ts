/**
 * Redis faults against an app in a child process of its own (test/fixtures/redis-faults-node.ts)
 * and a real `redis-server` (DESIGN §7): the process sees what a production node sees — its
 * sockets to Redis frozen (SIGSTOP) or refused (killed) — and must answer every request within
 * the timeout, never crash, and recover by itself. test/live/redis-faults.test.ts checks the
 * same app in-process, message by message.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import {
  ANSWER_WITHIN_MS,
  apiCall,
  timed,
  UNAVAILABLE,
  type Login,
} from "../support/redis-faults.js";
import { longPollRequest } from "../support/longpoll-client.js";
import { startNode, stopNode, type AppNode } from "../support/nodes.js";
import {
  eventError,
  loadPage,
  RawClient,
  response,
  type Msg,
  type PageInfo,
} from "../live/helpers.js";

const skip = findRedisServer() ? undefined : REDIS_MISSING;
const NODE = resolve(import.meta.dirname, "../fixtures/redis-faults-node.ts");
/** How long Redis stays frozen. */
const STALL_MS = 5000;

/** Signs user `id` in through the node's `POST /login/`. */
async function logIn(base: string, id: number): Promise<Login | number> {
  const res = await fetch(`${base}/login/?id=${id}`, { method: "POST" });
  if (res.status !== 200) return res.status;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  return { cookie, csrfToken };
}

let refs = 0;

/** Pushes a frame and waits for its reply up to {@link ANSWER_WITHIN_MS}. */
function push(client: RawClient, page: PageInfo, event: string, payload: unknown): Promise<Msg> {
  const ref = `fault-${++refs}`;
  const reply = client.next((m) => m.ref === ref && m.event === "phx_reply", ANSWER_WITHIN_MS);
  client.sendRaw(JSON.stringify(["1", ref, `lv:${page.id}`, event, payload]));
  return reply;
}

/** An event and its outcome: ran (`ok`), or refused with exactly {@link UNAVAILABLE}. */
async function liveEvent(
  client: RawClient,
  page: PageInfo,
  event: string,
  value: unknown = {},
): Promise<"ok" | "unavailable"> {
  const reply = await push(client, page, "event", { type: "click", event, value });
  assert.equal(reply.payload.status, "ok", JSON.stringify(reply.payload));
  const error = eventError(reply);
  if (error === undefined) return "ok";
  assert.deepEqual(error, UNAVAILABLE);
  return "unavailable";
}

/** An HTTP answer: 2xx, or 503 with `Retry-After` and (JSON) exactly {@link UNAVAILABLE}. */
async function answered(res: Response, extra: Record<string, unknown> = {}): Promise<string> {
  if (res.status < 300) {
    await res.arrayBuffer();
    return String(res.status);
  }
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "1");
  if (res.headers.get("content-type")?.includes("json")) {
    assert.deepEqual(await res.json(), { ...extra, ...UNAVAILABLE });
  } else {
    assert.match(await res.text(), /Service temporarily unavailable/);
  }
  return "503";
}

/** Joins `page` on `client`: `ok`, or refused with exactly {@link UNAVAILABLE}. */
async function joinOn(client: RawClient, base: string, page: PageInfo): Promise<string> {
  const reply = await push(client, page, "phx_join", {
    url: `${base}/`,
    params: { _csrf_token: page.csrf, _mounts: 0 },
    session: page.token,
    static: null,
  });
  if (reply.payload.status === "ok") return "ok";
  assert.deepEqual(reply.payload.response, UNAVAILABLE);
  return "unavailable";
}

describe("Redis faults with the app in a child process (real redis-server)", { skip }, () => {
  let redis: TestRedis;
  let node: AppNode;
  const clients: RawClient[] = [];

  /** Appended to assertion messages: what the node wrote to stderr. */
  const logs = () => `\n--- node stderr ---\n${node?.stderr || "(empty)"}`;
  const alive = () => node.child.exitCode === null && node.child.signalCode === null;

  before(async () => {
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
    node = await startNode("fault node", NODE, { REDIS_URL: redis.url });
  });

  after(async () => {
    for (const client of clients) client.close();
    redis?.resume();
    await stopNode(node);
    await redis?.stop();
  });

  /**
   * Every operation once, concurrently, each timed: the signed-in page load (session in
   * Redis), an anonymous page load, a join, events (one rate-limited, one broadcasting), the
   * signed-in, anonymous rate-limited and broadcasting API calls, a signed-in long-poll open and
   * the health check. Each either succeeds or answers `service_unavailable`; how is returned.
   */
  async function everyOperation(
    login: Login,
    counter: { client: RawClient; page: PageInfo },
    api: { client: RawClient; page: PageInfo },
    toJoin: PageInfo,
  ): Promise<Record<string, { value: string; ms: number }>> {
    const base = node.url;
    const operations: Record<string, () => Promise<string>> = {
      "signed-in page load": async () =>
        answered(await fetch(`${base}/`, { headers: { cookie: login.cookie } })),
      "anonymous page load": async () => answered(await fetch(`${base}/`)),
      join: async () => {
        const client = await RawClient.connect(base, { cookie: toJoin.cookie });
        clients.push(client);
        return joinOn(client, base, toJoin);
      },
      event: () => liveEvent(counter.client, counter.page, "inc"),
      "@rateLimit event": () => liveEvent(api.client, api.page, "bump"),
      "broadcasting event": () => liveEvent(api.client, api.page, "announce", { text: "hi" }),
      "signed-in API call": async () => answered(await apiCall(base, login, "bump")),
      "@rateLimit API call": async () => answered(await apiCall(base, null, "bump")),
      "broadcasting API call": async () =>
        answered(await apiCall(base, null, "announce", { text: "hi" })),
      "signed-in long-poll open": async () => {
        const { status, body } = await longPollRequest(`${base}/djust/live/longpoll?vsn=2.0.0`, {
          method: "GET",
          cookie: login.cookie,
        });
        if (status === 200) return String(body.status);
        // The status in the body makes the official client reconnect with backoff.
        assert.deepEqual({ status, body }, { status: 503, body: { status: 500, ...UNAVAILABLE } });
        return "503";
      },
      health: async () => {
        const res = await fetch(`${base}/djust/health`);
        return `${res.status} ${JSON.stringify(await res.json())}`;
      },
    };
    const outcomes = await Promise.all(
      Object.entries(operations).map(async ([name, run]) => {
        const outcome = await timed(run).catch((error: Error) => {
          throw new Error(`${name}: ${error.message}${logs()}`, { cause: error });
        });
        assert.ok(outcome.ms < ANSWER_WITHIN_MS, `${name} took ${outcome.ms} ms${logs()}`);
        return [name, { value: outcome.value, ms: Math.round(outcome.ms) }] as const;
      }),
    );
    return Object.fromEntries(outcomes);
  }

  /** A joined counter and a joined `ApiView`, each on a socket of its own. */
  async function joinedViews() {
    const views = [];
    for (const path of ["/", "/api/"]) {
      const page = await loadPage(`${node.url}${path}`);
      assert.equal(page.status, 200, logs());
      const client = await RawClient.connect(node.url, { cookie: page.cookie });
      clients.push(client);
      assert.equal(await joinOn(client, node.url, page), "ok", logs());
      views.push({ client, page });
    }
    return { counter: views[0]!, api: views[1]! };
  }

  it(`stalled (SIGSTOP) for ${STALL_MS / 1000} s: page loads, joins, events, API calls, @rateLimit events and broadcasts answer within the timeout (success or 503 service_unavailable), no crash; then everything works again`, async (t) => {
    const login = await logIn(node.url, 7);
    assert.ok(typeof login === "object", `login: ${String(login)}${logs()}`);
    const { counter, api } = await joinedViews();
    // Pages to join during the stall, one per round (loaded while Redis answers).
    const toJoin: PageInfo[] = [];
    for (let i = 0; i < 8; i++) toJoin.push(await loadPage(`${node.url}/`));

    const rounds: Record<string, { value: string; ms: number }>[] = [];
    redis.pause();
    const stalled = performance.now();
    try {
      while (performance.now() - stalled < STALL_MS && rounds.length < toJoin.length) {
        rounds.push(await everyOperation(login, counter, api, toJoin[rounds.length]!));
      }
    } finally {
      redis.resume();
    }
    const stallMs = Math.round(performance.now() - stalled);
    t.diagnostic(`${rounds.length} rounds in ${stallMs} ms of stall: ${JSON.stringify(rounds)}`);
    assert.ok(alive(), `the node is still running${logs()}`);
    // Whatever needs Redis first was refused: the signed-in page, API calls and health.
    for (const round of rounds) {
      assert.equal(round["signed-in page load"]!.value, "503");
      assert.equal(round["signed-in API call"]!.value, "503");
      assert.equal(round["@rateLimit API call"]!.value, "503");
      assert.equal(round["signed-in long-poll open"]!.value, "503");
      assert.equal(round.health!.value, '503 {"status":"unavailable","redis":"unavailable"}');
      assert.equal(round["@rateLimit event"]!.value, "unavailable");
    }

    // Recovery without a restart.
    let health = await fetch(`${node.url}/djust/health`);
    for (let i = 0; i < 100 && health.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = await fetch(`${node.url}/djust/health`);
    }
    assert.deepEqual(await health.json(), { status: "ok", redis: "ok" }, logs());
    const after = await everyOperation(login, counter, api, await loadPage(`${node.url}/`));
    t.diagnostic(`after the stall: ${JSON.stringify(after)}`);
    for (const [name, { value }] of Object.entries(after)) {
      assert.ok(
        ["200", "ok", "410", '200 {"status":"ok","redis":"ok"}'].includes(value),
        `${name} after the stall: ${value}${logs()}`,
      );
    }
    // The log says what happened, in clear lines: no "Error" alone, nothing unhandled.
    assert.match(node.stderr, /djust: Redis \w+ failed: .+; answering 503 until Redis is back/);
    assert.match(node.stderr, /Redis connection restored/);
    assert.doesNotMatch(node.stderr, /"error":"Error"|Unhandled|uncaught/i, logs());
    assert.ok(alive(), logs());
  });

  it("killed and restarted on the same port: fails fast while down, recovers by itself", async (t) => {
    const login = await logIn(node.url, 8);
    assert.ok(typeof login === "object", `login: ${String(login)}${logs()}`);
    const { counter } = await joinedViews();
    await redis.kill();
    try {
      const down = await timed(() => fetch(`${node.url}/`, { headers: { cookie: login.cookie } }));
      assert.equal(await answered(down.value), "503");
      assert.ok(down.ms < ANSWER_WITHIN_MS, `page load took ${down.ms} ms`);
      assert.equal(await answered(await apiCall(node.url, login, "bump")), "503");
      const event = await timed(() => liveEvent(counter.client, counter.page, "inc"));
      assert.equal(event.value, "unavailable");
      assert.ok(event.ms < ANSWER_WITHIN_MS, `event took ${event.ms} ms`);
    } finally {
      await redis.restart();
    }
    // The restarted Redis is empty (no persistence here): sign in again, then everything works
    // without restarting the node, the socket joined before the outage included.
    const started = performance.now();
    let again = await logIn(node.url, 8);
    for (let i = 0; i < 100 && typeof again !== "object"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await logIn(node.url, 8);
    }
    assert.ok(typeof again === "object", `sign-in after the restart: ${String(again)}${logs()}`);
    t.diagnostic(`signed in again ${Math.round(performance.now() - started)} ms after the restart`);
    assert.equal((await fetch(`${node.url}/`, { headers: { cookie: again.cookie } })).status, 200);
    assert.equal((await apiCall(node.url, again, "bump")).status, 200);
    assert.equal(await liveEvent(counter.client, counter.page, "inc"), "ok", logs());
    const page = await loadPage(`${node.url}/`);
    assert.equal(page.status, 200);
    const client = await RawClient.connect(node.url, { cookie: page.cookie });
    clients.push(client);
    const joined = await client.join(page, node.url);
    assert.equal(joined.payload.status, "ok", logs());
    assert.deepEqual(response(await client.event(page, "click", "inc", {})).diff, {
      "1": "1",
      r: { value: 1 },
    });
    assert.ok(alive(), logs());
  });

  it("SIGTERM while Redis is stalled: the process exits within shutdownTimeoutMs", async () => {
    const page = await loadPage(`${node.url}/`);
    const client = await RawClient.connect(node.url, { cookie: page.cookie });
    clients.push(client);
    assert.equal((await client.join(page, node.url)).payload.status, "ok", logs());
    redis.pause();
    try {
      const exited = new Promise<number | null>((r) => node.child.once("exit", (code) => r(code)));
      const stopping = await timed(() => {
        node.child.kill("SIGTERM");
        return exited;
      });
      assert.equal(stopping.value, 0, logs());
      // shutdownTimeoutMs is 2000 in the node; the rest is slack for a loaded machine.
      assert.ok(stopping.ms < 2000 + ANSWER_WITHIN_MS, `exit took ${stopping.ms} ms`);
    } finally {
      redis.resume();
    }
  });
});
