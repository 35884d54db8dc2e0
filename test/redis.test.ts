/**
 * RedisConnection (src/redis.ts), the one way every Redis adapter connects, against a real
 * redis-server: URL vs client, connect once on first use, the error listener, owned vs
 * borrowed close.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { it } from "node:test";
import { createClient } from "redis";
import { RedisConnection } from "../src/redis.js";
import { CapturingLogger } from "./support/logger.js";
import { describeWithRedis } from "./support/redis.js";

/** Polls `read` until it returns `expected` (Redis sees a closed socket a moment later). */
async function eventually<T>(read: () => Promise<T>, expected: T, what: string): Promise<void> {
  let value = await read();
  for (let i = 0; i < 100 && value !== expected; i++) {
    await new Promise((r) => setTimeout(r, 20));
    value = await read();
  }
  assert.equal(value, expected, what);
}

/** A loopback port nothing listens on. */
function deadPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

await describeWithRedis("RedisConnection (real redis-server)", ({ client: probe, url }) => {
  /** Connections the server has open, the probe's own included. */
  const connections = async () =>
    String(await probe.sendCommand(["CLIENT", "LIST"]))
      .trim()
      .split("\n").length;

  it("from { url }: connects on first use, once, and close() closes what it opened", async () => {
    const logger = new CapturingLogger();
    const redis = new RedisConnection({ url, logger }, "Store");
    assert.equal(redis.current, undefined);
    assert.equal(await connections(), 1, "nothing opened before first use");
    const [a, b] = await Promise.all([redis.client(), redis.client()]);
    assert.equal(a, b, "one client");
    assert.equal(redis.current, a);
    assert.equal(await a.ping(), "PONG");
    assert.equal(await connections(), 2, "one connection");
    assert.equal(redis.owned, true);
    assert.equal(a.listenerCount("error"), 1);
    await redis.close();
    assert.equal(a.isOpen, false);
    assert.equal(redis.current, undefined);
    await eventually(connections, 1, "the connection is gone");
    await assert.rejects(redis.client(), { message: "Store is closed" });
    await redis.close(); // twice is fine
    assert.deepEqual(logger.lines, []);
  });

  it("from a connected client: uses it as is and leaves it open on close()", async () => {
    const client = createClient({ url });
    client.on("error", () => undefined);
    await client.connect();
    try {
      const redis = new RedisConnection({ client }, "Store");
      assert.equal(client.listenerCount("error"), 2, "its own error listener");
      assert.equal(await redis.client(), client);
      assert.equal(redis.owned, false);
      await redis.close();
      assert.equal(client.isOpen, true);
      assert.equal(client.listenerCount("error"), 1, "its listener removed");
      assert.equal(await client.ping(), "PONG");
      await assert.rejects(redis.client(), /Store is closed/);
    } finally {
      await client.close();
    }
  });

  it("from a client not yet connected: connects it, and so closes it", async () => {
    const client = createClient({ url });
    const redis = new RedisConnection({ client }, "Store");
    assert.equal(redis.owned, false, "not opened yet");
    assert.equal(client.isOpen, false, "not connected before first use");
    assert.equal(await (await redis.client()).ping(), "PONG");
    assert.equal(redis.owned, true);
    await redis.close();
    assert.equal(client.isOpen, false);
  });

  it("a connection borrowing another shares its client and never closes it", async () => {
    const lender = new RedisConnection({ url }, "App");
    const borrower = new RedisConnection({ client: lender }, "Store");
    const client = await borrower.client();
    assert.equal(client, await lender.client());
    assert.equal(client.listenerCount("error"), 1, "the lender's listener only");
    assert.equal(borrower.owned, false);
    await borrower.close();
    assert.equal(client.isOpen, true);
    await assert.rejects(borrower.client(), /Store is closed/);
    assert.equal(await (await lender.client()).ping(), "PONG");
    await lender.close();
    assert.equal(client.isOpen, false);
  });

  it("refuses url and client together", () => {
    assert.throws(() => new RedisConnection({ url, client: createClient({ url }) }, "Store"), {
      name: "TypeError",
      message: "Store: pass either url or client, not both",
    });
  });

  it("an 'error' event is logged, not thrown (without a listener it would crash Node)", () => {
    const bare = createClient({ url });
    assert.throws(() => bare.emit("error", new Error("boom")), /boom/);
    const logger = new CapturingLogger();
    const client = createClient({ url });
    new RedisConnection({ client, logger }, "Store");
    assert.equal(client.emit("error", new Error("boom")), true);
    assert.equal(client.emit("error", new Error("again")), true);
    assert.deepEqual(logger.lines, [
      {
        level: "error",
        message: "Store: Redis connection error: boom (reconnecting)",
        meta: { error: "boom" },
      },
    ]);
  });

  it("a dropped connection logs one line, reconnects by itself and logs its return", async () => {
    const logger = new CapturingLogger();
    const redis = new RedisConnection({ url, logger }, "Store");
    const client = await redis.client();
    await client.set("k", "v");
    const id = await client.clientId();
    await probe.sendCommand(["CLIENT", "KILL", "ID", String(id)]);
    for (let i = 0; i < 100 && logger.lines.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(
      logger.lines.map((l) => [l.level, l.message]),
      [
        ["error", "Store: Redis connection error: Socket closed unexpectedly (reconnecting)"],
        ["info", "Store: Redis connection restored"],
      ],
    );
    assert.equal(await client.get("k"), "v");
    assert.notEqual(await client.clientId(), id, "a new connection");
    await redis.close();
  });

  it("with Redis unreachable: one log line however many retries, and close() does not hang", async () => {
    const logger = new CapturingLogger();
    const client = createClient({ url: `redis://127.0.0.1:${await deadPort()}` });
    let errors = 0;
    client.on("error", () => errors++);
    const redis = new RedisConnection({ client, logger }, "Store");
    const connecting = redis.client();
    // node-redis retries with a growing delay; let it fail several times.
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(errors >= 2, `${errors} errors`);
    assert.equal(logger.lines.length, 1, JSON.stringify(logger.lines));
    assert.match(
      logger.lines[0]!.message,
      /^Store: Redis connection error: .*ECONNREFUSED.*\(reconnecting\)$/,
    );
    const started = Date.now();
    await redis.close();
    assert.ok(Date.now() - started < 1500, `close took ${Date.now() - started} ms`);
    await assert.rejects(connecting);
    await assert.rejects(redis.client(), /Store is closed/);
  });
});
