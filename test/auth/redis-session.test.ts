import assert from "node:assert/strict";
import { it } from "node:test";
import { RedisSessionStore } from "../../src/auth/redis-session.js";
import { LiveView, eventHandler } from "../../src/index.js";
import { createApp } from "../../src/server/index.js";
import { describeWithRedis, expectConnections } from "../support/redis.js";

await describeWithRedis("RedisSessionStore (real redis-server)", ({ client, url }) => {
  it("stores, reads, expires and deletes records", async () => {
    const store = new RedisSessionStore({ client, prefix: "t1:" });
    const record = { data: { cart: [1, 2] }, userId: 7, csrfToken: "tok" };
    await store.set("abc", record, 60);
    assert.deepEqual(await store.get("abc"), record);
    const ttl = await client.ttl("t1:abc");
    assert.ok(ttl > 50 && ttl <= 60, String(ttl));
    await store.delete("abc");
    assert.equal(await store.get("abc"), undefined);
    assert.equal(await store.get("missing"), undefined);
  });

  it("takes { url } (its own connection, closed by close()) or { client } (left open)", async () => {
    const byUrl = new RedisSessionStore({ url, prefix: "t4:" });
    const byClient = new RedisSessionStore({ client, prefix: "t4:" });
    const record = { data: {}, userId: null, csrfToken: "tok" };
    await byUrl.set("s", record, 60);
    assert.deepEqual(await byClient.get("s"), record);
    await expectConnections(client, 2);
    await Promise.all([byUrl.close(), byClient.close()]);
    await assert.rejects(byUrl.get("s"), /RedisSessionStore is closed/);
    await assert.rejects(byClient.get("s"), /RedisSessionStore is closed/);
    assert.equal(client.isOpen, true);
    assert.equal(await client.get("t4:s"), JSON.stringify(record));
    await expectConnections(client, 1);
  });

  it("ignores values it did not write", async () => {
    const store = new RedisSessionStore({ client, prefix: "t2:" });
    await client.set("t2:junk", "not json");
    await client.set("t2:shape", JSON.stringify({ userId: { evil: true }, csrfToken: 1 }));
    assert.equal(await store.get("junk"), undefined);
    assert.equal(await store.get("shape"), undefined);
  });

  it("two app nodes sharing Redis accept each other's sessions (no sticky sessions)", async () => {
    class MeView extends LiveView {
      @eventHandler({ exposeApi: true })
      me() {
        return this.user?.id ?? null;
      }
    }
    const node = () =>
      createApp({
        secretKey: "shared-secret",
        sessionStore: new RedisSessionStore({ client, prefix: "t3:" }),
        loadUser: (id) => ({ id: Number(id) }),
      }).register(MeView);
    const a = node();
    const b = node();
    const { cookie, csrfToken } = await a.sessions.login({ id: 42 });
    const res = await b.fetch(
      new Request("http://localhost/djust/api/me/me/", {
        method: "POST",
        headers: { cookie, "x-csrftoken": csrfToken },
      }),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { result: 42, assigns: {} });
  });
});
