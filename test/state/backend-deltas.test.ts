/**
 * Incremental snapshot writes against both state backends (memory, and a real `redis-server`
 * when one is installed): deltas appended after a field's whole encoding are applied on read,
 * a field stored whole again drops its deltas, and a delta that does not apply makes the record
 * unreadable rather than wrong.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { brotliCompressSync } from "node:zlib";
import { createClient } from "redis";
import { MemorySessionStore } from "../../src/auth/session.js";
import { answerStore, storesOverIpc, type RunnerMessage } from "../../src/cli/dev-ipc.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import { RedisStateBackend } from "../../src/state/backends/redis.js";
import type { StateBackend, StoredPatch, StoredView } from "../../src/state/backends/types.js";
import type { DeltaOp } from "../../src/state/delta.js";
import { findRedisServer, REDIS_MISSING, startRedis, type TestRedis } from "../support/redis.js";
import { storedView } from "../support/stored-view.js";

const record = (state: StoredView["state"], url = "/a"): StoredView => storedView(state, { url });

function patch(
  url: string,
  parts: {
    fields?: Record<string, unknown>;
    deltas?: Record<string, DeltaOp[]>;
    removed?: string[];
  },
): StoredPatch {
  const text = (o: Record<string, unknown> = {}) =>
    new Map(Object.entries(o).map(([k, v]) => [k, JSON.stringify(v)]));
  return {
    record: record({}, url),
    fields: text(parts.fields),
    deltas: text(parts.deltas),
    removed: parts.removed ?? [],
  };
}

function cases(make: () => StateBackend) {
  it("applies deltas in order on read; storing a field whole drops its deltas", async () => {
    const backend = make();
    const rows = [
      { id: 1, qty: 0 },
      { id: 2, qty: 0 },
    ];
    await backend.set("k", record({ rows, n: 1 }), 60);
    assert.equal(
      await backend.patch!("k", patch("/b", { deltas: { rows: [["s", [1], "qty", 5]] } }), 60),
      true,
    );
    assert.equal(
      await backend.patch!(
        "k",
        patch("/c", {
          deltas: {
            rows: [
              ["l", [], 3],
              ["s", [], 2, { id: 3, qty: 1 }],
            ],
          },
        }),
        60,
      ),
      true,
    );
    assert.deepEqual(await backend.get("k"), {
      ...record(
        {
          rows: [
            { id: 1, qty: 0 },
            { id: 2, qty: 5 },
            { id: 3, qty: 1 },
          ],
          n: 1,
        },
        "/c",
      ),
    });
    await backend.patch!("k", patch("/d", { fields: { rows: [{ id: 9 }] }, removed: ["n"] }), 60);
    await backend.patch!("k", patch("/d", { deltas: { rows: [["s", [0], "id", 10]] } }), 60);
    assert.deepEqual(await backend.get("k"), record({ rows: [{ id: 10 }] }, "/d"));
    await backend.close?.();
  });

  it("a long field (kept compressed by the memory backend) comes back exactly, deltas included", async () => {
    const backend = make();
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: i, name: `Kundin ${i} · ü€😀` }));
    assert.ok(JSON.stringify(rows).length > 10_000);
    await backend.set("long", record({ rows, n: 1 }), 60);
    assert.deepEqual(await backend.get("long"), record({ rows, n: 1 }));
    await backend.patch!("long", patch("/b", { deltas: { rows: [["s", [7], "name", "ß"]] } }), 60);
    rows[7] = { id: 7, name: "ß" };
    assert.deepEqual(await backend.get("long"), record({ rows, n: 1 }, "/b"));
    const more = [...rows, { id: 500, name: "x".repeat(2000) }];
    await backend.patch!("long", patch("/c", { fields: { rows: more } }), 60);
    assert.deepEqual(await backend.get("long"), record({ rows: more, n: 1 }, "/c"));
    // Texts of several of the memory backend's 32,768-character pieces, with surrogate pairs
    // across the pieces' ends (the JSON text's opening quote puts a pair's first half last)
    // and, shifted by one character, not across them.
    for (const text of ["😀".repeat(50_000), `a${"😀€".repeat(30_000)}`]) {
      await backend.set("pieces", record({ text, n: 2 }), 60);
      assert.deepEqual(await backend.get("pieces"), record({ text, n: 2 }));
    }
    await backend.close?.();
  });

  it("edits of a map's list of entries (set, delete, add) come back as the map", async () => {
    const backend = make();
    const byId = {
      $type: "Map",
      value: [
        ["a", { n: 1 }],
        ["b", { n: 2 }],
        ["c", { n: 3 }],
      ],
    };
    await backend.set("m", record({ byId }), 60);
    const edits: DeltaOp[] = [
      ["p", [[]], 0, 1, []],
      ["p", [[]], 2, 0, [["d", { n: 4 }]]],
      ["s", [[]], 0, ["b", { n: 5 }]],
    ];
    assert.equal(await backend.patch!("m", patch("/b", { deltas: { byId: edits } }), 60), true);
    assert.deepEqual(
      await backend.get("m"),
      record(
        {
          byId: {
            $type: "Map",
            value: [
              ["b", { n: 5 }],
              ["c", { n: 3 }],
              ["d", { n: 4 }],
            ],
          },
        },
        "/b",
      ),
    );
    await backend.close?.();
  });

  it("refuses a delta for a field it does not hold, and writes nothing", async () => {
    const backend = make();
    await backend.set("k2", record({ n: 1 }), 60);
    assert.equal(
      await backend.patch!("k2", patch("/x", { deltas: { rows: [["d", [], 0]] } }), 60),
      false,
    );
    assert.equal(await backend.patch!("none", patch("/x", { fields: { n: 2 } }), 60), false);
    assert.deepEqual(await backend.get("k2"), record({ n: 1 }));
    assert.equal(await backend.get("none"), null);
    await backend.close?.();
  });

  it("a stored delta that does not apply makes the record unreadable", async () => {
    const backend = make();
    await backend.set("k3", record({ rows: [] }), 60);
    await backend.patch!("k3", patch("/x", { deltas: { rows: [["s", [4], "qty", 1]] } }), 60);
    assert.equal(await backend.get("k3"), null);
    await backend.close?.();
  });

  it("touch starts a record's lifetime again without rewriting it; false for none", async () => {
    const backend = make();
    await backend.set("short", record({ n: 1 }), 1);
    await backend.set("gone", record({ n: 2 }), 1);
    assert.equal(await backend.touch!("short", 60), true);
    assert.equal(await backend.touch!("never", 60), false);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    // Written with a 1 s lifetime: only the touched record is still there, as it was.
    assert.deepEqual(await backend.get("short"), record({ n: 1 }));
    assert.equal(await backend.get("gone"), null);
    assert.equal(await backend.touch!("gone", 60), false);
    await backend.close?.();
  });
}

describe("memory backend deltas", () => cases(() => new MemoryStateBackend()));

/**
 * `djust dev`'s runner asks the parent process for its stores over the IPC channel: the same
 * conformance, through a channel that copies each message as the fork's "advanced"
 * serialization does (maps included).
 */
function overIpc(stateBackend: StateBackend = new MemoryStateBackend()): StateBackend {
  const parent = { stateBackend, sessionStore: new MemorySessionStore() };
  const listeners: ((message: unknown) => void)[] = [];
  const channel = {
    send(message: unknown): boolean {
      void answerStore(
        parent,
        structuredClone(message) as Extract<RunnerMessage, { kind: "store" }>,
      ).then((reply) => {
        for (const listener of listeners) listener(structuredClone(reply));
      });
      return true;
    },
    on(_event: "message", listener: (message: unknown) => void): void {
      listeners.push(listener);
    },
  };
  return storesOverIpc(channel).stateBackend;
}

describe("the dev server's state store over IPC, deltas", () => {
  cases(() => overIpc());

  it("a failure of the parent's store rejects the runner's call with its message", async () => {
    const failing = new MemoryStateBackend();
    failing.patch = () => Promise.reject(new Error("disk full"));
    const backend = overIpc(failing);
    await backend.set("k", record({ n: 1 }), 60);
    await assert.rejects(backend.patch!("k", patch("/b", { fields: { n: 2 } }), 60), {
      message: "djust dev: the dev server's store failed: disk full",
    });
    // The channel still answers, and nothing was written.
    assert.deepEqual(await backend.get("k"), record({ n: 1 }));
  });
});

const skip = findRedisServer() ? undefined : REDIS_MISSING;
describe("Redis backend deltas", { skip }, () => {
  let redis: TestRedis | undefined;
  before(async () => {
    const started = await startRedis();
    if ("skip" in started) throw new Error(started.skip);
    redis = started;
  });
  after(() => redis?.stop());
  cases(() => new RedisStateBackend({ url: redis!.url, prefix: "deltas:" }));
  describe("with compress", () => {
    cases(() => new RedisStateBackend({ url: redis!.url, prefix: "deltas3:", compress: true }));
  });

  it("with compress, keeps fields of 1 KiB and more compressed, which any backend reads", async () => {
    const backend = new RedisStateBackend({ url: redis!.url, prefix: "z:", compress: true });
    const plain = new RedisStateBackend({ url: redis!.url, prefix: "z:" });
    const probe = createClient({ url: redis!.url });
    await probe.connect();
    try {
      const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `Customer ${i}` }));
      const json = JSON.stringify(rows);
      await backend.set("k", record({ rows, n: 1 }), 60);
      let hash = await probe.hGetAll("z:k");
      assert.equal(hash["s:n"], "1");
      assert.ok(hash["s:rows"]?.startsWith("~"), hash["s:rows"]?.slice(0, 20));
      assert.ok((hash["s:rows"]?.length ?? 0) * 10 < json.length, `${hash["s:rows"]?.length}`);
      assert.deepEqual(await plain.get("k"), record({ rows, n: 1 }));
      // A field stored whole by a patch is compressed too; its deltas stay JSON.
      const more = [...rows, { id: 1000, name: "ü😀" }];
      await backend.patch("k", patch("/b", { fields: { rows: more } }), 60);
      await backend.patch("k", patch("/b", { deltas: { rows: [["s", [3], "name", "x"]] } }), 60);
      hash = await probe.hGetAll("z:k");
      assert.ok(hash["s:rows"]?.startsWith("~"));
      assert.equal(hash["d:rows:0"], '[["s",[3],"name","x"]]');
      more[3] = { id: 3, name: "x" };
      assert.deepEqual(await plain.get("k"), record({ rows: more, n: 1 }, "/b"));
      assert.deepEqual(await backend.get("k"), record({ rows: more, n: 1 }, "/b"));
      // Without compress, fields are written as JSON (what earlier versions read).
      await plain.set("k", record({ rows, n: 1 }), 60);
      assert.equal(await probe.hGet("z:k", "s:rows"), json);
    } finally {
      await probe.close();
      await Promise.all([backend.close(), plain.close()]);
    }
  });

  it("a damaged compressed field makes the record unreadable, and inflates no further than a piece", async () => {
    const backend = new RedisStateBackend({ url: redis!.url, prefix: "z2:", compress: true });
    const probe = createClient({ url: redis!.url });
    await probe.connect();
    try {
      const rows = Array.from({ length: 100 }, (_, i) => ({ id: i, name: `Customer ${i}` }));
      await backend.set("k", record({ rows }), 60);
      const good = (await probe.hGet("z2:k", "s:rows")) as string;
      // One piece that claims 10 bytes but holds a valid JSON text of 1 MiB (a string), in
      // some 30 compressed bytes: more than any piece written holds, so it is refused.
      const length = Buffer.alloc(4);
      length.writeUInt32LE(10);
      const bomb = Buffer.concat([length, brotliCompressSync(`"${"a".repeat(1 << 20)}"`)]);
      for (const damaged of [
        `~${bomb.toString("base64")}`,
        "~AAAAAAAA",
        "~",
        `${good.slice(0, 40)}${good.slice(60)}`,
        `~${Buffer.from([1, 0]).toString("base64")}`,
      ]) {
        await probe.hSet("z2:k", "s:rows", damaged);
        assert.equal(await backend.get("k"), null, damaged.slice(0, 30));
      }
      await probe.hSet("z2:k", "s:rows", good);
      assert.deepEqual(await backend.get("k"), record({ rows }));
    } finally {
      await probe.close();
      await backend.close();
    }
  });

  it("keeps a field's deltas as numbered hash fields and drops them with the field", async () => {
    const backend = new RedisStateBackend({ url: redis!.url, prefix: "deltas2:" });
    const probe = createClient({ url: redis!.url });
    await probe.connect();
    try {
      await backend.set("k", record({ rows: [1, 2] }), 60);
      await backend.patch("k", patch("/a", { deltas: { rows: [["s", [], 0, 7]] } }), 60);
      await backend.patch("k", patch("/a", { deltas: { rows: [["s", [], 1, 8]] } }), 60);
      const hash = await probe.hGetAll("deltas2:k");
      assert.deepEqual(Object.keys(hash).sort(), ["d:rows:0", "d:rows:1", "m", "n:rows", "s:rows"]);
      assert.equal(hash["d:rows:1"], '[["s",[],1,8]]');
      await backend.patch("k", patch("/a", { fields: { rows: [0] } }), 60);
      assert.deepEqual(Object.keys(await probe.hGetAll("deltas2:k")).sort(), ["m", "s:rows"]);
      assert.deepEqual((await backend.get("k"))?.state, { rows: [0] });
    } finally {
      await probe.close();
      await backend.close();
    }
  });
});
